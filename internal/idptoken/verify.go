// Package idptoken verifies JWTs that an identity provider issues itself (Microsoft Entra ID
// calls the SCIM API with such tokens), against the provider's published JSON Web Key Set.
package idptoken

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
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
	// ErrInsufficientScope means a valid token lacks a role the tenant requires (RFC 6750
	// insufficient_scope: 403, not 401).
	ErrInsufficientScope = errors.New("identity provider token lacks a required role")
)

// Config is what a tenant trusts: tokens of Issuer, for one of Audiences, signed by a key
// published at JWKSURL; when set, only of AllowedClientIDs and carrying every RequiredRoles.
type Config struct {
	Issuer    string
	Audiences []string
	JWKSURL   string
	// AllowedClientIDs, when not empty, lists the client applications whose tokens are
	// accepted: every one of the token's azp, appid and client_id claims that is present must
	// be listed, and one must be present. Without it, any application the provider lets ask
	// for a token of the audience gets in.
	AllowedClientIDs []string
	// RequiredRoles, when not empty, must all be in the token's roles claim.
	RequiredRoles []string
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

// extraClaims name the client application (Entra: appid in v1 tokens, azp in v2; RFC 9068:
// client_id), which also names the caller when sub is absent, and its roles.
type extraClaims struct {
	AppID    string     `json:"appid"`
	AZP      string     `json:"azp"`
	ClientID string     `json:"client_id"`
	Roles    stringList `json:"roles"`
}

// stringList is a claim that providers send as an array of strings or as one string.
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*l = stringList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("roles is neither a string nor an array of strings")
	}
	*l = many
	return nil
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
	if err := checkClient(cfg.AllowedClientIDs, extra); err != nil {
		return "", err
	}
	for _, role := range cfg.RequiredRoles {
		if !slices.Contains(extra.Roles, role) {
			return "", fmt.Errorf("%w: no role %q", ErrInsufficientScope, role)
		}
	}
	for _, subject := range []string{std.Subject, extra.AppID, extra.AZP} {
		if subject != "" {
			return subject, nil
		}
	}
	return "", fmt.Errorf("%w: no sub, appid or azp claim", ErrInvalidToken)
}

// checkClient refuses a token of a client application not in allowed (when allowed is set).
func checkClient(allowed []string, extra extraClaims) error {
	if len(allowed) == 0 {
		return nil
	}
	named := false
	for _, id := range []string{extra.AZP, extra.AppID, extra.ClientID} {
		if id == "" {
			continue
		}
		if !slices.Contains(allowed, id) {
			return fmt.Errorf("%w: client application %q is not allowed", ErrInvalidToken, id)
		}
		named = true
	}
	if !named {
		return fmt.Errorf("%w: no azp, appid or client_id claim names the client application", ErrInvalidToken)
	}
	return nil
}

// Unverified returns the unverified "iss" and "aud" claims of raw, to choose which tenant's
// Config to verify it against. Nothing about the token is trusted yet.
func Unverified(raw string) (issuer string, audiences []string, err error) {
	tok, err := jwt.ParseSigned(raw, algorithms)
	if err != nil {
		return "", nil, fmt.Errorf("%w: malformed, or not signed with an allowed asymmetric algorithm", ErrInvalidToken)
	}
	var std jwt.Claims
	if err := tok.UnsafeClaimsWithoutVerification(&std); err != nil {
		return "", nil, fmt.Errorf("%w: malformed claims", ErrInvalidToken)
	}
	if std.Issuer == "" {
		return "", nil, fmt.Errorf("%w: no iss claim", ErrInvalidToken)
	}
	return std.Issuer, std.Audience, nil
}
