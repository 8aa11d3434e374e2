package scim

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/scim-operator/scim-operator/connectors"
)

const (
	// requestTimeout bounds one request, reading the answer included.
	requestTimeout = 30 * time.Second
	// maxResponse bounds what is read of an answer: a group with many members is the largest.
	maxResponse = 32 << 20
	mediaType   = "application/scim+json"
)

// client is a SCIM app. It holds no state besides its connections, so it is safe for
// concurrent use.
type client struct {
	// base is the SCIM base URL without a trailing slash.
	base string
	auth func(*http.Request)
	// put says to update with PUT rather than PATCH.
	put bool
	// attrs are the attributes of the app's attributeMapping, in key order.
	attrs []attribute
	http  *http.Client
}

func newClient(base string, auth func(*http.Request), put bool, attrs []attribute) *client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 8
	return &client{base: base, auth: auth, put: put, attrs: attrs,
		http: &http.Client{Timeout: requestTimeout, Transport: t}}
}

func (c *client) Close() error {
	c.http.CloseIdleConnections()
	return nil
}

// errNotJSON marks a 2xx answer whose body is not JSON.
var errNotJSON = errors.New("the body is not SCIM JSON")

// statusError is an answer other than 2xx.
type statusError struct {
	method, path string
	status       int
	// detail is the SCIM error's detail (RFC 7644 §3.12), or the start of a body that is none.
	detail string
}

func (e *statusError) Error() string {
	msg := fmt.Sprintf("%s %s: the app answered %d %s", e.method, e.path, e.status, http.StatusText(e.status))
	if e.detail != "" {
		msg += ": " + e.detail
	}
	return msg
}

// statusOf is the status of the answer that made err, or 0.
func statusOf(err error) int {
	var se *statusError
	if errors.As(err, &se) {
		return se.status
	}
	return 0
}

// resourcePath is the path of the resource with the app's id under endpoint. An id that is
// "." or ".." (from a broken or hostile app) is refused: it would address the endpoint or the
// base URL itself.
func resourcePath(endpoint, externalID string) (string, error) {
	seg, err := connectors.PathSegment(externalID)
	if err != nil {
		return "", fmt.Errorf("scim: the app's id of the account: %w", err)
	}
	return endpoint + "/" + seg, nil
}

// do sends a request with body (JSON-encoded unless nil) and decodes a 2xx answer into out
// (unless nil). Errors are *statusError for other answers, wrapped in a configuration error for
// 401 and 403, whose retry cannot help.
func (c *client) do(ctx context.Context, method, path string, query url.Values, body, out any) error {
	target := c.base + path
	if len(query) > 0 {
		// %20 rather than form encoding's +: not every app decodes + in a query as a space.
		target += "?" + strings.ReplaceAll(query.Encode(), "+", "%20")
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("%s %s: encoding the body: %w", method, path, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return connectors.ConfigError("%s %s: %v", method, path, err)
	}
	req.Header.Set("Accept", mediaType+", application/json")
	req.Header.Set("User-Agent", "scim-operator")
	if body != nil {
		req.Header.Set("Content-Type", mediaType)
	}
	c.auth(req)

	resp, err := c.http.Do(req)
	if err != nil {
		if untrusted(err) {
			return fmt.Errorf("%w: %s %s: %w", connectors.ErrConfig, method, path, err)
		}
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return fmt.Errorf("%s %s: reading the answer: %w", method, path, err)
	}

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		se := &statusError{method: method, path: path, status: resp.StatusCode, detail: detail(data)}
		if se.status == http.StatusUnauthorized || se.status == http.StatusForbidden {
			return fmt.Errorf("%w: the app refused the credentials: %w", connectors.ErrConfig, se)
		}
		return se
	}
	if out == nil || len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: the app answered %d: %w: %w", method, path, resp.StatusCode, errNotJSON, err)
	}
	return nil
}

// detail is the message of a SCIM error body, or the start of a body that is none.
func detail(body []byte) string {
	var e struct {
		Detail   string `json:"detail"`
		ScimType string `json:"scimType"`
	}
	if json.Unmarshal(body, &e) == nil && e.Detail != "" {
		if e.ScimType != "" {
			return e.ScimType + ": " + e.Detail
		}
		return e.Detail
	}
	s := strings.TrimSpace(string(body))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// untrusted reports a TLS certificate the operator cannot verify: that needs a change to the
// app or its URL, not a retry.
func untrusted(err error) bool {
	var (
		unknownCA x509.UnknownAuthorityError
		hostname  x509.HostnameError
		invalid   x509.CertificateInvalidError
		verify    *tls.CertificateVerificationError
	)
	return errors.As(err, &unknownCA) || errors.As(err, &hostname) ||
		errors.As(err, &invalid) || errors.As(err, &verify)
}
