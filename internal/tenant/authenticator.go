package tenant

import (
	"context"
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
)

// AccessTokens verifies the access tokens the operator's token endpoint issued.
type AccessTokens interface {
	Verify(token string) (t Tenant, subject string, err error)
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
			// A token dies with the client Secret that obtained it.
			return t, a.stillExists(ctx, t)
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
	return Tenant{Namespace: s.Namespace, Credential: s.Name}, nil
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
	return Tenant{Namespace: s.Namespace, Credential: s.Name}, nil
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
	err := a.reader.List(ctx, &secrets, client.MatchingFields{indexCredential: key}, client.UnsafeDisableDeepCopy,
		// Credentials need no read-your-writes wait: the operator never writes them.
		client.DisableReadYourWritesConsistency)
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

func (a *Authenticator) stillExists(ctx context.Context, t Tenant) error {
	var s corev1.Secret
	err := a.reader.Get(ctx, types.NamespacedName{Namespace: t.Namespace, Name: t.Credential}, &s, client.DisableReadYourWritesConsistency)
	if client.IgnoreNotFound(err) != nil {
		return err
	}
	if err != nil || s.Labels[CredentialLabel] != MethodOAuthClient {
		return ErrUnauthenticated
	}
	if ok, err := a.IsTenant(ctx, t.Namespace); err != nil {
		return err
	} else if !ok {
		return ErrUnauthenticated
	}
	return nil
}

// idpToken authenticates a JWT of an identity provider trusted by the ScimTenant of some
// namespace, chosen by the token's issuer and checked against that provider's keys.
func (a *Authenticator) idpToken(ctx context.Context, token string) (Tenant, error) {
	if a.idp == nil {
		return Tenant{}, ErrUnauthenticated
	}
	issuer, err := idptoken.Issuer(token)
	if err != nil || issuer == "" {
		return Tenant{}, ErrUnauthenticated
	}
	tenants, err := a.tenantsTrusting(ctx, issuer)
	if err != nil {
		return Tenant{}, err
	}
	// Exactly one tenant must accept the token (its audience tells tenants of one provider
	// apart); a token two tenants would accept authenticates nobody.
	var accepted []Tenant
	keysUnavailable := false
	for _, t := range tenants {
		for _, trusted := range t.Spec.JWTIssuers {
			if trusted.Issuer != issuer {
				continue
			}
			subject, err := a.idp.Verify(ctx, token, idptoken.Config{Issuer: trusted.Issuer, Audiences: trusted.Audiences, JWKSURL: trusted.JWKSURL})
			if err == nil {
				accepted = append(accepted, Tenant{Namespace: t.Namespace, Credential: fmt.Sprintf("jwt %s sub=%s", issuer, subject)})
				break
			}
			keysUnavailable = keysUnavailable || errors.Is(err, idptoken.ErrKeysUnavailable)
		}
	}
	switch {
	case len(accepted) == 1:
		return accepted[0], nil
	case len(accepted) == 0 && keysUnavailable:
		// The token could not be judged: a 401 would make the provider think its credentials
		// are wrong. Ask it to retry instead.
		return Tenant{}, scimerr.Unavailable(10*time.Second, "the identity provider's signing keys cannot be fetched; retry later")
	}
	return Tenant{}, ErrUnauthenticated
}

// equal compares a stored secret with a presented one in constant time.
func equal(stored []byte, presented string) bool {
	return len(stored) > 0 && subtle.ConstantTimeCompare(stored, []byte(presented)) == 1
}
