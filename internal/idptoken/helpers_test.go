package idptoken

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

const (
	testIssuer   = "https://sts.windows.net/tenant-id/"
	testAudience = "8adf8e6e-67b2-4cf2-a259-e3dc5476c621"
)

// testNow is the verifier's clock in tests; token times are relative to it.
var testNow = time.Unix(1_800_000_000, 0)

// signingKey is a private key and the kid and algorithm it signs with.
type signingKey struct {
	kid  string
	alg  jose.SignatureAlgorithm
	priv crypto.Signer
}

func newRSAKey(t *testing.T, kid string) signingKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return signingKey{kid: kid, alg: jose.RS256, priv: k}
}

func newECKey(t *testing.T, kid string) signingKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return signingKey{kid: kid, alg: jose.ES256, priv: k}
}

func newEdKey(t *testing.T, kid string) signingKey {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return signingKey{kid: kid, alg: jose.EdDSA, priv: k}
}

// jwk is the public half of k as a JWKS publishes it.
func (k signingKey) jwk() jose.JSONWebKey {
	return jose.JSONWebKey{Key: k.priv.Public(), KeyID: k.kid, Algorithm: string(k.alg), Use: "sig"}
}

// claims are a token's claims, with the ones Entra uses when there is no sub.
type claims struct {
	jwt.Claims
	AppID string `json:"appid,omitempty"`
	AZP   string `json:"azp,omitempty"`
}

// goodClaims are valid claims at testNow.
func goodClaims() claims {
	return claims{Claims: jwt.Claims{
		Issuer:    testIssuer,
		Audience:  jwt.Audience{testAudience},
		Subject:   "user-1",
		IssuedAt:  jwt.NewNumericDate(testNow.Add(-time.Minute)),
		NotBefore: jwt.NewNumericDate(testNow.Add(-time.Minute)),
		Expiry:    jwt.NewNumericDate(testNow.Add(time.Hour)),
	}}
}

// sign returns c signed by k with alg (k's own when empty).
func sign(t *testing.T, k signingKey, alg jose.SignatureAlgorithm, c claims) string {
	t.Helper()
	if alg == "" {
		alg = k.alg
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: k.priv, KeyID: k.kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	token, err := jwt.Signed(signer).Claims(c).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// unsigned returns c as an "alg: none" token: what an attacker sends to skip verification.
func unsigned(t *testing.T, kid string, c claims) string {
	t.Helper()
	header, err := json.Marshal(map[string]string{"alg": "none", "typ": "JWT", "kid": kid})
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding.EncodeToString
	return enc(header) + "." + enc(payload) + "."
}

// jwksServer serves a key set that tests may change, counting the requests.
type jwksServer struct {
	*httptest.Server
	requests atomic.Int32

	mu     sync.Mutex
	status int
	body   []byte
	delay  time.Duration
}

func newJWKSServer(t *testing.T, keys ...signingKey) *jwksServer {
	t.Helper()
	s := &jwksServer{}
	s.setKeys(t, keys...)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		s.mu.Lock()
		status, body, delay := s.status, s.body, s.delay
		s.mu.Unlock()
		time.Sleep(delay)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}))
	t.Cleanup(s.Close)
	return s
}

// setKeys makes the server publish the public halves of keys.
func (s *jwksServer) setKeys(t *testing.T, keys ...signingKey) {
	t.Helper()
	var set jose.JSONWebKeySet
	for _, k := range keys {
		set.Keys = append(set.Keys, k.jwk())
	}
	body, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	s.respond(http.StatusOK, body)
}

func (s *jwksServer) respond(status int, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status, s.body = status, body
}

func (s *jwksServer) config() Config {
	return Config{Issuer: testIssuer, Audiences: []string{testAudience}, JWKSURL: s.URL + "/keys"}
}

// clock is a settable clock for a verifier under test.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newTestVerifier returns a verifier whose clock starts at testNow.
func newTestVerifier(s *jwksServer) (*Verifier, *clock) {
	c := &clock{now: testNow}
	v := NewVerifier(nil)
	v.now = c.Now
	return v, c
}
