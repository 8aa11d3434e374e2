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

// authenticated wraps a handler with authentication, the tenant's rate limit, error answers
// and, for writes, the audit record.
func (s *Server) authenticated(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, err := s.authenticate(r)
		if err == nil {
			err = s.limits.allow(t.Namespace, t.Settings.RateLimit)
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
		rec := &statusRecorder{ResponseWriter: w}
		started := time.Now()
		if err := h(rec, r, t); err != nil {
			s.writeError(rec, r, err)
		}
		s.auditWrite(r, t, rec, started)
	})
}

// authenticate finds the tenant of a request from its Authorization header: a bearer token
// (static, issued by our token endpoint, or issued by a trusted identity provider) or HTTP
// Basic. Addresses with many recent failures are refused before their credentials are checked.
func (s *Server) authenticate(r *http.Request) (tenant.Tenant, error) {
	if err := s.failures.check(r); err != nil {
		return tenant.Tenant{}, err
	}
	scheme, credentials, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	credentials = strings.TrimSpace(credentials)
	var t tenant.Tenant
	var err error
	switch {
	case strings.EqualFold(scheme, "Bearer"):
		t, err = s.auth.Bearer(r.Context(), credentials)
	case strings.EqualFold(scheme, "Basic"):
		t, err = s.basic(r, credentials)
	default:
		return tenant.Tenant{}, unauthorized("credentials are required: a bearer token or HTTP Basic")
	}
	if errors.Is(err, tenant.ErrUnauthenticated) {
		s.failures.failed(r)
		return tenant.Tenant{}, unauthorized("the credentials are not valid")
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

func (s *Server) basic(r *http.Request, credentials string) (tenant.Tenant, error) {
	decoded, err := base64.StdEncoding.DecodeString(credentials)
	if err != nil {
		return tenant.Tenant{}, tenant.ErrUnauthenticated
	}
	username, password, ok := strings.Cut(string(decoded), ":")
	if !ok {
		return tenant.Tenant{}, tenant.ErrUnauthenticated
	}
	return s.auth.Basic(r.Context(), username, password)
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
