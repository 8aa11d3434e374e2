// Package tenant finds the tenant a request belongs to from its credentials, and the tenant's
// settings. A tenant is a namespace with a ScimTenant object, which holds its settings; its
// credentials are Secrets in that namespace carrying the CredentialLabel. The operator caches only such
// Secrets, so authenticating never reaches the API server and no other Secret is read.
package tenant

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	"sigs.k8s.io/controller-runtime/pkg/client"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
)

// Credential Secrets: the label that marks them, its values (the methods), and their keys.
const (
	// CredentialLabel marks a Secret as a credential of the tenant (namespace) it lives in.
	CredentialLabel = "scim.scim-operator.io/credential"

	// MethodBearer is a static bearer token, under TokenKey.
	MethodBearer = "bearer"
	// MethodBasic is an HTTP Basic user name and password, under UsernameKey and PasswordKey.
	MethodBasic = "basic"
	// MethodOAuthClient is an OAuth 2.0 client of the operator's token endpoint, under
	// ClientIDKey and ClientSecretKey; with UsernameKey and PasswordKey it also allows the
	// resource-owner-password grant for that user.
	MethodOAuthClient = "oauth-client"

	TokenKey        = "token"
	UsernameKey     = "username"
	PasswordKey     = "password"
	ClientIDKey     = "client_id"
	ClientSecretKey = "client_secret"
)

// ErrUnauthenticated means the credentials match no tenant.
var ErrUnauthenticated = errors.New("unauthenticated")

// Tenant is who a request acts for.
type Tenant struct {
	// Namespace holds the tenant's ScimUsers and ScimGroups.
	Namespace string
	// Credential names what authenticated the request: the credential Secret, or for a token
	// issued by an identity provider its issuer and subject. Safe to log; never a secret.
	Credential string
	// ClientBinding ties an access token of the operator's token endpoint to the client Secret
	// that obtained it: set by Client and ResourceOwner (see clientBinding), carried keyed in
	// the token, and compared again with the Secret on every use of the token.
	ClientBinding []byte
	// Settings are the tenant's settings (its ScimTenant's spec, or the defaults); shared with
	// the cache: read only. Set by the SCIM server once the request is authenticated.
	Settings *scimv1.ScimTenantSpec
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

const indexCredential = "scim.credential"

// SetupIndexes indexes credential Secrets by a hash of what identifies them (the bearer
// token, the Basic user name, the OAuth client id), so a request finds its candidate Secret in
// one lookup, and ScimTenants by trusted token issuer.
func SetupIndexes(ctx context.Context, indexer FieldIndexer) error {
	if err := indexer.IndexField(ctx, &corev1.Secret{}, indexCredential, func(o client.Object) []string {
		s := o.(*corev1.Secret)
		if key, ok := lookupKey(s); ok {
			return []string{key}
		}
		return nil
	}); err != nil {
		return err
	}
	return setupSettingsIndexes(ctx, indexer)
}

// lookupKey is the index key of a credential Secret.
func lookupKey(s *corev1.Secret) (string, bool) {
	switch s.Labels[CredentialLabel] {
	case MethodBearer:
		return keyFor(MethodBearer, s.Data[TokenKey])
	case MethodBasic:
		return keyFor(MethodBasic, s.Data[UsernameKey])
	case MethodOAuthClient:
		return keyFor(MethodOAuthClient, s.Data[ClientIDKey])
	}
	return "", false
}

// keyFor hashes the identifying value: the index never holds a token in clear.
func keyFor(method string, value []byte) (string, bool) {
	if len(value) == 0 {
		return "", false
	}
	sum := sha256.Sum256(append([]byte(method+":"), value...))
	return hex.EncodeToString(sum[:]), true
}
