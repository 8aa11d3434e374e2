// Package scimserver is the SCIM 2.0 HTTP API (RFC 7644): routing, authentication, request
// parsing and responses. Resources are read and written through internal/store.
package scimserver

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/go-logr/logr"

	"github.com/scim-operator/scim-operator/internal/schema"
	"github.com/scim-operator/scim-operator/internal/scimerr"
	"github.com/scim-operator/scim-operator/internal/store"
	"github.com/scim-operator/scim-operator/internal/tenant"
)

// BasePath is where the SCIM API is served.
const BasePath = "/scim/v2"

// Options tune the server.
type Options struct {
	// PublicURL is the base URL clients use, for example https://scim.example.com/scim/v2.
	// When empty it is derived from each request's Host.
	PublicURL string
	// MaxBodyBytes bounds a request body; a larger one is answered 413.
	MaxBodyBytes int64
	// DefaultPageSize is the page size of a query without "count".
	DefaultPageSize int
	// MaxPageSize is the largest page a query may ask for.
	MaxPageSize int
	// BulkMaxOperations bounds the operations of one /Bulk request.
	BulkMaxOperations int
}

// features are the optional protocol features this server implements, as
// /ServiceProviderConfig reports them.
type features struct {
	patch, bulk, filter, sort bool
}

// DefaultOptions are the options of a server configured with nothing.
var DefaultOptions = Options{MaxBodyBytes: 1 << 20, DefaultPageSize: 100, MaxPageSize: 1000, BulkMaxOperations: 1000}

// Server serves the SCIM API.
type Server struct {
	store      *store.Store
	auth       *tenant.Authenticator
	extensions *store.ExtensionsInUse
	log        logr.Logger
	opts       Options
	features   features
	mux        *http.ServeMux
}

// New returns a server over st, authenticating requests with auth.
func New(st *store.Store, auth *tenant.Authenticator, extensions *store.ExtensionsInUse, log logr.Logger, opts Options) *Server {
	if opts.MaxBodyBytes == 0 {
		opts.MaxBodyBytes = DefaultOptions.MaxBodyBytes
	}
	if opts.DefaultPageSize == 0 {
		opts.DefaultPageSize = DefaultOptions.DefaultPageSize
	}
	if opts.MaxPageSize == 0 {
		opts.MaxPageSize = DefaultOptions.MaxPageSize
	}
	s := &Server{store: st, auth: auth, extensions: extensions, log: log, opts: opts, mux: http.NewServeMux(),
		features: features{bulk: true, patch: true, filter: true, sort: true}}
	s.routes()
	return s
}

func (s *Server) routes() {
	handle := func(pattern string, h func(http.ResponseWriter, *http.Request, tenant.Tenant) error) {
		method, path, ok := strings.Cut(pattern, " ")
		if !ok {
			method, path = "", pattern
		}
		s.mux.Handle(strings.TrimSpace(method+" "+BasePath+path), s.authenticated(h))
	}
	handle("GET /Users", s.listUsers)
	handle("POST /Users", s.createUser)
	handle("GET /Users/{id}", s.getUser)
	handle("PUT /Users/{id}", s.replaceUser)
	handle("PATCH /Users/{id}", s.patchUser)
	handle("DELETE /Users/{id}", s.deleteUser)
	handle("GET /Groups", s.listGroups)
	handle("POST /Groups", s.createGroup)
	handle("GET /Groups/{id}", s.getGroup)
	handle("PUT /Groups/{id}", s.replaceGroup)
	handle("PATCH /Groups/{id}", s.patchGroup)
	handle("DELETE /Groups/{id}", s.deleteGroup)
	handle("POST /Bulk", s.bulk)
	handle("POST /.search", s.search(nil))
	handle("POST /Users/.search", s.search(schema.UserResourceType))
	handle("POST /Groups/.search", s.search(schema.GroupResourceType))
	handle("GET /ServiceProviderConfig", s.serviceProviderConfig)
	handle("GET /ResourceTypes", s.resourceTypes)
	handle("GET /ResourceTypes/{name}", s.resourceType)
	handle("GET /Schemas", s.schemas)
	handle("GET /Schemas/{urn}", s.schemaByURN)
	handle("/Me", func(http.ResponseWriter, *http.Request, tenant.Tenant) error {
		return scimerr.New(http.StatusNotImplemented, "", "/Me is not supported: requests are made by an identity provider, not by a user")
	})
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, scimerr.NotFound("no SCIM endpoint at %s %s", r.Method, r.URL.Path))
	})
}

