package oauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	"github.com/google/go-cmp/cmp"

	"github.com/scim-operator/scim-operator/internal/tenant"
)

const (
	// The secrets of the test clients: they must never show up in a response or a log line.
	clientSecret = "s3cret:with+odd&chars"
	userPassword = "hunter2-password"
)

var (
	clientTenant = tenant.Tenant{Namespace: "team-a", Credential: "oracle-client", ClientBinding: []byte("binding of oracle-client")}
	// errAPIDown is a Verifier failure that is nobody's credentials' fault.
	errAPIDown = errors.New("the API server is unreachable")
)

// fakeVerifier knows one client, "oracle", which may also use the password grant for "alice".
// The client "broken" makes it fail as if the API server were down.
type fakeVerifier struct{}

func (fakeVerifier) Client(_ context.Context, id, secret string) (tenant.Tenant, error) {
	switch {
	case id == "broken":
		return tenant.Tenant{}, errAPIDown
	case id != "oracle" || secret != clientSecret:
		return tenant.Tenant{}, ErrInvalidClient
	}
	return clientTenant, nil
}

func (v fakeVerifier) ResourceOwner(ctx context.Context, id, secret, username, password string) (tenant.Tenant, error) {
	t, err := v.Client(ctx, id, secret)
	if err != nil {
		return tenant.Tenant{}, err
	}
	if username != "alice" || password != userPassword {
		return tenant.Tenant{}, ErrInvalidGrant
	}
	return t, nil
}

// testRequest describes a request to the token endpoint.
type testRequest struct {
	method      string // POST when empty
	contentType string // form when empty
	query       string
	basicID     string // with basicSecret, sent form-urlencoded in HTTP Basic
	basicSecret string
	authz       string // a raw Authorization header
	form        url.Values
	body        string // instead of form
}

func (r testRequest) build() *http.Request {
	method := r.method
	if method == "" {
		method = http.MethodPost
	}
	body := r.body
	if body == "" {
		body = r.form.Encode()
	}
	req := httptest.NewRequest(method, "/oauth2/token?"+r.query, strings.NewReader(body))
	ct := r.contentType
	if ct == "" {
		ct = "application/x-www-form-urlencoded"
	}
	req.Header.Set("Content-Type", ct)
	if r.basicID != "" || r.basicSecret != "" {
		req.SetBasicAuth(url.QueryEscape(r.basicID), url.QueryEscape(r.basicSecret))
	}
	if r.authz != "" {
		req.Header.Set("Authorization", r.authz)
	}
	return req
}

// outcome is what a test compares of a response; a token is verified, not compared.
type outcome struct {
	Status          int
	Error           string
	WWWAuthenticate string
	TokenType       string
	ExpiresIn       int64
	Tenant          tenant.Tenant
	Subject         string
}

func success(subject string) outcome {
	return outcome{Status: http.StatusOK, TokenType: "Bearer", ExpiresIn: 3600, Tenant: clientTenant, Subject: subject}
}

func failure(status int, code string) outcome {
	o := outcome{Status: status, Error: code}
	if status == http.StatusUnauthorized {
		o.WWWAuthenticate = `Basic realm="scim-operator"`
	}
	return o
}

func form(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}

