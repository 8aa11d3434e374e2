package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

const scimMediaType = "application/scim+json"

// scimClient is an identity provider's SCIM client: keep-alive connections, a bearer token.
type scimClient struct {
	base, token string
	http        *http.Client
}

func newSCIMClient(base, token string) *scimClient {
	t := http.DefaultTransport.(*http.Transport).Clone()
	// One idle connection per client goroutine at the highest concurrency: without it,
	// connections would be closed and reopened between requests and the run would measure
	// TCP handshakes.
	t.MaxIdleConns, t.MaxIdleConnsPerHost = 256, 256
	t.DisableCompression = true
	return &scimClient{base: base, token: token, http: &http.Client{Transport: t, Timeout: 2 * time.Minute}}
}

// withToken is the same connection pool acting for another tenant.
func (c *scimClient) withToken(token string) *scimClient {
	return &scimClient{base: c.base, token: token, http: c.http}
}

func (c *scimClient) request(ctx context.Context, method, path string, body []byte) (*http.Request, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", scimMediaType)
	if body != nil {
		req.Header.Set("Content-Type", scimMediaType)
	}
	return req, nil
}

// do sends a request and fails unless the answer has status want; a 2xx body is decoded into
// out when out is not nil, and read to the end otherwise so the connection is reused.
func (c *scimClient) do(ctx context.Context, method, path string, body []byte, want int, out any) error {
	req, err := c.request(ctx, method, path, body)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, shortPath(path), err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != want {
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		return fmt.Errorf("%s %s: %d: %s", method, shortPath(path), resp.StatusCode, strings.TrimSpace(string(data)))
	}
	if out == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: decoding the answer: %w", method, shortPath(path), err)
	}
	return nil
}

// status sends a request and returns the status only.
func (c *scimClient) status(ctx context.Context, method, path string) (int, error) {
	req, err := c.request(ctx, method, path, nil)
	if err != nil {
		return 0, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer func() { _ = resp.Body.Close() }()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// shortPath keeps error samples readable: the endpoint without ids or the query.
func shortPath(path string) string {
	path, _, _ = strings.Cut(path, "?")
	parts := strings.SplitN(strings.TrimPrefix(path, "/"), "/", 2)
	if len(parts) == 2 {
		return "/" + parts[0] + "/{id}"
	}
	return path
}

// listResponse is the part of a SCIM ListResponse the bench checks.
type listResponse struct {
	TotalResults int               `json:"totalResults"`
	Resources    []json.RawMessage `json:"Resources"`
}

// created is the part of a created resource the bench keeps.
type created struct {
	ID string `json:"id"`
}
