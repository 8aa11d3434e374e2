package tenant

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/scim-operator/scim-operator/internal/idptoken"
	"github.com/scim-operator/scim-operator/internal/scimerr"
)

// Errors of the OAuth grants, which the token endpoint maps to RFC 6749 errors.
var (
	ErrInvalidClient = errors.New("invalid client")
	ErrInvalidGrant  = errors.New("invalid resource owner credentials")
	// ErrInsufficientScope means a valid identity provider token lacks a role its tenant
	// requires: 403 (RFC 6750 insufficient_scope), not 401.
	ErrInsufficientScope = errors.New("insufficient scope")
)

// AccessTokens verifies the access tokens the operator's token endpoint issued.
type AccessTokens interface {
	Verify(token string) (t Tenant, subject string, err error)
	// Bound reports whether t, as Verify returned it, was issued for a client whose
	// ClientBinding is binding.
	Bound(t Tenant, binding []byte) bool
}

// Authenticator resolves credentials to tenants, reading credential Secrets and ScimTenants
// from the cache.
type Authenticator struct {
	reader client.Reader
	// tokens verifies access tokens of the operator's own token endpoint; nil disables them.
	tokens AccessTokens
	// idp verifies access tokens identity providers issue; nil disables them.
	idp *idptoken.Verifier
}

// NewAuthenticator returns an authenticator reading through reader (the cache). The options
// that turn off read-your-writes waits below are for a caching client; the cache ignores them.
func NewAuthenticator(reader client.Reader, tokens AccessTokens, idp *idptoken.Verifier) *Authenticator {
	return &Authenticator{reader: reader, tokens: tokens, idp: idp}
}

// Bearer authenticates a bearer token: a static token of a credential Secret, an access token
// of the operator's token endpoint, or a JWT of an identity provider a ScimTenant trusts.
// Rotating is adding a second Secret, then deleting the first: both work meanwhile.
func (a *Authenticator) Bearer(ctx context.Context, token string) (Tenant, error) {
	if token == "" {
		return Tenant{}, ErrUnauthenticated
	}
	if s, err := a.match(ctx, MethodBearer, []byte(token), func(s *corev1.Secret) bool { return equal(s.Data[TokenKey], token) }); err != nil {
		return Tenant{}, err
	} else if s != nil {
		return Tenant{Namespace: s.Namespace, Credential: s.Name}, nil
	}
	if strings.Count(token, ".") != 2 {
		return Tenant{}, ErrUnauthenticated
	}
	if a.tokens != nil {
		if t, _, err := a.tokens.Verify(token); err == nil {
			return t, a.stillBound(ctx, t)
		}
	}
	return a.idpToken(ctx, token)
}

// Basic authenticates an HTTP Basic user name and password.
func (a *Authenticator) Basic(ctx context.Context, username, password string) (Tenant, error) {
	s, err := a.match(ctx, MethodBasic, []byte(username), func(s *corev1.Secret) bool { return equal(s.Data[PasswordKey], password) })
	if err != nil {
		return Tenant{}, err
	}
	if s == nil {
		return Tenant{}, ErrUnauthenticated
	}
	return Tenant{Namespace: s.Namespace, Credential: s.Name}, nil
}

// Client authenticates an OAuth client (client-credentials grant).
func (a *Authenticator) Client(ctx context.Context, clientID, clientSecret string) (Tenant, error) {
	s, err := a.client(ctx, clientID, clientSecret)
	if err != nil {
		return Tenant{}, err
	}
	return Tenant{Namespace: s.Namespace, Credential: s.Name, ClientBinding: clientBinding(s)}, nil
}

// ResourceOwner authenticates an OAuth client and the user named in its Secret
// (resource-owner-password grant).
func (a *Authenticator) ResourceOwner(ctx context.Context, clientID, clientSecret, username, password string) (Tenant, error) {
	s, err := a.client(ctx, clientID, clientSecret)
	if err != nil {
		return Tenant{}, err
	}
	if len(s.Data[UsernameKey]) == 0 || !equal(s.Data[UsernameKey], username) || !equal(s.Data[PasswordKey], password) {
		return Tenant{}, ErrInvalidGrant
	}
	return Tenant{Namespace: s.Namespace, Credential: s.Name, ClientBinding: clientBinding(s)}, nil
}

func (a *Authenticator) client(ctx context.Context, clientID, clientSecret string) (*corev1.Secret, error) {
	s, err := a.match(ctx, MethodOAuthClient, []byte(clientID), func(s *corev1.Secret) bool { return equal(s.Data[ClientSecretKey], clientSecret) })
	if err != nil {
		return nil, err
	}
	if s == nil {
		return nil, ErrInvalidClient
	}
	return s, nil
}

