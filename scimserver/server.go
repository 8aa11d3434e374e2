// Package scimserver is the SCIM 2.0 HTTP API (RFC 7644): routing, authentication, request
// parsing and responses. Resources are read and written through internal/store.
package scimserver

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/go-logr/logr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/scim-operator/scim-operator/internal/oauth"
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
	// MaxBodyBytes bounds a request body; a larger one is answered 413. The default, 4 MiB,
	// takes an Okta PUT of a 10,000-member group with display names (about 1 MB) with room.
	MaxBodyBytes int64
	// DefaultPageSize is the page size of a query without "count".
	DefaultPageSize int
	// MaxPageSize is the largest page a query may ask for.
	MaxPageSize int
	// BulkMaxOperations bounds the operations of one /Bulk request.
	BulkMaxOperations int
	// FailedAuthBurst failed authentications of one client are answered 401; beyond them its
	// failures are answered 429 until it has waited 1/FailedAuthPerSecond per failure. A
	// client is an address (IPv6: a /64) with the user name or client id it presents.
	// Valid credentials are never refused.
	FailedAuthBurst     int
	FailedAuthPerSecond float64
	// FailedAuthMaxClients bounds the clients whose failures are remembered; beyond it the
	// least recently failing are forgotten.
	FailedAuthMaxClients int
	// TrustedProxies are the proxies (such as the Ingress controller) whose X-Forwarded-For
	// or Forwarded header names the client; any other peer is the client itself.
	TrustedProxies []netip.Prefix
	// TenantLimits apply to a tenant whose ScimTenant does not set its own.
	TenantLimits TenantLimits
}

// features are the optional protocol features this server implements, as
// /ServiceProviderConfig reports them.
type features struct {
	patch, bulk, filter, sort bool
}

// DefaultOptions are the options of a server configured with nothing.
var DefaultOptions = Options{MaxBodyBytes: 4 << 20, DefaultPageSize: 100, MaxPageSize: 1000, BulkMaxOperations: 1000,
	FailedAuthBurst: 20, FailedAuthPerSecond: 1, FailedAuthMaxClients: 16384,
	TenantLimits: DefaultTenantLimits}

// DefaultTenantLimits are well above what identity providers send one tenant (Microsoft
// Entra ID: at most 25 requests/s; Okta: a few at once), and low enough that one tenant cannot
// take the whole server: 32 requests in flight with pages of at most MaxPageSize resources.
var DefaultTenantLimits = TenantLimits{RequestsPerSecond: 100, Burst: 200, MaxInFlight: 32}

// Deps are what the server is built on.
type Deps struct {
	Store *store.Store
	// Cache reads ScimApps, to wait for their outcome when they ask for it.
	Cache client.Reader
	Auth  *tenant.Authenticator
	// Tokens issues access tokens at the OAuth token endpoint; nil serves no token endpoint.
	Tokens     *oauth.Issuer
	Extensions *store.ExtensionsInUse
	Log        logr.Logger
	// Audit receives one record per write.
	Audit logr.Logger
}

// Server serves the SCIM API.
type Server struct {
	store      *store.Store
	cache      client.Reader
	auth       *tenant.Authenticator
	extensions *store.ExtensionsInUse
	log, audit logr.Logger
	opts       Options
	features   features
	mux        *http.ServeMux
	limits     *tenantLimits
	failures   *failedLogins
}

// New returns a server.
func New(d Deps, opts Options) *Server {
	if opts.MaxBodyBytes == 0 {
		opts.MaxBodyBytes = DefaultOptions.MaxBodyBytes
	}
	if opts.DefaultPageSize == 0 {
		opts.DefaultPageSize = DefaultOptions.DefaultPageSize
	}
	if opts.MaxPageSize == 0 {
		opts.MaxPageSize = DefaultOptions.MaxPageSize
	}
	if opts.FailedAuthBurst == 0 {
		opts.FailedAuthBurst, opts.FailedAuthPerSecond = DefaultOptions.FailedAuthBurst, DefaultOptions.FailedAuthPerSecond
	}
	if opts.FailedAuthMaxClients == 0 {
		opts.FailedAuthMaxClients = DefaultOptions.FailedAuthMaxClients
	}
	s := &Server{store: d.Store, cache: d.Cache, auth: d.Auth, extensions: d.Extensions, log: d.Log, audit: d.Audit, opts: opts,
		mux: http.NewServeMux(), failures: newFailedLogins(opts.FailedAuthBurst, opts.FailedAuthPerSecond, opts.FailedAuthMaxClients),
		limits:   &tenantLimits{defaults: opts.TenantLimits},
		features: features{bulk: true, patch: true, filter: true, sort: true}}
	s.routes()
	if d.Tokens != nil {
		s.mux.Handle("POST "+TokenPath, s.throttleFailures(d.Tokens.TokenHandler(clientVerifier{d.Auth})))
	}
	return s
}

// TokenPath is the OAuth 2.0 token endpoint, for clients that authenticate with the
// client-credentials or resource-owner-password grant.
const TokenPath = "/oauth2/token"

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
	// Microsoft's validator asks for the service provider configuration under this name.
	endpoints["serviceconfiguration"] = "ServiceProviderConfig"
}

// canonicalPath spells the endpoint segment of a SCIM path as routes do, and drops a
// trailing slash ("/Users/?filter=..." is "/Users").
func canonicalPath(path string) string {
	rest, ok := strings.CutPrefix(path, BasePath+"/")
	if !ok {
		return path
	}
	if trimmed := strings.TrimRight(rest, "/"); trimmed != rest {
		rest = trimmed
		path = BasePath + "/" + rest
	}
	segment, tail, _ := strings.Cut(rest, "/")
	if name, ok := endpoints[strings.ToLower(segment)]; ok && name != segment {
		path = BasePath + "/" + name
		if tail != "" {
			path += "/" + tail
		}
	}
	return path
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
