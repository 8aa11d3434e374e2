package resource

import (
	"encoding/json"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
)

var (
	created  = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	specEdit = created.Add(time.Hour)
	statusAt = created.Add(2 * time.Hour)
)

// managedFields as the API server writes them: a spec change and a later status change.
func managedFields() []metav1.ManagedFieldsEntry {
	return []metav1.ManagedFieldsEntry{
		{Manager: "scim-operator", Operation: metav1.ManagedFieldsOperationUpdate, Time: &metav1.Time{Time: specEdit}},
		{Manager: "scim-operator", Operation: metav1.ManagedFieldsOperationUpdate, Subresource: "status", Time: &metav1.Time{Time: statusAt}},
	}
}

func objectMeta() metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Name: "u", Namespace: "t", CreationTimestamp: metav1.NewTime(created), ManagedFields: managedFields(),
	}
}

func TestLastModified(t *testing.T) {
	cases := []struct {
		reason string
		user   scimv1.ScimUser
		want   time.Time
	}{
		{
			reason: "no managed fields and no hint: the creation time",
			user:   scimv1.ScimUser{ObjectMeta: metav1.ObjectMeta{CreationTimestamp: metav1.NewTime(created)}},
			want:   created,
		},
		{
			reason: "managed fields: the latest change outside a subresource",
			user:   scimv1.ScimUser{ObjectMeta: objectMeta()},
			want:   specEdit,
		},
		{
			reason: "from the cache: the hint",
			user: scimv1.ScimUser{
				ObjectMeta:       metav1.ObjectMeta{CreationTimestamp: metav1.NewTime(created)},
				LastModifiedHint: metav1.NewTime(specEdit),
			},
			want: specEdit,
		},
		{
			reason: "read from the cache, then written: the newer managed fields win over the old hint",
			user: scimv1.ScimUser{
				ObjectMeta:       objectMeta(),
				LastModifiedHint: metav1.NewTime(created.Add(time.Minute)),
			},
			want: specEdit,
		},
	}
	for _, c := range cases {
		if got := LastModified(&c.user); !got.Equal(c.want) {
			t.Errorf("%s: got %s, want %s", c.reason, got, c.want)
		}
	}
}

func TestCacheTransform(t *testing.T) {
	objects := []client.Object{
		&scimv1.ScimUser{ObjectMeta: objectMeta(), Spec: scimv1.ScimUserSpec{UserName: "ada"}},
		&scimv1.ScimGroup{ObjectMeta: objectMeta(), Spec: scimv1.ScimGroupSpec{DisplayName: "team"}},
		&scimv1.ScimGroupMemberShard{ObjectMeta: objectMeta(), Spec: scimv1.ScimGroupMemberShardSpec{
			Group: "team", Members: []scimv1.GroupMember{{Value: "u"}},
		}},
	}
	for _, obj := range objects {
		want := obj.DeepCopyObject().(client.Object)
		want.SetManagedFields(nil)
		out, err := CacheTransform(obj)
		if err != nil || out != any(obj) {
			t.Fatalf("%T: got %v, %v; want the same object", obj, out, err)
		}
		if obj.GetManagedFields() != nil {
			t.Errorf("%T: managed fields %v, want nil", obj, obj.GetManagedFields())
		}
		if got := LastModified(obj); !got.Equal(specEdit) {
			t.Errorf("%T: LastModified %s after the transform, want %s", obj, got, specEdit)
		}
		// Nothing else changed (the hint is never serialised).
		if got, want := encode(t, obj), encode(t, want); got != want {
			t.Errorf("%T: the transform changed more than managedFields:\n got %s\nwant %s", obj, got, want)
		}
		// Idempotent: client-go may pass an object through the transform again.
		again := encode(t, obj)
		if _, err := CacheTransform(obj); err != nil || encode(t, obj) != again || !LastModified(obj).Equal(specEdit) {
			t.Errorf("%T: a second transform changed the object", obj)
		}
	}

	// Other kinds are left alone, managed fields included.
	secret := &corev1.Secret{ObjectMeta: objectMeta()}
	if _, err := CacheTransform(secret); err != nil || len(secret.ManagedFields) != 2 {
		t.Errorf("a Secret was changed: %v, %v", secret.ManagedFields, err)
	}
}

func encode(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
