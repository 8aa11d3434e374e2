package store

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/internal/scimerr"
)

// Group returns the group with the given id in namespace ns. Like User, it comes from the
// ordered listing, shared: it must not be modified.
func (s *Store) Group(ctx context.Context, ns, id string) (*scimv1.ScimGroup, error) {
	g, err := s.groups.Latest(ctx, ns, id)
	if err != nil {
		return nil, err
	}
	if g == nil || !g.DeletionTimestamp.IsZero() {
		return nil, scimerr.NotFound("resource not found")
	}
	return g, nil
}

// Groups returns every group SCIM serves in namespace ns, oldest first. The objects are shared
// and must not be modified.
func (s *Store) Groups(ctx context.Context, ns string) ([]*scimv1.ScimGroup, error) {
	return s.groups.All(ctx, ns)
}

// GroupsByIndex returns the groups of namespace ns whose index field equals value. The
// objects are shared with the cache and must not be modified.
func (s *Store) GroupsByIndex(ctx context.Context, ns, index, value string) ([]*scimv1.ScimGroup, error) {
	var list scimv1.ScimGroupList
	if err := s.client.List(ctx, &list, client.InNamespace(ns), client.MatchingFields{index: value}, readOnly); err != nil {
		return nil, fromAPI(err)
	}
	return servedOf(list.Items), nil
}

// CreateGroup stores a new group and its members in namespace ns. Every member must be a user
// or group of the same namespace.
func (s *Store) CreateGroup(ctx context.Context, ns string, spec scimv1.ScimGroupSpec, members []scimv1.GroupMember, dropUnknown bool) (*scimv1.ScimGroup, error) {
	members, err := s.ResolveMembers(ctx, ns, members, dropUnknown)
	if err != nil {
		return nil, err
	}
	id := newID()
	g := &scimv1.ScimGroup{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: id}, Spec: spec}
	err = s.holding(ctx, ns, scimv1.ClaimGroupDisplayName, spec.DisplayName, id, func(ctx context.Context) error {
		return s.client.Create(ctx, g)
	})
	if err != nil {
		return nil, err
	}
	if err := s.AddMembers(ctx, g, members); err != nil {
		_ = s.DeleteGroup(context.WithoutCancel(ctx), ns, id, nil)
		return nil, err
	}
	return g, nil
}

// ReplaceGroup replaces the spec of group id. Members are changed separately (SetMembers,
// AddMembers, RemoveMembers), because they live in shards.
func (s *Store) ReplaceGroup(ctx context.Context, ns, id string, spec scimv1.ScimGroupSpec, check Precondition) (*scimv1.ScimGroup, error) {
	current, err := s.Group(ctx, ns, id)
	if err != nil {
		return nil, err
	}
	var g scimv1.ScimGroup
	err = s.renaming(ctx, ns, scimv1.ClaimGroupDisplayName, current.Spec.DisplayName, spec.DisplayName, id, func(ctx context.Context) error {
		return s.update(ctx, types.NamespacedName{Namespace: ns, Name: id}, &g, check, func() error {
			if FoldKey(g.Spec.DisplayName) != FoldKey(current.Spec.DisplayName) {
				return errValueChanged
			}
			g.Spec = spec
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return &g, nil
}

// DeleteGroup deletes group id, its member shards, its displayName claim, and its membership
// in other groups.
func (s *Store) DeleteGroup(ctx context.Context, ns, id string, check Precondition) error {
	var g scimv1.ScimGroup
	if err := s.delete(ctx, types.NamespacedName{Namespace: ns, Name: id}, &g, check); err != nil {
		return err
	}
	ctx = context.WithoutCancel(ctx)
	s.release(ctx, ns, scimv1.ClaimGroupDisplayName, g.Spec.DisplayName, id)
	// The garbage collector would delete the owned shards too; doing it here makes the group's
	// id free at once and works where no garbage collector runs.
	shards, err := s.shardsOf(ctx, ns, id)
	if err != nil {
		return err
	}
	for i := range shards {
		if err := client.IgnoreNotFound(s.client.Delete(ctx, shards[i].DeepCopy())); err != nil {
			return fromAPI(err)
		}
	}
	return s.removeFromAllGroups(ctx, ns, id)
}