// match finds the one credential Secret of method identified by value whose secret part
// verify accepts, in a namespace that is a tenant (IsTenant). The index holds hashes, so finding candidates reveals nothing through
// timing; verify compares in constant time. Credentials that match in two tenants (the same
// token pasted into two namespaces) authenticate nobody: a request must never be able to land
// in the wrong tenant.
func (a *Authenticator) match(ctx context.Context, method string, value []byte, verify func(*corev1.Secret) bool) (*corev1.Secret, error) {
	key, ok := keyFor(method, value)
	if !ok {
		return nil, nil
	}
	var secrets corev1.SecretList
	err := a.reader.List(ctx, &secrets, client.MatchingFields{indexCredential: key}, client.UnsafeDisableDeepCopy)
	if err != nil {
		return nil, err
	}
	var found *corev1.Secret
	for i := range secrets.Items {
		s := &secrets.Items[i]
		if s.Labels[CredentialLabel] != method || !verify(s) {
			continue
		}
		if ok, err := a.IsTenant(ctx, s.Namespace); err != nil {
			return nil, err
		} else if !ok {
			continue
		}
		if found != nil && found.Namespace != s.Namespace {
			return nil, nil
		}
		found = s
	}
	return found, nil
}

// stillBound accepts an access token only while the client Secret that obtained it exists
// unchanged: deleting it, recreating it (a new UID) or rotating its secret in place revokes
// the tokens issued before.
func (a *Authenticator) stillBound(ctx context.Context, t Tenant) error {
	var s corev1.Secret
	err := a.reader.Get(ctx, types.NamespacedName{Namespace: t.Namespace, Name: t.Credential}, &s)
	if client.IgnoreNotFound(err) != nil {
		return err
	}
	if err != nil || s.Labels[CredentialLabel] != MethodOAuthClient || !a.tokens.Bound(t, clientBinding(&s)) {
		return ErrUnauthenticated
	}
	if ok, err := a.IsTenant(ctx, t.Namespace); err != nil {
		return err
	} else if !ok {
		return ErrUnauthenticated
	}
	return nil
}

// clientBinding identifies one client Secret with one secret: a hash of its UID and its
// client_secret. The token carries it only keyed with the signing key (oauth.Issuer), so a
// leaked token tells nothing about the secret.
func clientBinding(s *corev1.Secret) []byte {
	h := sha256.New()
	h.Write([]byte("scim-operator oauth client\x00"))
	h.Write([]byte(s.UID))
	h.Write([]byte{0})
	h.Write(s.Data[ClientSecretKey])
	return h.Sum(nil)
}

// idpToken authenticates a JWT of an identity provider: the (issuer, audience) pairs of the
// token choose the one ScimTenant they belong to (see trust.go), and only its declaration is
// checked.
func (a *Authenticator) idpToken(ctx context.Context, token string) (Tenant, error) {
	if a.idp == nil {
		return Tenant{}, ErrUnauthenticated
	}
	issuer, audiences, err := idptoken.Unverified(token)
	if err != nil {
		return Tenant{}, ErrUnauthenticated
	}
	owners, err := pairOwners(ctx, a.reader, issuer)
	if err != nil {
		return Tenant{}, err
	}
	var owner *trustedPair
	for _, aud := range audiences {
		o, ok := owners[aud]
		switch {
		case !ok:
			continue
		case owner != nil && owner.tenant.UID != o.tenant.UID:
			// Audiences of two tenants: it must never land in the wrong one.
			return Tenant{}, ErrUnauthenticated
		case owner == nil:
			owner = &o
		}
	}
	if owner == nil {
		return Tenant{}, ErrUnauthenticated
	}
	cfg := idptoken.Config{
		Issuer:           issuer,
		Audiences:        ownedAudiences(owners, owner),
		JWKSURL:          owner.issuer.JWKSURL,
		AllowedClientIDs: owner.issuer.AllowedClientIDs,
		RequiredRoles:    owner.issuer.RequiredRoles,
	}
	subject, err := a.idp.Verify(ctx, token, cfg)
	switch {
	case err == nil:
		return Tenant{Namespace: owner.tenant.Namespace, Credential: fmt.Sprintf("jwt %s sub=%s", issuer, subject)}, nil
	case errors.Is(err, idptoken.ErrKeysUnavailable):
		// The token could not be judged: a 401 would make the provider think its credentials
		// are wrong. Ask it to retry instead.
		return Tenant{}, scimerr.Unavailable(10*time.Second, "the identity provider's signing keys cannot be fetched; retry later")
	case errors.Is(err, idptoken.ErrInsufficientScope):
		return Tenant{}, ErrInsufficientScope
	}
	return Tenant{}, ErrUnauthenticated
}

// ownedAudiences are the audiences of owner's declaration that belong to it.
func ownedAudiences(owners map[string]trustedPair, owner *trustedPair) []string {
	var out []string
	for _, aud := range owner.issuer.Audiences {
		if o := owners[aud]; o.issuer == owner.issuer {
			out = append(out, aud)
		}
	}
	return out
}

// equal compares a stored secret with a presented one in constant time.
func equal(stored []byte, presented string) bool {
	return len(stored) > 0 && subtle.ConstantTimeCompare(stored, []byte(presented)) == 1
}
