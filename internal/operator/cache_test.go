package operator_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/internal/resource"
)

// Users are cached without managedFields. Writing a cached user back must not erase the API
// server's managedFields, and lastModified read through the cache must follow spec changes.
func TestCachedUserWithoutManagedFieldsKeepsThemAndLastModified(t *testing.T) {
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "cache-"}}
	if err := k8s.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	user := &scimv1.ScimUser{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "ada"},
		Spec:       scimv1.ScimUserSpec{UserName: "ada"},
	}
	if err := k8s.Create(ctx, user, client.FieldOwner("test-creator")); err != nil {
		t.Fatal(err)
	}
	key := client.ObjectKeyFromObject(user)

	// The cache agrees with the API server on lastModified, without holding managedFields.
	sameAsLive := func() (time.Time, error) {
		var live, c scimv1.ScimUser
		if err := k8s.Get(ctx, key, &live); err != nil {
			return time.Time{}, err
		}
		if err := cached.Get(ctx, key, &c); err != nil {
			return time.Time{}, err
		}
		if c.ManagedFields != nil {
			return time.Time{}, fmt.Errorf("cached user has managedFields %v", c.ManagedFields)
		}
		if got, want := resource.LastModified(&c), resource.LastModified(&live); !got.Equal(want) {
			return time.Time{}, fmt.Errorf("lastModified through the cache %s, in the API server %s", got, want)
		}
		return resource.LastModified(&c), nil
	}
	var before time.Time
	eventually(t, func() (err error) { before, err = sameAsLive(); return err })

	// managedFields times have a resolution of one second.
	time.Sleep(time.Until(before.Add(time.Second + 50*time.Millisecond)))
	err := retry.RetryOnConflict(retry.DefaultBackoff, func() error {
		var u scimv1.ScimUser
		if err := cached.Get(ctx, key, &u); err != nil {
			return err
		}
		if u.ManagedFields != nil {
			return errors.New("cached user has managedFields")
		}
		u.Spec.DisplayName = "Ada Lovelace"
		return cached.Update(ctx, &u)
	})
	if err != nil {
		t.Fatal(err)
	}

	var live scimv1.ScimUser
	if err := k8s.Get(ctx, key, &live); err != nil {
		t.Fatal(err)
	}
	creator := false
	for _, mf := range live.ManagedFields {
		creator = creator || mf.Manager == "test-creator"
	}
	if !creator || live.Spec.DisplayName != "Ada Lovelace" {
		t.Fatalf("after an Update of the cached user, the API server has displayName %q and managedFields %v; want the creator's entry kept",
			live.Spec.DisplayName, live.ManagedFields)
	}
	eventually(t, func() error {
		after, err := sameAsLive()
		if err == nil && !after.After(before) {
			err = fmt.Errorf("lastModified through the cache is still %s", after)
		}
		return err
	})
}
