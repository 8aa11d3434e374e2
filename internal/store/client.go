package store

import (
	"context"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
)

// cacheWait bounds how long a write waits for the cache to show it, and how long a read of
// the cache may wait (ConsistentClient). The cache is normally milliseconds behind; when the
// API server is unreachable it may never catch up, and the client is better told to retry
// (503) than left waiting.
const cacheWait = 5 * time.Second

// recordingWrites tells the ordered listings of every user and group this replica writes (and
// the member map of every shard), so
// that a listing right after a write includes it (read-your-writes) even before the informer
// reports it. The listings keep a copy: the caller may go on changing its object.
type recordingWrites struct {
	client.Client
	users   *Order[scimv1.ScimUser, *scimv1.ScimUser]
	groups  *Order[scimv1.ScimGroup, *scimv1.ScimGroup]
	members *memberGroups
}

func (c recordingWrites) Create(ctx context.Context, obj client.Object, opts ...client.CreateOption) error {
	err := c.Client.Create(ctx, obj, opts...)
	if err == nil {
		c.written(obj)
	}
	return err
}

func (c recordingWrites) Update(ctx context.Context, obj client.Object, opts ...client.UpdateOption) error {
	err := c.Client.Update(ctx, obj, opts...)
	if err == nil {
		c.written(obj)
	}
	return err
}

func (c recordingWrites) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
	err := c.Client.Patch(ctx, obj, patch, opts...)
	if err == nil {
		c.written(obj)
	}
	return err
}

func (c recordingWrites) Delete(ctx context.Context, obj client.Object, opts ...client.DeleteOption) error {
	err := c.Client.Delete(ctx, obj, opts...)
	if err == nil {
		switch o := obj.(type) {
		case *scimv1.ScimUser:
			c.users.deleted(o.DeepCopy())
		case *scimv1.ScimGroup:
			c.groups.deleted(o.DeepCopy())
		case *scimv1.ScimGroupMemberShard:
			c.members.put(o, true)
		}
	}
	return err
}

func (c recordingWrites) written(obj client.Object) {
	switch o := obj.(type) {
	case *scimv1.ScimUser:
		c.users.put(o.DeepCopy())
	case *scimv1.ScimGroup:
		c.groups.put(o.DeepCopy())
	case *scimv1.ScimGroupMemberShard:
		c.members.put(o, false) // keeps the member ids, not the object
	}
}
