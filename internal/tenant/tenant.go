// Package tenant finds the tenant a request belongs to from its credentials. A tenant is a
// namespace; its credentials are Secrets in that namespace carrying the CredentialLabel.
// The operator caches only such Secrets, so a request never reaches the API server to
// authenticate, and no other Secret of the cluster is read.
package tenant

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

const (
	// CredentialLabel marks a Secret as a credential of the tenant (namespace) it lives in.
	// Its value names the method; "bearer" is a static bearer token.
	CredentialLabel = "scim.scim-operator.io/credential"
	// MethodBearer is the CredentialLabel value of a static bearer token Secret.
	MethodBearer = "bearer"
	// TokenKey is the key of a bearer token in its Secret.
	TokenKey = "token"

	indexTokenHash = "scim.tokenHash"
)

// ErrUnauthenticated means the credentials match no tenant.
var ErrUnauthenticated = errors.New("unauthenticated")

// Tenant is who a request acts for.
type Tenant struct {
	// Namespace holds the tenant's ScimUsers and ScimGroups.
	Namespace string
	// Credential is the name of the Secret that authenticated the request: safe to log.
	Credential string
}

// CredentialSelector selects the Secrets the operator caches: tenant credentials only.
func CredentialSelector() labels.Selector {
	req, err := labels.NewRequirement(CredentialLabel, selection.Exists, nil)
	if err != nil {
		panic(err) // the requirement is a constant
	}
	return labels.NewSelector().Add(*req)
}

// FieldIndexer is the part of a manager that registers cache indexes.
type FieldIndexer interface {
	IndexField(ctx context.Context, obj client.Object, field string, extractValue client.IndexerFunc) error
}

// SetupIndexes indexes bearer-token Secrets by the SHA-256 of their token, so a token finds its
// tenant in one lookup without comparing it against every token.
func SetupIndexes(ctx context.Context, indexer FieldIndexer) error {
	return indexer.IndexField(ctx, &corev1.Secret{}, indexTokenHash, func(o client.Object) []string {
		s := o.(*corev1.Secret)
		token := s.Data[TokenKey]
		if s.Labels[CredentialLabel] != MethodBearer || len(token) == 0 {
			return nil
		}
		return []string{hashToken(token)}
	})
}

// Authenticator resolves credentials to tenants from the cache.
type Authenticator struct {
	reader client.Reader
}

// NewAuthenticator returns an authenticator reading credential Secrets through reader.
func NewAuthenticator(reader client.Reader) *Authenticator {
	return &Authenticator{reader: reader}
}

// Bearer returns the tenant whose bearer-token Secret holds token. A new or rotated Secret is
// seen as soon as the cache has it; several tokens of one tenant work at once.
func (a *Authenticator) Bearer(ctx context.Context, token string) (Tenant, error) {
	if token == "" {
		return Tenant{}, ErrUnauthenticated
	}
	var secrets corev1.SecretList
	err := a.reader.List(ctx, &secrets,
		client.MatchingFields{indexTokenHash: hashToken([]byte(token))},
		client.UnsafeDisableDeepCopy,
		// Credentials need no read-your-writes wait: nothing here writes them.
		client.DisableReadYourWritesConsistency)
	if err != nil {
		return Tenant{}, err
	}
	for i := range secrets.Items {
		s := &secrets.Items[i]
		// The hash lookup found the candidate; the constant-time comparison is what decides.
		if subtle.ConstantTimeCompare(s.Data[TokenKey], []byte(token)) == 1 {
			return Tenant{Namespace: s.Namespace, Credential: s.Name}, nil
		}
	}
	return Tenant{}, ErrUnauthenticated
}

func hashToken(token []byte) string {
	sum := sha256.Sum256(token)
	return hex.EncodeToString(sum[:])
}
