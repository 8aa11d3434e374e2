// Package oauth is the operator's own OAuth 2.0 token endpoint (RFC 6749) and the access tokens
// it issues. Identity providers that cannot hold a static bearer token (Oracle IAM's Generic
// SCIM templates) trade client credentials, or client and user credentials, for a short-lived
// token here and then call the SCIM API with it.
package oauth

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/scim-operator/scim-operator/internal/tenant"
)

const (
	// tokenIssuer and tokenAudience pin a token to this operator and to its SCIM API, so a
	// token made with the same key for another purpose is never taken for an access token.
	tokenIssuer   = "scim-operator"
	tokenAudience = "scim"
	// MinKeySize is the smallest HS256 key accepted: RFC 7518 §3.2 asks for the hash size.
	MinKeySize = 32
	// leeway absorbs clock skew between replicas of the operator.
	leeway = 30 * time.Second
)

// ErrInvalidToken means an access token is malformed, forged, expired or not meant for us.
// The wrapped text is safe to log; it never holds the token.
var ErrInvalidToken = errors.New("invalid access token")

// Issuer issues and verifies the operator's access tokens: HS256 JWTs. Every replica shares the
// key (see LoadOrCreateKey), so any replica verifies a token another issued.
type Issuer struct {
	key    []byte
	ttl    time.Duration
	signer jose.Signer
	now    func() time.Time // tests move the clock
}

// tokenClaims are the private claims naming the tenant: the client Secret's name, and its
// binding (tenant.Tenant.ClientBinding) keyed with the signing key, so that the token says
// nothing about the secret and stops working when the Secret is replaced or its secret rotated.
type tokenClaims struct {
	Namespace  string `json:"namespace"`
	Credential string `json:"credential"`
	Binding    []byte `json:"cbh"`
}

// NewIssuer returns an issuer signing with key (at least MinKeySize bytes) whose tokens live
// for ttl.
func NewIssuer(key []byte, ttl time.Duration) (*Issuer, error) {
	if len(key) < MinKeySize {
		return nil, fmt.Errorf("token signing key has %d bytes, want at least %d", len(key), MinKeySize)
	}
	if ttl <= 0 {
		return nil, fmt.Errorf("token lifetime %s is not positive", ttl)
	}
	key = append([]byte(nil), key...) // the caller's slice may change under us
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: key},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return nil, err
	}
	return &Issuer{key: key, ttl: ttl, signer: signer, now: time.Now}, nil
}

// Issue returns an access token for subject acting for t, and how long it is valid.
func (i *Issuer) Issue(t tenant.Tenant, subject string) (string, time.Duration, error) {
	if t.Namespace == "" || t.Credential == "" || len(t.ClientBinding) == 0 {
		return "", 0, errors.New("issuing a token for an incomplete tenant")
	}
	now := i.now()
	std := jwt.Claims{
		Issuer:    tokenIssuer,
		Audience:  jwt.Audience{tokenAudience},
		Subject:   subject,
		IssuedAt:  jwt.NewNumericDate(now),
		NotBefore: jwt.NewNumericDate(now),
		Expiry:    jwt.NewNumericDate(now.Add(i.ttl)),
	}
	token, err := jwt.Signed(i.signer).
		Claims(std).
		Claims(tokenClaims{Namespace: t.Namespace, Credential: t.Credential, Binding: i.keyedBinding(t.ClientBinding)}).
		Serialize()
	if err != nil {
		return "", 0, err
	}
	return token, i.ttl, nil
}

// Verify checks token and returns the tenant and subject it was issued for. Every failure
// wraps ErrInvalidToken.
func (i *Issuer) Verify(token string) (tenant.Tenant, string, error) {
	// Only HS256 parses: "none" and every other algorithm are refused before any key is used.
	parsed, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.HS256})
	if err != nil {
		return tenant.Tenant{}, "", fmt.Errorf("%w: malformed or not HS256", ErrInvalidToken)
	}
	var std jwt.Claims
	var own tokenClaims
	if err := parsed.Claims(i.key, &std, &own); err != nil {
		return tenant.Tenant{}, "", fmt.Errorf("%w: bad signature or claims", ErrInvalidToken)
	}
	if std.Expiry == nil {
		return tenant.Tenant{}, "", fmt.Errorf("%w: no expiry", ErrInvalidToken)
	}
	err = std.ValidateWithLeeway(jwt.Expected{
		Issuer:      tokenIssuer,
		AnyAudience: jwt.Audience{tokenAudience},
		Time:        i.now(),
	}, leeway)
	if err != nil {
		// go-jose's validation errors are constant texts, safe to log.
		return tenant.Tenant{}, "", fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	if own.Namespace == "" || own.Credential == "" || len(own.Binding) == 0 {
		return tenant.Tenant{}, "", fmt.Errorf("%w: no tenant", ErrInvalidToken)
	}
	return tenant.Tenant{Namespace: own.Namespace, Credential: own.Credential, ClientBinding: own.Binding}, std.Subject, nil
}

// Bound reports whether t, as Verify returned it, was issued for a client whose binding is
// binding now. Compared in constant time.
func (i *Issuer) Bound(t tenant.Tenant, binding []byte) bool {
	return len(binding) > 0 && hmac.Equal(t.ClientBinding, i.keyedBinding(binding))
}

// keyedBinding is what a token carries of a client binding: an HMAC under the signing key.
func (i *Issuer) keyedBinding(binding []byte) []byte {
	mac := hmac.New(sha256.New, i.key)
	mac.Write([]byte("client binding\x00"))
	mac.Write(binding)
	return mac.Sum(nil)
}