// ServeHTTP implements http.Handler. A panic in a handler is a bug: it is logged and answered
// with a SCIM 500, and the server keeps serving.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	started := time.Now()
	rec := &statusRecorder{ResponseWriter: w}
	w = rec
	defer func() { observe(r.Method, r.URL.Path, rec.status, started) }()
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			s.writeError(w, r, fmt.Errorf("panic: %v", p))
		}
	}()
	r.URL.Path = canonicalPath(r.URL.Path)
	s.mux.ServeHTTP(w, r)
}

// endpoints are the SCIM endpoint names, by lower-cased name. Some clients send "/users"
// (Microsoft's validator does); endpoint names are matched case-insensitively.
var endpoints = map[string]string{}

func init() {
	for _, name := range []string{"Users", "Groups", "ServiceProviderConfig", "ResourceTypes", "Schemas", "Bulk", "Me", ".search"} {
		endpoints[strings.ToLower(name)] = name
	}
}

// canonicalPath spells the endpoint segment of a SCIM path as routes do.
func canonicalPath(path string) string {
	rest, ok := strings.CutPrefix(path, BasePath+"/")
	if !ok {
		return path
	}
	segment, tail, _ := strings.Cut(rest, "/")
	if name, ok := endpoints[strings.ToLower(segment)]; ok && name != segment {
		path = BasePath + "/" + name
		if tail != "" || strings.HasSuffix(rest, "/") {
			path += "/" + tail
		}
	}
	return path
}

// authenticated wraps a handler with bearer-token authentication and error handling.
func (s *Server) authenticated(h func(http.ResponseWriter, *http.Request, tenant.Tenant) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, err := s.authenticate(r)
		if err != nil {
			if e := scimerr.As(err); e != nil && e.Status == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Bearer realm="scim"`)
			}
			s.writeError(w, r, err)
			return
		}
		if err := h(w, r, t); err != nil {
			s.writeError(w, r, err)
		}
	})
}

func (s *Server) authenticate(r *http.Request) (tenant.Tenant, error) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return tenant.Tenant{}, unauthorized("a bearer token is required")
	}
	t, err := s.auth.Bearer(r.Context(), strings.TrimSpace(token))
	switch {
	case errors.Is(err, tenant.ErrUnauthenticated):
		return tenant.Tenant{}, unauthorized("the bearer token is not valid")
	case err != nil:
		return tenant.Tenant{}, err
	}
	return t, nil
}

func unauthorized(detail string) error {
	return scimerr.New(http.StatusUnauthorized, "", "%s", detail)
}

// readBody reads a request body of at most MaxBodyBytes.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, scimerr.New(http.StatusRequestEntityTooLarge, "", "the request body is larger than %d bytes", s.opts.MaxBodyBytes)
	case err != nil:
		return nil, scimerr.InvalidSyntax("the request body could not be read")
	}
	return body, nil
}

// locations builds resource URLs for one request.
type locations struct{ base string }

func (s *Server) locations(r *http.Request) locations {
	if s.opts.PublicURL != "" {
		return locations{base: strings.TrimSuffix(s.opts.PublicURL, "/")}
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return locations{base: scheme + "://" + r.Host + BasePath}
}

func (l locations) UserLocation(id string) string  { return l.base + "/Users/" + id }
func (l locations) GroupLocation(id string) string { return l.base + "/Groups/" + id }
