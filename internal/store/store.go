package store

import (
	"context"
	"sort"

	"github.com/google/uuid"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Store reads SCIM resources from the informer cache and writes them to the API server.
type Store struct {
	// client reads from the cache and writes to the API server. It is configured for
	// read-your-writes consistency, so a read that follows a write on this replica sees it.
	client client.Client
	// live talks to the API server directly, for objects that are never cached (name claims,
	// password Secrets) and for re-reading an object after a write conflict.
	live client.Client
}

// New returns a store. cached must be a cache-backed client with read-your-writes consistency;
// live a client without cache.
func New(cached, live client.Client) *Store {
	return &Store{client: boundedReads{cached}, live: live}
}

// readOnly lists without copying objects out of the cache: callers must not modify them.
var readOnly = client.UnsafeDisableDeepCopy

// Precondition checks the current state of a resource before a write, for example an
// If-Match header; it returns a SCIM error (412) to refuse the write.
type Precondition func(current client.Object) error

// update applies mutate to the object named key and writes it, retrying on conflicts with a
// fresh read from the API server: concurrent writers never overwrite each other's changes.
func (s *Store) update(ctx context.Context, key types.NamespacedName, obj client.Object, check Precondition, mutate func() error) error {
	reader := client.Reader(s.client)
	err := retry.RetryOnConflict(retry.DefaultBackoff, func() error {
		if err := reader.Get(ctx, key, obj); err != nil {
			return err
		}
		reader = s.live // a conflict means the cache was behind: read the truth next time
		if check != nil {
			if err := check(obj); err != nil {
				return err
			}
		}
		if err := mutate(); err != nil {
			return err
		}
		return s.client.Update(ctx, obj)
	})
	return fromAPI(err)
}

// delete removes the object named key, if check allows, with the read object's UID and
// resourceVersion as preconditions so that a concurrent change is not deleted unseen.
func (s *Store) delete(ctx context.Context, key types.NamespacedName, obj client.Object, check Precondition) error {
	reader := client.Reader(s.client)
	err := retry.OnError(retry.DefaultBackoff, apierrors.IsConflict, func() error {
		if err := reader.Get(ctx, key, obj); err != nil {
			return err
		}
		reader = s.live
		if check != nil {
			if err := check(obj); err != nil {
				return err
			}
		}
		uid, rv := obj.GetUID(), obj.GetResourceVersion()
		return s.client.Delete(ctx, obj, client.Preconditions{UID: &uid, ResourceVersion: &rv})
	})
	return fromAPI(err)
}

// OlderFirst orders objects by creation time, then name: the order pages are served in, and
// the one that decides which of two resources with the same unique value keeps it.
func OlderFirst(a, b metav1.Object) bool {
	ta, tb := a.GetCreationTimestamp(), b.GetCreationTimestamp()
	if !ta.Equal(&tb) {
		return ta.Before(&tb)
	}
	return a.GetName() < b.GetName()
}

// notDeleting drops objects being deleted (they wait for their finalizer to deprovision them
// from the apps, and are already gone for SCIM), and orders the rest oldest first.
func notDeleting[T any, PT interface {
	*T
	metav1.Object
}](items []T) []T {
	kept := items
	for i := range items {
		if !PT(&items[i]).GetDeletionTimestamp().IsZero() {
			// Rare: copy only then. The items are shared with the cache and must not be changed.
			kept = make([]T, 0, len(items))
			for j := range items {
				if PT(&items[j]).GetDeletionTimestamp().IsZero() {
					kept = append(kept, items[j])
				}
			}
			break
		}
	}
	sort.Slice(kept, func(i, j int) bool { return OlderFirst(PT(&kept[i]), PT(&kept[j])) })
	return kept
}

// newID returns the id, and object name, of a resource created through SCIM: a version 7
// UUID, which orders by creation time, so resources created in the same second (the precision
// of creationTimestamp) still list in the order they were created.
func newID() string {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.NewString()
	}
	return id.String()
}
