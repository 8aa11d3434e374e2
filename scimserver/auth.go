package scimserver

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/scim-operator/scim-operator/internal/scimerr"
	"github.com/scim-operator/scim-operator/internal/tenant"
)

// handlerFunc is a SCIM handler: it acts for an authenticated tenant and returns its error
// for the server to answer.
type handlerFunc func(http.ResponseWriter, *http.Request, tenant.Tenant) error

// authenticated wraps a handler with authentication, the tenant's rate and concurrency
// limits, error answers and, for writes, the audit record.
func (s *Server) authenticated(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, ok := bulkTenant(r)
		if !ok {
			var admitted *tenantLimiter
			var err error
			t, err = s.authenticate(r)
			if err == nil {
				admitted, err = s.limits.acquire(t.Namespace, t.Settings.RateLimit)
			}
			if err != nil {
				if e := scimerr.As(err); e != nil && e.Status == http.StatusUnauthorized {
					w.Header().Set("WWW-Authenticate", `Bearer realm="scim", Basic realm="scim"`)
				} else if e != nil && e.Status == http.StatusForbidden {
					w.Header().Set("WWW-Authenticate", `Bearer realm="scim", error="insufficient_scope"`)
				}
				s.writeError(w, r, err)
				return
			}
			defer admitted.release()
		}
		rec := &statusRecorder{ResponseWriter: w}
		started := time.Now()
		if err := h(rec, r, t); err != nil {
			s.writeError(rec, r, err)
		}
		s.auditWrite(r, t, rec, started)
	})
}

// bulkTenantKey marks an operation of a /Bulk request with the tenant the request was
// authenticated as. Only the server sets it: a client cannot reach a request's context.
type bulkTenantKey struct{}

// bulkTenant is the tenant of the /Bulk request that r is an operation of: operations are
// neither authenticated again nor counted against the tenant's limits a second time.
func bulkTenant(r *http.Request) (tenant.Tenant, bool) {
	t, ok := r.Context().Value(bulkTenantKey{}).(tenant.Tenant)
	return t, ok
}

// authenticate finds the tenant of a request from its Authorization header: a bearer token
// (static, issued by our token endpoint, or issued by a trusted identity provider) or HTTP
// Basic. Credentials are always checked: a valid one is served whoever else fails from the
// same address. Only wrong ones are counted, and a client that keeps presenting them gets 429
// instead of 401 (see failedLogins).
func (s *Server) authenticate(r *http.Request) (tenant.Tenant, error) {
	scheme, credentials, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	credentials = strings.TrimSpace(credentials)
	var t tenant.Tenant
	var err error
	identity := "" // a bearer token names no one before it is verified
	switch {
	case strings.EqualFold(scheme, "Bearer"):
		t, err = s.auth.Bearer(r.Context(), credentials)
	case strings.EqualFold(scheme, "Basic"):
		var username, password string
		if username, password, err = decodeBasic(credentials); err == nil {
			identity = "basic:" + username
			t, err = s.auth.Basic(r.Context(), username, password)
		}
	default:
		return tenant.Tenant{}, unauthorized("credentials are required: a bearer token or HTTP Basic")
	}
	if errors.Is(err, tenant.ErrUnauthenticated) {
		return tenant.Tenant{}, s.failedAuthentication(r, identity, unauthorized("the credentials are not valid"))
	}
	if errors.Is(err, tenant.ErrInsufficientScope) {
		// A valid token of the tenant's provider without a role it requires (RFC 6750 §3.1).
		return tenant.Tenant{}, scimerr.New(http.StatusForbidden, "", "the token lacks a role this tenant requires")
	}
	if err != nil {
		return tenant.Tenant{}, err
	}
	if t.Settings, err = s.auth.Settings(r.Context(), t.Namespace); err != nil {
		return tenant.Tenant{}, err
	}
	return t, nil
}

// failedAuthentication counts a failure against the client's address and the identity it
// tried (a user name or client id; "" for a bearer token), and returns the answer: refused,
// or 429 once that key has used up its failures.
func (s *Server) failedAuthentication(r *http.Request, identity string, refused error) error {
	key := s.failures.failureKey(addrGroup(clientAddr(r, s.opts.TrustedProxies)), identity)
	if wait, over := s.failures.failed(key); over {
		return tooManyRequests(wait, "too many failed authentication attempts from this address")
	}
	return refused
}

func decodeBasic(credentials string) (username, password string, err error) {
	decoded, err := base64.StdEncoding.DecodeString(credentials)
	if err != nil {
		return "", "", tenant.ErrUnauthenticated
	}
	username, password, ok := strings.Cut(string(decoded), ":")
	if !ok {
		return "", "", tenant.ErrUnauthenticated
	}
	return username, password, nil
}

func unauthorized(detail string) error {
	return scimerr.New(http.StatusUnauthorized, "", "%s", detail)
}

// auditWrite records one write: who, in which tenant, did what to which resource, and how it
// ended. Request bodies are never recorded: they may hold passwords.
func (s *Server) auditWrite(r *http.Request, t tenant.Tenant, rec *statusRecorder, started time.Time) {
	if r.Method == http.MethodGet || r.Method == http.MethodHead || strings.HasSuffix(r.URL.Path, "/.search") {
		return
	}
	id := r.PathValue("id")
	if id == "" {
		if loc := rec.Header().Get("Location"); loc != "" {
			id = loc[strings.LastIndexByte(loc, '/')+1:]
		}
	}
	outcome := "success"
	if rec.status >= 400 {
		outcome = "failure"
	}
	s.audit.Info("scim write",
		"time", started.UTC().Format(time.RFC3339Nano),
		"tenant", t.Namespace,
		"client", t.Credential,
		"method", r.Method,
		"resource", endpointLabel(r.URL.Path),
		"id", id,
		"status", rec.status,
		"outcome", outcome)
}
