package oauth

import (
	"context"
	"crypto/rand"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// SigningKeyKey is the key of the signing key in its Secret.
const SigningKeyKey = "key"

// LoadOrCreateKey returns the token signing key kept in Secret namespace/name, creating the
// Secret with a random key if it does not exist. Replicas starting together race to create
// it; the losers read the winner's key, so all of them sign alike.
//
// c must read from the API server, not from the manager's cache: the cache holds only tenant
// credential Secrets and would never see this one. The key never appears in an error.
func LoadOrCreateKey(ctx context.Context, c client.Client, namespace, name string) ([]byte, error) {
	key, err := readKey(ctx, c, namespace, name)
	if !apierrors.IsNotFound(err) {
		return key, err
	}
	key = make([]byte, MinKeySize)
	_, _ = rand.Read(key) // crypto/rand.Read never fails
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: namespace,
			Name:      name,
			Labels:    map[string]string{"app.kubernetes.io/managed-by": "scim-operator"},
		},
		Type: corev1.SecretTypeOpaque,
		// Changing the key in place would invalidate every token while replicas disagree;
		// rotate by deleting the Secret and restarting the operator.
		Immutable: ptr.To(true),
		Data:      map[string][]byte{SigningKeyKey: key},
	}
	err = c.Create(ctx, secret)
	if apierrors.IsAlreadyExists(err) {
		return readKey(ctx, c, namespace, name)
	}
	if err != nil {
		return nil, fmt.Errorf("creating token signing key Secret %s/%s: %w", namespace, name, err)
	}
	return key, nil
}

// readKey returns the key of Secret namespace/name.
func readKey(ctx context.Context, c client.Client, namespace, name string) ([]byte, error) {
	var secret corev1.Secret
	if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, &secret); err != nil {
		return nil, fmt.Errorf("reading token signing key Secret %s/%s: %w", namespace, name, err)
	}
	key := secret.Data[SigningKeyKey]
	if len(key) < MinKeySize {
		// Never replace it: other replicas may be signing with it. An operator must fix it.
		return nil, fmt.Errorf("token signing key Secret %s/%s: key %q has %d bytes, want at least %d",
			namespace, name, SigningKeyKey, len(key), MinKeySize)
	}
	return key, nil
}
