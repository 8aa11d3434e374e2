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

// throttleFailures protects the token endpoint as the SCIM endpoints are protected: the
// client's credentials are always checked, and failures are counted per client address and
// client id; a key that keeps failing gets 429 instead of the OAuth error.
func (s *Server) throttleFailures(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(&tokenFailures{ResponseWriter: w, s: s, r: r}, r)
	})
}

// tokenFailures sees the token endpoint's answer as it is written: a failure (400 or 401) is
// counted, and replaced with 429 when its key is over budget.
type tokenFailures struct {
	http.ResponseWriter
	s         *Server
	r         *http.Request
	wroteHead bool
	replaced  bool
}

func (f *tokenFailures) WriteHeader(status int) {
	if f.wroteHead {
		return
	}
	f.wroteHead = true
	if status == http.StatusUnauthorized || status == http.StatusBadRequest {
		if err := f.s.failedAuthentication(f.r, "client:"+tokenClientID(f.r), nil); err != nil {
			f.replaced = true
			h := f.Header()
			for name := range h {
				delete(h, name)
			}
			f.s.writeError(f.ResponseWriter, f.r, err)
			return
		}
	}
	f.ResponseWriter.WriteHeader(status)
}

func (f *tokenFailures) Write(b []byte) (int, error) {
	if !f.wroteHead {
		f.WriteHeader(http.StatusOK)
	}
	if f.replaced {
		return len(b), nil
	}
	return f.ResponseWriter.Write(b)
}

// tokenClientID is the client id a token request names, from HTTP Basic or the form the
// token handler has parsed by the time it answers.
func tokenClientID(r *http.Request) string {
	if id, _, ok := r.BasicAuth(); ok {
		return id
	}
	return r.PostForm.Get("client_id")
}
