// Package idptoken verifies JWTs that an identity provider issues itself (Microsoft Entra ID
// calls the SCIM API with such tokens), against the provider's published JSON Web Key Set.
package idptoken

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// leeway absorbs clock skew between the identity provider and us.
const leeway = 60 * time.Second

// algorithms are the signature algorithms accepted: asymmetric only. An HMAC algorithm would
// let anyone who knows the provider's public key (everyone) sign; "none" signs nothing.
var algorithms = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512,
	jose.PS256,
	jose.ES256, jose.ES384,
	jose.EdDSA,
}

var (
	// ErrInvalidToken means the token is malformed, badly signed, expired, or not meant for
	// the configured issuer and audiences. The wrapped reason is safe to log; it never holds
	// the token.
	ErrInvalidToken = errors.New("invalid identity provider token")
	// ErrKeysUnavailable means the provider's keys could not be fetched, so the token could
	// not be judged either way: the caller should answer "try again", not "unauthorized".
	ErrKeysUnavailable = errors.New("identity provider keys unavailable")
)

// Config is what a tenant trusts: tokens of Issuer, for one of Audiences, signed by a key
// published at JWKSURL.
type Config struct {
	Issuer    string
	Audiences []string
	JWKSURL   string
}

// Verifier verifies identity provider tokens, caching each provider's keys. It is safe for
// concurrent use; one Verifier serves every tenant.
type Verifier struct {
	keys *keyCache
	now  func() time.Time // tests move the clock
}

// NewVerifier returns a verifier fetching keys with httpClient, which should come from
// NewHTTPClient (nil means NewHTTPClient(nil)). Whatever the client, redirects to another
// scheme or host are refused and each fetch is bounded by its own timeout.
func NewVerifier(httpClient *http.Client) *Verifier {
	if httpClient == nil {
		httpClient = NewHTTPClient(nil)
	}
	c := *httpClient
	c.CheckRedirect = sameOrigin
	httpClient = &c
	v := &Verifier{now: time.Now}
	v.keys = newKeyCache(httpClient, func() time.Time { return v.now() })
	return v
}

// extraClaims are the claims naming the caller when sub is absent: Entra's app-only tokens
// name the application in appid (v1) or azp (v2).
type extraClaims struct {
	AppID string `json:"appid"`
	AZP   string `json:"azp"`
}

// Verify checks raw against cfg and returns its subject: sub, or appid or azp when sub is
// absent. A bad token wraps ErrInvalidToken; keys that cannot be fetched wrap
// ErrKeysUnavailable.
func (v *Verifier) Verify(ctx context.Context, raw string, cfg Config) (string, error) {
	if cfg.Issuer == "" || len(cfg.Audiences) == 0 || cfg.JWKSURL == "" {
		// go-jose skips checks whose expected value is empty: refuse rather than accept all.
		return "", errors.New("identity provider configuration needs an issuer, audiences and a JWKS URL")
	}
	tok, err := jwt.ParseSigned(raw, algorithms)
	if err != nil {
		return "", fmt.Errorf("%w: malformed, or not signed with an allowed asymmetric algorithm", ErrInvalidToken)
	}
	header := tok.Headers[0] // compact serialization: exactly one signature
	key, err := v.keys.key(ctx, cfg.JWKSURL, header.KeyID, header.Algorithm)
	if err != nil {
		return "", err
	}
	var std jwt.Claims
	var extra extraClaims
	if err := tok.Claims(key, &std, &extra); err != nil {
		return "", fmt.Errorf("%w: bad signature or claims", ErrInvalidToken)
	}
	if std.Expiry == nil {
		return "", fmt.Errorf("%w: no expiry", ErrInvalidToken)
	}
	err = std.ValidateWithLeeway(jwt.Expected{
		Issuer:      cfg.Issuer,
		AnyAudience: jwt.Audience(cfg.Audiences),
		Time:        v.now(),
	}, leeway)
	if err != nil {
		// go-jose's validation errors are constant texts, safe to log.
		return "", fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	for _, subject := range []string{std.Subject, extra.AppID, extra.AZP} {
		if subject != "" {
			return subject, nil
		}
	}
	return "", fmt.Errorf("%w: no sub, appid or azp claim", ErrInvalidToken)
}

// Issuer returns the unverified "iss" claim of raw, to choose which tenant's Config to verify
// it against. Nothing about the token is trusted yet.
func Issuer(raw string) (string, error) {
	tok, err := jwt.ParseSigned(raw, algorithms)
	if err != nil {
		return "", fmt.Errorf("%w: malformed, or not signed with an allowed asymmetric algorithm", ErrInvalidToken)
	}
	var std jwt.Claims
	if err := tok.UnsafeClaimsWithoutVerification(&std); err != nil {
		return "", fmt.Errorf("%w: malformed claims", ErrInvalidToken)
	}
	if std.Issuer == "" {
		return "", fmt.Errorf("%w: no iss claim", ErrInvalidToken)
	}
	return std.Issuer, nil
}
