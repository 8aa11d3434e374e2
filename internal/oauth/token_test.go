package oauth

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/scim-operator/scim-operator/internal/tenant"
)

var (
	testKey    = bytes.Repeat([]byte("k"), 32)
	testTenant = tenant.Tenant{Namespace: "team-a", Credential: "oracle-client", ClientBinding: []byte("binding of oracle-client")}
	testNow    = time.Unix(1_800_000_000, 0)
)

// newTestIssuer returns an issuer of hour-long tokens whose clock reads *now.
func newTestIssuer(t *testing.T, key []byte, now *time.Time) *Issuer {
	t.Helper()
	i, err := NewIssuer(key, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	i.now = func() time.Time { return *now }
	return i
}

// forge signs claims with key and alg: a token this package did not issue.
func forge(t *testing.T, key []byte, alg jose.SignatureAlgorithm, claims ...any) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b := jwt.Signed(signer)
	for _, c := range claims {
		b = b.Claims(c)
	}
	token, err := b.Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// validClaims are the claims Issue would write at testNow, to change one at a time.
func validClaims() (jwt.Claims, tokenClaims) {
	return jwt.Claims{
		Issuer:    tokenIssuer,
		Audience:  jwt.Audience{tokenAudience},
		Subject:   "client-1",
		NotBefore: jwt.NewNumericDate(testNow),
		Expiry:    jwt.NewNumericDate(testNow.Add(time.Hour)),
	}, tokenClaims{Namespace: testTenant.Namespace, Credential: testTenant.Credential}
}

func TestIssueVerify(t *testing.T) {
	now := testNow
	issuer := newTestIssuer(t, testKey, &now)
	issued, expiresIn, err := issuer.Issue(testTenant, "client-1")
	if err != nil {
		t.Fatal(err)
	}
	if expiresIn != time.Hour {
		t.Errorf("Issue(...) expiresIn = %s, want %s", expiresIn, time.Hour)
	}

	std, own := validClaims()
	wrongAudience := std
	wrongAudience.Audience = jwt.Audience{"kubernetes"}
	wrongIssuer := std
	wrongIssuer.Issuer = "someone-else"
	noExpiry := std
	noExpiry.Expiry = nil

	// Tampering: swap the payload for one naming another tenant, keep the signature.
	parts := strings.Split(issued, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	payload = bytes.Replace(payload, []byte(`"team-a"`), []byte(`"team-b"`), 1)
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString(payload) + "." + parts[2]

	noneHeader := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
	unsigned := noneHeader + "." + parts[1] + "."

	type result struct {
		Tenant  tenant.Tenant
		Subject string
	}
	cases := map[string]struct {
		reason  string
		token   string
		at      time.Time
		want    result
		wantErr error
	}{
		"issued": {
			reason: "a token just issued verifies and names its tenant and subject.",
			token:  issued,
			at:     testNow,
			want:   result{Tenant: testTenant, Subject: "client-1"},
		},
		"expiring within leeway": {
			reason: "30 s of clock skew between replicas are forgiven.",
			token:  issued,
			at:     testNow.Add(time.Hour + 29*time.Second),
			want:   result{Tenant: testTenant, Subject: "client-1"},
		},
		"expired": {
			reason:  "a token past its expiry and the leeway is refused.",
			token:   issued,
			at:      testNow.Add(time.Hour + 31*time.Second),
			wantErr: ErrInvalidToken,
		},
		"not yet valid": {
			reason:  "a token whose nbf is further ahead than the leeway is refused.",
			token:   issued,
			at:      testNow.Add(-time.Minute),
			wantErr: ErrInvalidToken,
		},
		"another key": {
			reason:  "a token signed with another key is refused.",
			token:   forge(t, bytes.Repeat([]byte("x"), 32), jose.HS256, std, own),
			at:      testNow,
			wantErr: ErrInvalidToken,
		},
		"alg none": {
			reason:  "an unsigned token is refused.",
			token:   unsigned,
			at:      testNow,
			wantErr: ErrInvalidToken,
		},
		"another HMAC": {
			reason:  "HS512, even with our key, is not the algorithm we issue.",
			token:   forge(t, append(bytes.Clone(testKey), testKey...), jose.HS512, std, own),
			at:      testNow,
			wantErr: ErrInvalidToken,
		},
		"tampered payload": {
			reason:  "changing the claims breaks the signature.",
			token:   tampered,
			at:      testNow,
			wantErr: ErrInvalidToken,
		},
		"wrong audience": {
			reason:  "a token of our key but for another audience is not an access token.",
			token:   forge(t, testKey, jose.HS256, wrongAudience, own),
			at:      testNow,
			wantErr: ErrInvalidToken,
		},
		"wrong issuer": {
			reason:  "a token of our key but another issuer is refused.",
			token:   forge(t, testKey, jose.HS256, wrongIssuer, own),
			at:      testNow,
			wantErr: ErrInvalidToken,
		},
		"no expiry": {
			reason:  "a token that never expires is refused.",
			token:   forge(t, testKey, jose.HS256, noExpiry, own),
			at:      testNow,
			wantErr: ErrInvalidToken,
		},
		"no tenant": {
			reason:  "a token that names no tenant is refused.",
			token:   forge(t, testKey, jose.HS256, std),
			at:      testNow,
			wantErr: ErrInvalidToken,
		},
		"malformed": {
			reason:  "a string that is not a JWS is refused.",
			token:   "not-a-token",
			at:      testNow,
			wantErr: ErrInvalidToken,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			at := tc.at
			verifier := newTestIssuer(t, testKey, &at)
			gotTenant, gotSubject, err := verifier.Verify(tc.token)
			if diff := cmp.Diff(tc.wantErr, err, cmpopts.EquateErrors()); diff != "" {
				t.Errorf("%s\nVerify(...): -want error, +got error:\n%s", tc.reason, diff)
			}
			// The binding comes back keyed; TestTokenBoundToClient checks it.
			ignoreBinding := cmpopts.IgnoreFields(tenant.Tenant{}, "ClientBinding")
			if diff := cmp.Diff(tc.want, result{Tenant: gotTenant, Subject: gotSubject}, ignoreBinding); diff != "" {
				t.Errorf("%s\nVerify(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestIssuedClaims(t *testing.T) {
	now := testNow
	token, _, err := newTestIssuer(t, testKey, &now).Issue(testTenant, "client-1")
	if err != nil {
		t.Fatal(err)
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[1])
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(payload, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"iss": "scim-operator", "aud": "scim", "sub": "client-1",
		"iat": float64(testNow.Unix()), "nbf": float64(testNow.Unix()), "exp": float64(testNow.Add(time.Hour).Unix()),
		"namespace": "team-a", "credential": "oracle-client",
	}
	binding, _ := got["cbh"].(string)
	delete(got, "cbh")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the claims of an issued token carry the tenant's names, its client binding and nothing else: -want, +got:\n%s", diff)
	}
	if binding == "" || strings.Contains(string(payload), base64.StdEncoding.EncodeToString(testTenant.ClientBinding)) {
		t.Errorf("claim cbh = %q: want the client binding, keyed, never in clear", binding)
	}
}

func TestNewIssuer(t *testing.T) {
	cases := map[string]struct {
		reason  string
		key     []byte
		ttl     time.Duration
		wantErr bool
	}{
		"good": {
			reason: "a 32-byte key and a positive lifetime make an issuer.",
			key:    testKey,
			ttl:    time.Hour,
		},
		"short key": {
			reason:  "HS256 needs at least 32 bytes of key (RFC 7518 §3.2).",
			key:     testKey[:31],
			ttl:     time.Hour,
			wantErr: true,
		},
		"no lifetime": {
			reason:  "a token must expire.",
			key:     testKey,
			wantErr: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := NewIssuer(tc.key, tc.ttl)
			if gotErr := err != nil; gotErr != tc.wantErr {
				t.Errorf("%s\nNewIssuer(...) error = %v, want error: %t", tc.reason, err, tc.wantErr)
			}
		})
	}
}

func TestIssuerCopiesKey(t *testing.T) {
	key := bytes.Clone(testKey)
	now := testNow
	issuer := newTestIssuer(t, key, &now)
	token, _, err := issuer.Issue(testTenant, "client-1")
	if err != nil {
		t.Fatal(err)
	}
	key[0] ^= 0xff // the caller reuses its buffer
	if _, _, err := issuer.Verify(token); err != nil {
		t.Errorf("Verify(...) after the caller changed its key slice = %v, want the issuer's own copy used", err)
	}
}

func TestIssueIncompleteTenant(t *testing.T) {
	now := testNow
	issuer := newTestIssuer(t, testKey, &now)
	for _, tn := range []tenant.Tenant{
		{Namespace: "team-a", ClientBinding: []byte("b")},
		{Credential: "oracle-client", ClientBinding: []byte("b")},
		{Namespace: "team-a", Credential: "oracle-client"},
	} {
		if _, _, err := issuer.Issue(tn, "client-1"); err == nil {
			t.Errorf("Issue(%+v) succeeded; a token must name a namespace, a credential and its client binding", tn)
		}
	}
}

func TestTokenBoundToClient(t *testing.T) {
	now := testNow
	issuer := newTestIssuer(t, testKey, &now)
	token, _, err := issuer.Issue(testTenant, "client-1")
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := issuer.Verify(token)
	if err != nil {
		t.Fatal(err)
	}
	if !issuer.Bound(got, testTenant.ClientBinding) {
		t.Errorf("Bound(token, the binding it was issued for) = false, want true")
	}
	for reason, binding := range map[string][]byte{
		"the client's secret was rotated, or its Secret recreated": []byte("binding after rotation"),
		"no binding": nil,
	} {
		if issuer.Bound(got, binding) {
			t.Errorf("%s: Bound(...) = true, want false", reason)
		}
	}
	other := newTestIssuer(t, bytes.Repeat([]byte("o"), 32), &now)
	if other.Bound(got, testTenant.ClientBinding) {
		t.Errorf("Bound(...) under another signing key = true: the binding must be keyed")
	}
}
