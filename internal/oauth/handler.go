package oauth

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/go-logr/logr"

	"github.com/scim-operator/scim-operator/internal/tenant"
)

// Verifier checks the credentials a token request presents and names the tenant they belong to.
type Verifier interface {
	// Client authenticates a client (client_credentials grant). Returns ErrInvalidClient when
	// unknown or wrong.
	Client(ctx context.Context, clientID, clientSecret string) (tenant.Tenant, error)
	// ResourceOwner authenticates a client and a user (password grant). ErrInvalidClient for a
	// bad client, ErrInvalidGrant for bad username/password.
	ResourceOwner(ctx context.Context, clientID, clientSecret, username, password string) (tenant.Tenant, error)
}

var (
	// ErrInvalidClient means the client is unknown or its secret is wrong.
	ErrInvalidClient = errors.New("invalid client")
	// ErrInvalidGrant means the resource owner's username or password is wrong.
	ErrInvalidGrant = errors.New("invalid grant")
)

const (
	grantClientCredentials = "client_credentials"
	grantPassword          = "password"
)

// TokenHandler serves the token endpoint (RFC 6749 §3.2) for the client_credentials and
// password grants, checking credentials with v. The scope parameter is accepted and ignored:
// a token grants its tenant's whole SCIM API.
//
// Log lines go to the logger of the request's context, if any, and never carry a credential.
func (i *Issuer) TokenHandler(v Verifier) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeError(w, &tokenError{status: http.StatusMethodNotAllowed, code: codeInvalidRequest,
				description: "the token endpoint accepts POST only"})
			return
		}
		req, terr := parseTokenRequest(w, r)
		if terr != nil {
			writeError(w, terr)
			return
		}
		token, expiresIn, terr := i.grant(r.Context(), v, req)
		if terr != nil {
			writeError(w, terr)
			return
		}
		writeToken(w, token, expiresIn)
	})
}

// grant authenticates req by its grant type and issues its token.
func (i *Issuer) grant(ctx context.Context, v Verifier, req *tokenRequest) (string, time.Duration, *tokenError) {
	log := logr.FromContextOrDiscard(ctx).WithValues("grantType", req.grantType)
	var t tenant.Tenant
	var subject string
	var err error
	switch req.grantType {
	case "":
		return "", 0, invalidRequest("grant_type is required")
	case grantClientCredentials:
		t, err = v.Client(ctx, req.clientID, req.clientSecret)
		subject = req.clientID
	case grantPassword:
		if req.username == "" || req.password == "" {
			return "", 0, invalidRequest("the password grant requires username and password")
		}
		t, err = v.ResourceOwner(ctx, req.clientID, req.clientSecret, req.username, req.password)
		subject = req.username
	default:
		return "", 0, &tokenError{status: http.StatusBadRequest, code: codeUnsupportedGrantType,
			description: "supported grant types are client_credentials and password"}
	}
	switch {
	case errors.Is(err, ErrInvalidClient):
		log.V(1).Info("token request refused: invalid client")
		return "", 0, invalidClient("client authentication failed")
	case errors.Is(err, ErrInvalidGrant):
		log.V(1).Info("token request refused: invalid resource owner credentials")
		return "", 0, &tokenError{status: http.StatusBadRequest, code: codeInvalidGrant,
			description: "the resource owner credentials are invalid"}
	case err != nil:
		log.Error(err, "verifying token request credentials")
		return "", 0, &tokenError{status: http.StatusInternalServerError, code: codeServerError,
			description: "the credentials could not be checked; retry later"}
	}
	token, expiresIn, err := i.Issue(t, subject)
	if err != nil {
		log.Error(err, "issuing an access token", "namespace", t.Namespace, "credential", t.Credential)
		return "", 0, &tokenError{status: http.StatusInternalServerError, code: codeServerError,
			description: "the token could not be issued"}
	}
	log.V(1).Info("access token issued", "namespace", t.Namespace, "credential", t.Credential)
	return token, expiresIn, nil
}