func TestTokenHandler(t *testing.T) {
	clientCreds := form("grant_type", "client_credentials")
	cases := map[string]struct {
		reason string
		req    testRequest
		want   outcome
	}{
		"client credentials, Basic": {
			reason: "a client authenticating with HTTP Basic gets a token for its tenant, naming it.",
			req:    testRequest{basicID: "oracle", basicSecret: clientSecret, form: clientCreds},
			want:   success("oracle"),
		},
		"client credentials, form": {
			reason: "a client may send client_id and client_secret in the body instead.",
			req:    testRequest{form: form("grant_type", "client_credentials", "client_id", "oracle", "client_secret", clientSecret)},
			want:   success("oracle"),
		},
		"client credentials, scope": {
			reason: "a scope is accepted and ignored.",
			req:    testRequest{basicID: "oracle", basicSecret: clientSecret, form: form("grant_type", "client_credentials", "scope", "urn:scim")},
			want:   success("oracle"),
		},
		"client credentials, Basic and the same client_id": {
			reason: "a body client_id repeating the Basic one authenticates nothing more and is tolerated.",
			req:    testRequest{basicID: "oracle", basicSecret: clientSecret, form: form("grant_type", "client_credentials", "client_id", "oracle")},
			want:   success("oracle"),
		},
		"client credentials, wrong secret": {
			reason: "a wrong client secret is invalid_client, 401 with a Basic challenge.",
			req:    testRequest{basicID: "oracle", basicSecret: "guess", form: clientCreds},
			want:   failure(http.StatusUnauthorized, "invalid_client"),
		},
		"client credentials, unknown client": {
			reason: "an unknown client is invalid_client.",
			req:    testRequest{form: form("grant_type", "client_credentials", "client_id", "nobody", "client_secret", clientSecret)},
			want:   failure(http.StatusUnauthorized, "invalid_client"),
		},
		"no client authentication": {
			reason: "a request without client credentials is invalid_client (RFC 6749 §5.2).",
			req:    testRequest{form: clientCreds},
			want:   failure(http.StatusUnauthorized, "invalid_client"),
		},
		"not Basic": {
			reason: "an Authorization header that is not HTTP Basic does not authenticate a client.",
			req:    testRequest{authz: "Bearer abc", form: clientCreds},
			want:   failure(http.StatusUnauthorized, "invalid_client"),
		},
		"Basic not form-encoded": {
			reason: "Basic credentials are form-urlencoded first (RFC 6749 §2.3.1); a bad escape is refused.",
			req:    testRequest{authz: "Basic b3JhY2xlOiV6eg==", form: clientCreds}, // oracle:%zz
			want:   failure(http.StatusUnauthorized, "invalid_client"),
		},
		"both client authentication methods": {
			reason: "a client must not use Basic and body credentials together (RFC 6749 §2.3).",
			req:    testRequest{basicID: "oracle", basicSecret: clientSecret, form: form("grant_type", "client_credentials", "client_id", "oracle", "client_secret", clientSecret)},
			want:   failure(http.StatusBadRequest, "invalid_request"),
		},
		"Basic and another client_id": {
			reason: "a body client_id contradicting the Basic one is ambiguous.",
			req:    testRequest{basicID: "oracle", basicSecret: clientSecret, form: form("grant_type", "client_credentials", "client_id", "other")},
			want:   failure(http.StatusBadRequest, "invalid_request"),
		},
		"client_secret without client_id": {
			reason: "a secret alone names no client.",
			req:    testRequest{form: form("grant_type", "client_credentials", "client_secret", clientSecret)},
			want:   failure(http.StatusBadRequest, "invalid_request"),
		},
		"password": {
			reason: "a client with a user's credentials gets a token naming the user.",
			req:    testRequest{basicID: "oracle", basicSecret: clientSecret, form: form("grant_type", "password", "username", "alice", "password", userPassword)},
			want:   success("alice"),
		},
		"password, form client": {
			reason: "the password grant takes body client credentials too.",
			req:    testRequest{form: form("grant_type", "password", "client_id", "oracle", "client_secret", clientSecret, "username", "alice", "password", userPassword)},
			want:   success("alice"),
		},
		"password, wrong password": {
			reason: "wrong resource owner credentials are invalid_grant, 400.",
			req:    testRequest{basicID: "oracle", basicSecret: clientSecret, form: form("grant_type", "password", "username", "alice", "password", "guess")},
			want:   failure(http.StatusBadRequest, "invalid_grant"),
		},
		"password, wrong client": {
			reason: "a bad client is invalid_client even with good user credentials.",
			req:    testRequest{basicID: "oracle", basicSecret: "guess", form: form("grant_type", "password", "username", "alice", "password", userPassword)},
			want:   failure(http.StatusUnauthorized, "invalid_client"),
		},
		"password, no username": {
			reason: "the password grant requires username and password.",
			req:    testRequest{basicID: "oracle", basicSecret: clientSecret, form: form("grant_type", "password", "password", userPassword)},
			want:   failure(http.StatusBadRequest, "invalid_request"),
		},
		"unsupported grant": {
			reason: "only client_credentials and password are served.",
			req:    testRequest{basicID: "oracle", basicSecret: clientSecret, form: form("grant_type", "authorization_code", "code", "x")},
			want:   failure(http.StatusBadRequest, "unsupported_grant_type"),
		},
		"no grant type": {
			reason: "grant_type is required.",
			req:    testRequest{basicID: "oracle", basicSecret: clientSecret, form: form("scope", "x")},
			want:   failure(http.StatusBadRequest, "invalid_request"),
		},
		"repeated parameter": {
			reason: "a parameter sent twice is ambiguous (RFC 6749 §3.2).",
			req:    testRequest{basicID: "oracle", basicSecret: clientSecret, form: form("grant_type", "client_credentials", "grant_type", "password")},
			want:   failure(http.StatusBadRequest, "invalid_request"),
		},
		"secret in the URL": {
			reason: "credentials in the query string leak into logs and are refused.",
			req:    testRequest{query: "client_secret=" + url.QueryEscape(clientSecret), form: form("grant_type", "client_credentials", "client_id", "oracle")},
			want:   failure(http.StatusBadRequest, "invalid_request"),
		},
		"GET": {
			reason: "the token endpoint takes POST only.",
			req:    testRequest{method: http.MethodGet, basicID: "oracle", basicSecret: clientSecret},
			want:   failure(http.StatusMethodNotAllowed, "invalid_request"),
		},
		"JSON body": {
			reason: "the body must be form-urlencoded.",
			req:    testRequest{contentType: "application/json", basicID: "oracle", basicSecret: clientSecret, body: `{"grant_type":"client_credentials"}`},
			want:   failure(http.StatusBadRequest, "invalid_request"),
		},
		"huge body": {
			reason: "the body is bounded.",
			req:    testRequest{basicID: "oracle", basicSecret: clientSecret, body: "grant_type=client_credentials&scope=" + strings.Repeat("a", maxRequestBody)},
			want:   failure(http.StatusBadRequest, "invalid_request"),
		},
		"verifier down": {
			reason: "a failure to check credentials is ours: server_error, not a verdict on the client.",
			req:    testRequest{basicID: "broken", basicSecret: clientSecret, form: clientCreds},
			want:   failure(http.StatusInternalServerError, "server_error"),
		},
	}
	now := testNow
	issuer := newTestIssuer(t, testKey, &now)
	handler := issuer.TokenHandler(fakeVerifier{})
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var logs bytes.Buffer
			log := funcr.New(func(prefix, args string) { logs.WriteString(prefix + args + "\n") }, funcr.Options{Verbosity: 9})
			req := tc.req.build()
			req = req.WithContext(logr.NewContext(req.Context(), log))
			rec := httptest.NewRecorder()
			handler.ServeHTTP(rec, req)

			got := outcomeOf(t, issuer, rec)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nresponse: -want, +got:\n%s\nbody: %s", tc.reason, diff, rec.Body)
			}
			for _, h := range []string{"Cache-Control: no-store", "Pragma: no-cache", "Content-Type: application/json;charset=UTF-8"} {
				name, value, _ := strings.Cut(h, ": ")
				if got := rec.Header().Get(name); got != value {
					t.Errorf("%s\nheader %s = %q, want %q", tc.reason, name, got, value)
				}
			}
			for _, secret := range []string{clientSecret, url.QueryEscape(clientSecret), userPassword} {
				if strings.Contains(rec.Body.String(), secret) || strings.Contains(logs.String(), secret) {
					t.Errorf("%s\na credential was echoed or logged:\nbody: %s\nlogs: %s", tc.reason, rec.Body, &logs)
				}
			}
		})
	}
}

// outcomeOf reads a token endpoint response, verifying the token of a success.
func outcomeOf(t *testing.T, issuer *Issuer, rec *httptest.ResponseRecorder) outcome {
	t.Helper()
	var body struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int64  `json:"expires_in"`
		Error       string `json:"error"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("response body %q: %v", rec.Body, err)
	}
	o := outcome{
		Status:          rec.Code,
		Error:           body.Error,
		WWWAuthenticate: rec.Header().Get("WWW-Authenticate"),
		TokenType:       body.TokenType,
		ExpiresIn:       body.ExpiresIn,
	}
	if body.AccessToken != "" {
		var err error
		if o.Tenant, o.Subject, err = issuer.Verify(body.AccessToken); err != nil {
			t.Errorf("the issued token does not verify: %v", err)
		}
		if !issuer.Bound(o.Tenant, clientTenant.ClientBinding) {
			t.Errorf("the issued token is not bound to the client that obtained it")
		}
		o.Tenant.ClientBinding = clientTenant.ClientBinding // checked just above; keyed in the token
	}
	return o
}
