package oauth

import (
	"encoding/json"
	"net/http"
	"time"
)

// The error codes of RFC 6749 §5.2, plus server_error for a failure that is ours.
const (
	codeInvalidRequest       = "invalid_request"
	codeInvalidClient        = "invalid_client"
	codeInvalidGrant         = "invalid_grant"
	codeUnsupportedGrantType = "unsupported_grant_type"
	codeServerError          = "server_error"
)

// tokenError is an RFC 6749 §5.2 error response. description is shown to the client, so it
// never holds a credential or anything the client sent.
type tokenError struct {
	status      int
	code        string
	description string
}

func (e *tokenError) Error() string { return e.code + ": " + e.description }

func invalidRequest(description string) *tokenError {
	return &tokenError{status: http.StatusBadRequest, code: codeInvalidRequest, description: description}
}

func invalidClient(description string) *tokenError {
	return &tokenError{status: http.StatusUnauthorized, code: codeInvalidClient, description: description}
}

type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
}

type errorResponse struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description,omitempty"`
}

// writeToken writes the RFC 6749 §5.1 success response.
func writeToken(w http.ResponseWriter, token string, expiresIn time.Duration) {
	writeJSON(w, http.StatusOK, tokenResponse{
		AccessToken: token,
		TokenType:   "Bearer",
		ExpiresIn:   int64(expiresIn / time.Second),
	})
}

// writeError writes e as the RFC 6749 §5.2 error response.
func writeError(w http.ResponseWriter, e *tokenError) {
	if e.status == http.StatusUnauthorized {
		// RFC 6749 §5.2: a 401 names the scheme the client should authenticate with.
		w.Header().Set("WWW-Authenticate", `Basic realm="scim-operator"`)
	}
	writeJSON(w, e.status, errorResponse{Error: e.code, ErrorDescription: e.description})
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	h := w.Header()
	h.Set("Content-Type", "application/json;charset=UTF-8")
	// RFC 6749 §5.1: a response carrying a token must not be cached by anyone.
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body) // the client has gone if this fails
}
