package scimserver

import (
	"context"
	"errors"
	"net/http"

	"github.com/scim-operator/scim-operator/internal/oauth"
	"github.com/scim-operator/scim-operator/internal/tenant"
)

// clientVerifier lets the token endpoint check clients against the tenants' credential
// Secrets, translating the tenant package's errors into the OAuth ones.
type clientVerifier struct{ auth *tenant.Authenticator }

func (v clientVerifier) Client(ctx context.Context, clientID, clientSecret string) (tenant.Tenant, error) {
	t, err := v.auth.Client(ctx, clientID, clientSecret)
	return t, oauthError(err)
}

func (v clientVerifier) ResourceOwner(ctx context.Context, clientID, clientSecret, username, password string) (tenant.Tenant, error) {
	t, err := v.auth.ResourceOwner(ctx, clientID, clientSecret, username, password)
	return t, oauthError(err)
}

func oauthError(err error) error {
	switch {
	case errors.Is(err, tenant.ErrInvalidClient):
		return oauth.ErrInvalidClient
	case errors.Is(err, tenant.ErrInvalidGrant):
		return oauth.ErrInvalidGrant
	}
	return err
}

// throttleFailures protects the token endpoint as the SCIM endpoints are protected: an
// address that keeps presenting bad client credentials is refused for a while.
func (s *Server) throttleFailures(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.failures.check(r); err != nil {
			s.writeError(w, r, err)
			return
		}
		rec := &statusRecorder{ResponseWriter: w}
		h.ServeHTTP(rec, r)
		if rec.status == http.StatusUnauthorized || rec.status == http.StatusBadRequest {
			s.failures.failed(r)
		}
	})
}
