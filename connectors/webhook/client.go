package webhook

import (
	"bytes"
	"context"
	"crypto/tls"
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
	// maxResponse bounds what is read of an answer.
	maxResponse = 1 << 20
)

// client is one webhook app; safe for concurrent use.
type client struct {
	base                            *url.URL
	token                           string
	create, update, disable, delete *request
	get                             *request
	http                            *http.Client
}

func newClient(base *url.URL) *client {
	return &client{base: base, http: &http.Client{
		Timeout:   requestTimeout,
		Transport: http.DefaultTransport.(*http.Transport).Clone(),
	}}
}

func (c *client) Close() error {
	c.http.CloseIdleConnections()
	return nil
}

// answer is the app's answer to one request.
type answer struct {
	status int
	body   []byte
}

// send renders r for d and sends it. Only transport errors and template errors are errors:
// what a status means depends on the event.
func (c *client) send(ctx context.Context, r *request, d Data) (answer, error) {
	target, body, err := r.render(c.base, d)
	if err != nil {
		return answer{}, err
	}
	return c.roundTrip(ctx, r.event, r.method, target, body)
}

// roundTrip sends one request with a JSON body, unless nil, and reads the answer.
func (c *client) roundTrip(ctx context.Context, event, method, target string, body []byte) (answer, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return answer{}, connectors.ConfigError("webhook %s: %v", event, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "scim-operator")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		var cert *tls.CertificateVerificationError
		if errors.As(err, &cert) {
			return answer{}, fmt.Errorf("%w: webhook %s: %w", connectors.ErrConfig, event, err)
		}
		return answer{}, fmt.Errorf("webhook %s: %w", event, err)
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return answer{}, fmt.Errorf("webhook %s: reading the answer: %w", event, err)
	}
	return answer{status: resp.StatusCode, body: data}, nil
}

// failure is the error of an answer that is not a success for event: a configuration error
// for 401 and 403, which a retry cannot mend, and a plain one otherwise.
func failure(event string, a answer) error {
	msg := fmt.Sprintf("webhook %s: the app answered %d %s", event, a.status, http.StatusText(a.status))
	if s := strings.TrimSpace(string(a.body)); s != "" {
		if len(s) > 200 {
			s = s[:200] + "…"
		}
		msg += ": " + s
	}
	if a.status == http.StatusUnauthorized || a.status == http.StatusForbidden {
		return connectors.ConfigError("the app refused the credentials: %s", msg)
	}
	return errors.New(msg)
}

func ok(status int) bool { return status >= 200 && status <= 299 }
