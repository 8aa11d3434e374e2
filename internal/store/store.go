package store

import (
	"cmp"
	"context"
	"slices"

	"github.com/google/uuid"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
)

// Store reads SCIM resources from the informer cache and writes them to the API server.
type Store struct {
	// client reads from the cache and writes to the API server. It is configured for
	// read-your-writes consistency, so a read that follows a write on this replica sees it.
	client client.Client
	// live talks to the API server directly, for objects that are never cached (name claims,
	// password Secrets) and for re-reading an object after a write conflict.
	live client.Client
	// users and groups are the served resources of each tenant in order, for listings.
	users  *Order[scimv1.ScimUser, *scimv1.ScimUser]
	groups *Order[scimv1.ScimGroup, *scimv1.ScimGroup]
	// members tells which groups list each member.
	members *memberGroups
	// membersPerShard sizes the shard count of big groups (ShardCount).
	membersPerShard int
}

// Options tune a store.
type Options struct {
	// MembersPerShard is about how many members a shard of a big group holds before the
	// group's shard count doubles; DefaultMembersPerShard when 0.
	MembersPerShard int
}

// Informers gives the informers of the cache that cached reads from.
type Informers interface {
	GetInformer(ctx context.Context, obj client.Object, opts ...cache.InformerGetOption) (cache.Informer, error)
}

// New returns a store. cached must be a cache-backed client with read-your-writes consistency
// whose reads and waits are bounded (a ConsistentClient), and informers its cache; live a
// client without cache.
func New(ctx context.Context, cached, live client.Client, informers Informers, opts Options) (*Store, error) {
	s := &Store{
		live:            live,
		users:           newOrder[scimv1.ScimUser](),
		groups:          newOrder[scimv1.ScimGroup](),
		members:         newMemberGroups(),
		membersPerShard: cmp.Or(opts.MembersPerShard, DefaultMembersPerShard),
	}
	s.client = recordingWrites{Client: cached, users: s.users, groups: s.groups, members: s.members}
	for obj, order := range map[client.Object]interface{ watch(eventSource) error }{
		&scimv1.ScimUser{}: s.users, &scimv1.ScimGroup{}: s.groups, &scimv1.ScimGroupMemberShard{}: s.members,
	} {
		informer, err := informers.GetInformer(ctx, obj)
		if err != nil {
			return nil, err
		}
		if err := order.watch(informer); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// UserOrder is the served users of each tenant, oldest first, for listings.
func (s *Store) UserOrder() *Order[scimv1.ScimUser, *scimv1.ScimUser] { return s.users }

// GroupOrder is the served groups of each tenant, oldest first, for listings.
func (s *Store) GroupOrder() *Order[scimv1.ScimGroup, *scimv1.ScimGroup] { return s.groups }

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
		err := reader.Get(ctx, key, obj)
		if apierrors.IsNotFound(err) && reader != client.Reader(s.live) {
			// This replica's cache may be behind (its watch just came back, and another
			// replica created the object): a 404 would tell the client the object is gone
			// while it stays, so ask the API server.
			err = s.live.Get(ctx, key, obj)
		}
		if err != nil {
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

// CompareOlderFirst is OlderFirst as a comparison, for slices.SortFunc.
func CompareOlderFirst(a, b metav1.Object) int {
	switch {
	case OlderFirst(a, b):
		return -1
	case OlderFirst(b, a):
		return 1
	}
	return 0
}

// servedOf returns the items SCIM serves (see isServed), oldest first. They point into items.
func servedOf[T any, PT interface {
	*T
	client.Object
}](items []T) []*T {
	served := make([]*T, 0, len(items))
	for i := range items {
		if IsServed(PT(&items[i])) {
			served = append(served, &items[i])
		}
	}
	slices.SortFunc(served, compareOrder[T, PT])
	return served
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
