package oauth

import (
	"errors"
	"mime"
	"net/http"
	"net/url"
)

// maxRequestBody bounds a token request: a handful of short parameters.
const maxRequestBody = 64 << 10

// tokenRequest is a parsed token request. Its secrets live only as long as the request.
type tokenRequest struct {
	grantType    string
	clientID     string
	clientSecret string
	username     string
	password     string
}

// singleParams may appear at most once (RFC 6749 §3.2): a repeat is ambiguous.
var singleParams = []string{"grant_type", "client_id", "client_secret", "username", "password", "scope"}

// parseTokenRequest reads the form and the client's credentials from r.
func parseTokenRequest(w http.ResponseWriter, r *http.Request) (*tokenRequest, *tokenError) {
	mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mediaType != "application/x-www-form-urlencoded" {
		return nil, invalidRequest("the body must be application/x-www-form-urlencoded")
	}
	// Secrets in the URL end up in access logs and proxies (RFC 6749 §2.3.1, §3.2).
	if q := r.URL.Query(); q.Has("client_secret") || q.Has("password") {
		return nil, invalidRequest("credentials must be sent in the body, not the URL")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxRequestBody)
	if err := r.ParseForm(); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, invalidRequest("the body is too large")
		}
		return nil, invalidRequest("the body is not a valid form")
	}
	form := r.PostForm // only the body: parameters in the query are not part of the request
	for _, name := range singleParams {
		if len(form[name]) > 1 {
			return nil, invalidRequest("parameter " + name + " is repeated")
		}
	}
	req := &tokenRequest{
		grantType: form.Get("grant_type"),
		username:  form.Get("username"),
		password:  form.Get("password"),
	}
	if err := clientCredentials(r, form, req); err != nil {
		return nil, err
	}
	return req, nil
}

// clientCredentials fills in the client's id and secret from HTTP Basic or from the body
// (RFC 6749 §2.3.1). A client uses one method only; a body client_id that repeats the Basic
// one is tolerated, since some clients send it along and it authenticates nothing.
func clientCredentials(r *http.Request, form url.Values, req *tokenRequest) *tokenError {
	formID, formSecret := form.Get("client_id"), form.Get("client_secret")
	if r.Header.Get("Authorization") == "" {
		if form.Has("client_secret") && formID == "" {
			return invalidRequest("client_secret without client_id")
		}
		req.clientID, req.clientSecret = formID, formSecret
		if req.clientID == "" || req.clientSecret == "" {
			return invalidClient("client authentication is required")
		}
		return nil
	}
	id, secret, ok := basicAuth(r)
	if !ok {
		return invalidClient("the Authorization header is not valid HTTP Basic client authentication")
	}
	if form.Has("client_secret") || (form.Has("client_id") && formID != id) {
		return invalidRequest("use either HTTP Basic or client_id and client_secret in the body, not both")
	}
	if id == "" || secret == "" {
		return invalidClient("client authentication is required")
	}
	req.clientID, req.clientSecret = id, secret
	return nil
}

// basicAuth returns the Basic credentials of r. RFC 6749 §2.3.1 has the client form-urlencode
// its id and secret before Basic encoding, so they are decoded once more here.
func basicAuth(r *http.Request) (id, secret string, ok bool) {
	rawID, rawSecret, ok := r.BasicAuth()
	if !ok {
		return "", "", false
	}
	id, err := url.QueryUnescape(rawID)
	if err != nil {
		return "", "", false
	}
	secret, err = url.QueryUnescape(rawSecret)
	if err != nil {
		return "", "", false
	}
	return id, secret, true
}
