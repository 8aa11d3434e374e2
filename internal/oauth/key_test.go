package oauth

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
)

const (
	keyNamespace = "scim-operator-system"
	keyName      = "scim-operator-token-key"
)

func keySecret(key []byte) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: keyNamespace, Name: keyName},
		Data:       map[string][]byte{SigningKeyKey: key},
	}
}

func TestLoadOrCreateKey(t *testing.T) {
	ctx := context.Background()
	c := fake.NewClientBuilder().WithScheme(clientgoscheme.Scheme).Build()

	first, err := LoadOrCreateKey(ctx, c, keyNamespace, keyName)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != MinKeySize || bytes.Equal(first, make([]byte, MinKeySize)) {
		t.Errorf("created key = %d bytes (all zero: %t), want %d random bytes", len(first), bytes.Equal(first, make([]byte, MinKeySize)), MinKeySize)
	}
	second, err := LoadOrCreateKey(ctx, c, keyNamespace, keyName)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(first, second); diff != "" {
		t.Errorf("the second call returns the key the first created: -first, +second:\n%s", diff)
	}

	var secrets corev1.SecretList
	if err := c.List(ctx, &secrets, client.InNamespace(keyNamespace)); err != nil {
		t.Fatal(err)
	}
	if len(secrets.Items) != 1 {
		t.Fatalf("Secrets = %d, want the one key Secret", len(secrets.Items))
	}
	s := secrets.Items[0]
	if s.Immutable == nil || !*s.Immutable {
		t.Errorf("the key Secret is not immutable: editing it in place would split the replicas")
	}
	if _, ok := s.Labels["scim.scim-operator.io/credential"]; ok {
		t.Errorf("the key Secret carries the credential label: it would be taken for a tenant credential")
	}
}

func TestLoadOrCreateKeyRace(t *testing.T) {
	// Another replica creates the Secret between our Get and our Create.
	winner := bytes.Repeat([]byte{7}, MinKeySize)
	gets := 0
	c := fake.NewClientBuilder().
		WithScheme(clientgoscheme.Scheme).
		WithObjects(keySecret(winner)).
		WithInterceptorFuncs(interceptor.Funcs{
			Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
				gets++
				if gets == 1 {
					return apierrors.NewNotFound(schema.GroupResource{Resource: "secrets"}, key.Name)
				}
				return c.Get(ctx, key, obj, opts...)
			},
		}).
		Build()

	got, err := LoadOrCreateKey(context.Background(), c, keyNamespace, keyName)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(winner, got); diff != "" {
		t.Errorf("after losing the race to create, the winner's key is used: -want, +got:\n%s", diff)
	}
}

func TestLoadOrCreateKeyErrors(t *testing.T) {
	shortKey := []byte("0123456789")
	cases := map[string]struct {
		reason   string
		existing *corev1.Secret
		funcs    interceptor.Funcs
	}{
		"short key": {
			reason:   "a Secret with too short a key is reported, never replaced: replicas may be using it.",
			existing: keySecret(shortKey),
		},
		"forbidden": {
			reason: "an error other than NotFound is returned, without trying to create.",
			funcs: interceptor.Funcs{
				Get: func(context.Context, client.WithWatch, client.ObjectKey, client.Object, ...client.GetOption) error {
					return apierrors.NewForbidden(schema.GroupResource{Resource: "secrets"}, keyName, nil)
				},
				Create: func(context.Context, client.WithWatch, client.Object, ...client.CreateOption) error {
					t.Error("Create called after a Get that was not NotFound")
					return nil
				},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			b := fake.NewClientBuilder().WithScheme(clientgoscheme.Scheme).WithInterceptorFuncs(tc.funcs)
			if tc.existing != nil {
				b = b.WithObjects(tc.existing)
			}
			key, err := LoadOrCreateKey(context.Background(), b.Build(), keyNamespace, keyName)
			if err == nil {
				t.Fatalf("%s\nLoadOrCreateKey(...) = %d bytes, want an error", tc.reason, len(key))
			}
			if strings.Contains(err.Error(), string(shortKey)) {
				t.Errorf("%s\nthe error %q shows the key", tc.reason, err)
			}
		})
	}
}
