package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"time"

	"github.com/scim-operator/scim-operator/internal/testapps/scimmy"
)

// scimmyApp is the test SCIM app of internal/testapps/scimmy (a third-party SCIM server on
// Node.js) behind a small reverse proxy: the proxy sees the app answer 201 to a POST /Users,
// which is the moment the account exists, without polling the app.
type scimmyApp struct {
	arrivals
	server *scimmy.Server
	ln     net.Listener
	srv    *http.Server
}

// userNameKey carries a create's userName from the request to the proxied response.
type userNameKey struct{}

func startScimmyApp() (*scimmyApp, error) {
	server, err := scimmy.Start()
	if err != nil {
		return nil, err
	}
	target, err := url.Parse(server.URL())
	if err != nil {
		_ = server.Stop()
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = server.Stop()
		return nil, err
	}
	a := &scimmyApp{server: server, ln: ln}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(&url.URL{Scheme: target.Scheme, Host: target.Host}) },
		ModifyResponse: func(resp *http.Response) error {
			if name, ok := resp.Request.Context().Value(userNameKey{}).(string); ok && resp.StatusCode == http.StatusCreated {
				a.arrived(name)
			}
			return nil
		},
	}
	a.srv = &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/Users") {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			var u struct {
				UserName string `json:"userName"`
			}
			if json.Unmarshal(body, &u) == nil && u.UserName != "" {
				r = r.WithContext(context.WithValue(r.Context(), userNameKey{}, u.UserName))
			}
		}
		proxy.ServeHTTP(w, r)
	})}
	go func() { _ = a.srv.Serve(ln) }()
	return a, nil
}

func (a *scimmyApp) url() string   { return "http://" + a.ln.Addr().String() + "/scim/v2" }
func (a *scimmyApp) token() string { return a.server.Token() }
func (a *scimmyApp) name() string {
	return "scimmy (internal/testapps/scimmy, Node.js) behind a pass-through proxy"
}

func (a *scimmyApp) close() {
	_ = a.srv.Close()
	if err := a.server.Stop(); err != nil {
		logf("scimmy: %v", err)
	}
}
