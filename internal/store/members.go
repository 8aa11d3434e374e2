package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
	"sort"
	"strconv"
	"time"

	"golang.org/x/sync/errgroup"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/internal/resource"
	"github.com/scim-operator/scim-operator/internal/scimerr"
)

// A group's members are spread over ScimGroupMemberShards by the hash of their id, so that
// concurrent changes for different members rarely touch the same object. The number of shards is
// a power of two chosen by the group's size: MinShards until the group outgrows them, then
// enough for about membersPerShard members each, since the API server's cost of a one-member
// change grows with the shard it rewrites. Members stay where they were put when the count
// grows: a group's members are the union of all its shards, and the member map finds them.
// A group that grows fills the shards its last doubling added (homeShard), so that no shard
// ends up with much more than membersPerShard. See docs/architecture.md, "Group membership".
const (
	MinShards = 64
	MaxShards = 4096
	// DefaultMembersPerShard keeps a one-member change of a 100,000-member group to a shard of
	// about 128 members (~150 at most, ~5 KB) instead of ~1,600 (docs/benchmarks.md).
	DefaultMembersPerShard = 128
)

// ShardCount is the number of shards SCIM spreads the members of a group of size members over.
func ShardCount(members, membersPerShard int) int {
	count := MinShards
	for count < MaxShards && count*membersPerShard < members {
		count *= 2
	}
	return count
}

// Members returns the membership of group in namespace ns: the union of its shards, ordered by
// id, with a fingerprint and time of the shards' last change. With withMembers false no shard
// is read: the fingerprint and time are the member map's, kept as the shards change.
func (s *Store) Members(ctx context.Context, ns, group string, withMembers bool) (resource.Membership, error) {
	if !withMembers {
		fingerprint, lastModified, shards, err := s.members.stamp(ctx, ns, group)
		return membership(nil, fingerprint, lastModified, shards), err
	}
	shards, err := s.shardsOf(ctx, ns, group)
	if err != nil {
		return resource.Membership{}, err
	}
	// The member map's fingerprint and time, computed from the shards the members come from:
	// both always describe the members shown.
	fingerprint, lastModified := stampOfShards(shards)
	return membership(unionOfShards(shards), fingerprint, lastModified, len(shards)), nil
}

// stampOfShards computes from shards what groupStamp keeps.
func stampOfShards(shards []scimv1.ScimGroupMemberShard) (fingerprint uint64, lastModified time.Time) {
	for i := range shards {
		fingerprint ^= shardFingerprint(shards[i].Name, resourceVersion(&shards[i]))
		if t := resource.LastModified(&shards[i]); t.After(lastModified) {
			lastModified = t
		}
	}
	return fingerprint, lastModified
}

func membership(members []scimv1.GroupMember, fingerprint uint64, lastModified time.Time, shards int) resource.Membership {
	ms := resource.Membership{Members: members, LastModified: lastModified}
	if shards > 0 {
		ms.Fingerprint = strconv.FormatUint(fingerprint, 16)
	}
	return ms
}

// MemberCount is the number of distinct members of group in namespace ns, from the member
// map: constant time, where counting the shards' members costs a map of every member.
func (s *Store) MemberCount(ctx context.Context, ns, group string) (int, error) {
	return s.members.size(ctx, ns, group)
}

// OnMembersChanged has changed called with every change of a group's members from now on, once
// it is visible to MemberCount and GroupsOf: the controllers' source of membership events
// (the shard informer's own handlers run in no set order with the member map's). changed
// must not block nor keep the member slice.
func (s *Store) OnMembersChanged(changed func(MembersChanged)) {
	s.members.subscribe(changed)
}

// shardsOf lists the shards of group from the cache; they must not be modified.
func (s *Store) shardsOf(ctx context.Context, ns, group string) ([]scimv1.ScimGroupMemberShard, error) {
	var shards scimv1.ScimGroupMemberShardList
	if err := s.client.List(ctx, &shards, client.InNamespace(ns), client.MatchingFields{IndexShardGroup: group}, readOnly); err != nil {
		return nil, fromAPI(err)
	}
	return shards.Items, nil
}

// unionOfShards merges the member lists of shards, each member once, ordered by id.
func unionOfShards(shards []scimv1.ScimGroupMemberShard) []scimv1.GroupMember {
	var members []scimv1.GroupMember
	seen := map[string]bool{}
	for i := range shards {
		for _, m := range shards[i].Spec.Members {
			if !seen[m.Value] {
				seen[m.Value] = true
				members = append(members, m)
			}
		}
	}
	sort.Slice(members, func(i, j int) bool { return members[i].Value < members[j].Value })
	return members
}

// GroupsOf returns the names of the groups in namespace ns that list id as a member, sorted.
func (s *Store) GroupsOf(ctx context.Context, ns, id string) ([]string, error) {
	return s.members.groupsOf(ctx, ns, id)
}

// Member returns member id of group, if the group has it, from one of the shards that may hold
// it (shardsHolding).
func (s *Store) Member(ctx context.Context, ns, group, id string) (scimv1.GroupMember, bool, error) {
	names, err := s.shardsHolding(ctx, ns, group, id)
	if err != nil {
		return scimv1.GroupMember{}, false, err
	}
	for _, name := range names {
		var shard scimv1.ScimGroupMemberShard
		err := s.client.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, &shard)
		if err != nil && !apierrors.IsNotFound(err) {
			return scimv1.GroupMember{}, false, fromAPI(err)
		}
		if m, ok := memberOf(&shard, group, id); ok {
			return m, true, nil
		}
	}
	return scimv1.GroupMember{}, false, nil
}

func memberOf(shard *scimv1.ScimGroupMemberShard, group, id string) (scimv1.GroupMember, bool) {
	if shard.Spec.Group != group {
		return scimv1.GroupMember{}, false
	}
	for _, m := range shard.Spec.Members {
		if m.Value == id {
			return m, true
		}
	}
	return scimv1.GroupMember{}, false
}

// ResolveMembers checks that every member exists in namespace ns and fills in its type.
// A member of another tenant does not exist here, so it cannot be referred to. A member that
// does not exist is refused, or with dropUnknown left out.
func (s *Store) ResolveMembers(ctx context.Context, ns string, members []scimv1.GroupMember, dropUnknown bool) ([]scimv1.GroupMember, error) {
	resolved := make([]scimv1.GroupMember, 0, len(members))
	for _, m := range members {
		key := types.NamespacedName{Namespace: ns, Name: m.Value}
		found := false
		if m.Type != scimv1.MemberTypeGroup {
			if ok, err := s.exists(ctx, key, &scimv1.ScimUser{}); err != nil {
				return nil, err
			} else if ok {
				m.Type, found = scimv1.MemberTypeUser, true
			}
		}
		if !found && m.Type != scimv1.MemberTypeUser {
			if ok, err := s.exists(ctx, key, &scimv1.ScimGroup{}); err != nil {
				return nil, err
			} else if ok {
				m.Type, found = scimv1.MemberTypeGroup, true
			}
		}
		if !found && dropUnknown {
			continue
		}
		if !found {
			return nil, scimerr.InvalidValue("member %q is not a user or group of this tenant", m.Value)
		}
		resolved = append(resolved, m)
	}
	return resolved, nil
}

func (s *Store) exists(ctx context.Context, key types.NamespacedName, obj client.Object) (bool, error) {
	err := fromAPI(s.client.Get(ctx, key, obj))
	if scimerr.IsNotFound(err) {
		return false, nil
	}
	return err == nil, err
}

// AddMembers adds resolved members to group g, each in its home shard at the shard count of
// the group's new size (homeShard). Members already present, in any shard, are left where they
// are.
func (s *Store) AddMembers(ctx context.Context, g *scimv1.ScimGroup, members []scimv1.GroupMember) error {
	size, err := s.members.size(ctx, g.Namespace, g.Name)
	if err != nil {
		return err
	}
	members, err = s.members.unlisted(ctx, g.Namespace, g.Name, members)
	if err != nil {
		return err
	}
	count := ShardCount(size+len(members), s.membersPerShard)
	byShard := map[string][]scimv1.GroupMember{}
	for _, m := range members {
		name := homeShard(g.Name, m.Value, size, count, s.membersPerShard)
		byShard[name] = append(byShard[name], m)
	}
	return s.editShards(ctx, g, slices.Collect(maps.Keys(byShard)), func(shard *scimv1.ScimGroupMemberShard) bool {
		return mergeMembers(shard, byShard[shard.Name])
	})
}

// shardWriters bounds the shard writes of one request that run at once: a 256-member PATCH
// touches ~200 shards of a 100,000-member group, and one write after the other made it wait
// for each round trip in turn.
const shardWriters = 8

// editShards applies edit to each named shard of g (editShard), several at once. The first
// error is returned; shards written before it stay written (each write is atomic, the set is
// not: see docs/architecture.md, "Writes").
func (s *Store) editShards(ctx context.Context, g *scimv1.ScimGroup, names []string, edit func(*scimv1.ScimGroupMemberShard) bool) error {
	slices.Sort(names)
	group, ctx := errgroup.WithContext(ctx)
	group.SetLimit(shardWriters)
	for _, name := range names {
		group.Go(func() error { return s.editShard(ctx, g, name, edit) })
	}
	return group.Wait()
}

// RemoveMembers removes the members with the given ids from group, wherever they are held,
// looking only at the shards that may hold them (shardsHolding): removing one member of a
// 100,000-member group writes one shard, not 512. Ids that are not members are ignored:
// identity providers retry removals.
func (s *Store) RemoveMembers(ctx context.Context, g *scimv1.ScimGroup, ids []string) error {
	gone := make(map[string]bool, len(ids))
	holding := map[string]bool{}
	for _, id := range ids {
		gone[id] = true
		names, err := s.shardsHolding(ctx, g.Namespace, g.Name, id)
		if err != nil {
			return err
		}
		for _, name := range names {
			holding[name] = true
		}
	}
	return s.editShards(ctx, g, slices.Collect(maps.Keys(holding)), func(shard *scimv1.ScimGroupMemberShard) bool {
		return dropMembers(shard, func(m scimv1.GroupMember) bool { return !gone[m.Value] })
	})
}

// SetMembers makes the resolved members the whole member list of g (a PUT, or a replace).
func (s *Store) SetMembers(ctx context.Context, g *scimv1.ScimGroup, members []scimv1.GroupMember) error {
	want := make(map[string]bool, len(members))
	for _, m := range members {
		want[m.Value] = true
	}
	if err := s.keepMembers(ctx, g, func(m scimv1.GroupMember) bool { return want[m.Value] }); err != nil {
		return err
	}
	return s.AddMembers(ctx, g, members)
}

// keepMembers drops, from every shard of g, the members keep rejects.
func (s *Store) keepMembers(ctx context.Context, g *scimv1.ScimGroup, keep func(scimv1.GroupMember) bool) error {
	shards, err := s.shardsOf(ctx, g.Namespace, g.Name)
	if err != nil {
		return err
	}
	var names []string
	for i := range shards {
		if dropsAny(shards[i].Spec.Members, keep) {
			names = append(names, shards[i].Name)
		}
	}
	return s.editShards(ctx, g, names, func(shard *scimv1.ScimGroupMemberShard) bool {
		return dropMembers(shard, keep)
	})
}

// dropMembers drops the members of shard that keep rejects, and reports whether any was.
func dropMembers(shard *scimv1.ScimGroupMemberShard, keep func(scimv1.GroupMember) bool) bool {
	kept := shard.Spec.Members[:0:0]
	for _, m := range shard.Spec.Members {
		if keep(m) {
			kept = append(kept, m)
		}
	}
	changed := len(kept) != len(shard.Spec.Members)
	shard.Spec.Members = kept
	return changed
}

func dropsAny(members []scimv1.GroupMember, keep func(scimv1.GroupMember) bool) bool {
	for _, m := range members {
		if !keep(m) {
			return true
		}
	}
	return false
}

// removeFromAllGroups removes id from the member lists of every group of namespace ns.
func (s *Store) removeFromAllGroups(ctx context.Context, ns, id string) error {
	groups, err := s.members.groupsOf(ctx, ns, id)
	if err != nil {
		return err
	}
	for _, group := range groups {
		g := &scimv1.ScimGroup{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: group}}
		if err := s.RemoveMembers(ctx, g, []string{id}); err != nil {
			return err
		}
	}
	return nil
}

// editShard applies edit to shard name of group g with optimistic concurrency: on a conflict it
// re-reads the shard from the API server and edits again, so concurrent writers never drop each
// other's members. A missing shard is created (owned by g) when edit adds to it; a shard left
// empty is kept, to be reused.
func (s *Store) editShard(ctx context.Context, g *scimv1.ScimGroup, name string, edit func(*scimv1.ScimGroupMemberShard) bool) error {
	key := types.NamespacedName{Namespace: g.Namespace, Name: name}
	reader := client.Reader(s.client)
	for attempt := 0; ; attempt++ {
		var shard scimv1.ScimGroupMemberShard
		err := reader.Get(ctx, key, &shard)
		reader = s.live
		switch {
		case apierrors.IsNotFound(err):
			shard = scimv1.ScimGroupMemberShard{
				ObjectMeta: metav1.ObjectMeta{Namespace: g.Namespace, Name: name},
				Spec:       scimv1.ScimGroupMemberShardSpec{Group: g.Name},
			}
			if !edit(&shard) {
				return nil
			}
			if g.UID != "" {
				if err := controllerutil.SetOwnerReference(g, &shard, s.client.Scheme()); err != nil {
					return err
				}
			}
			err = s.client.Create(ctx, &shard)
			if apierrors.IsAlreadyExists(err) && attempt < 10 {
				continue // another writer created it first: edit theirs
			}
			return fromAPI(err)
		case err != nil:
			return fromAPI(err)
		}
		if !edit(&shard) {
			return nil
		}
		err = s.client.Update(ctx, &shard)
		if apierrors.IsConflict(err) && attempt < 10 {
			continue
		}
		return fromAPI(err)
	}
}

// mergeMembers adds members missing from shard and reports whether it changed. One member
// (Entra sends one per PATCH) is looked for directly, without a set of all 1,600.
func mergeMembers(shard *scimv1.ScimGroupMemberShard, members []scimv1.GroupMember) bool {
	if len(members) == 1 {
		listed := slices.ContainsFunc(shard.Spec.Members, func(m scimv1.GroupMember) bool { return m.Value == members[0].Value })
		if !listed {
			shard.Spec.Members = append(shard.Spec.Members, members[0])
		}
		return !listed
	}
	present := make(map[string]bool, len(shard.Spec.Members))
	for _, m := range shard.Spec.Members {
		present[m.Value] = true
	}
	changed := false
	for _, m := range members {
		if !present[m.Value] {
			present[m.Value] = true
			shard.Spec.Members = append(shard.Spec.Members, m)
			changed = true
		}
	}
	return changed
}

// shardsHolding names the shards of group in namespace ns that may list member id: those the
// member map knows of (this replica's own writes included), and the shards SCIM would have put
// it in at each shard count up to the group's current one (either home of homeShard: both are
// among the NewShardNames), which another replica may have written a moment ago. Most do not exist; reading them from the
// cache costs a lookup.
func (s *Store) shardsHolding(ctx context.Context, ns, group, id string) ([]string, error) {
	names, err := s.members.shardsListing(ctx, ns, group, id)
	if err != nil {
		return nil, err
	}
	size, err := s.members.size(ctx, ns, group)
	if err != nil {
		return nil, err
	}
	for count := MinShards; count <= ShardCount(size, s.membersPerShard); count *= 2 {
		if home := NewShardName(group, id, count); !slices.Contains(names, home) {
			names = append(names, home)
		}
	}
	return names, nil
}

// homeShard names the shard a member id added to group goes to, when the group held size
// members before the add and count is the shard count of its new size. While the shards of
// the last doubling's smaller count are not full yet (a group created or replaced with many
// members at once), members spread over all count shards (ShardName). Once they are, as for
// a group that grows a few members at a time, new members go only to the shards the doubling
// added (NewShardName): the old shards keep the members they have, and no shard ends up with
// much more than membersPerShard. Spread evenly instead, the first 64 shards of a group grown
// one member at a time to 100,000 held ~580 members each at 256 a shard, the newest ~70, and
// a write to the full ones cost the API server twice as much.
func homeShard(group, id string, size, count, membersPerShard int) string {
	if count > MinShards && size >= count/2*membersPerShard {
		return NewShardName(group, id, count)
	}
	return ShardName(group, id, count)
}

// ShardName is the name of the shard of group that holds member id when the group is spread
// over count shards (a power of two). The shards of 64 are those of 128 and more with an index
// under 64: growing the count adds shards and renames none.
func ShardName(group, memberID string, count int) string {
	return shardNamed(group, memberHash(memberID)&uint32(count-1))
}

// NewShardName is the name of the shard of group that member id goes to among those that
// doubling the shard count to count added (indexes count/2 to count-1); at MinShards, which no
// doubling made, it is ShardName. The shards a member may be in are thus its ShardName at
// MinShards and its NewShardName at each count above: ShardName at 2n is ShardName at n or
// NewShardName at 2n.
func NewShardName(group, memberID string, count int) string {
	if count <= MinShards {
		return ShardName(group, memberID, count)
	}
	half := uint32(count / 2)
	return shardNamed(group, memberHash(memberID)&(half-1)|half)
}

func memberHash(memberID string) uint32 {
	h := fnv.New32a()
	_, _ = h.Write([]byte(memberID))
	return h.Sum32()
}

// shardNamed is the name of shard index of group.
func shardNamed(group string, index uint32) string {
	suffix := fmt.Sprintf("-m%02x", index)
	// Object names are at most 253 characters; keep long group names unique by a hash.
	if len(group)+len(suffix) > 253 {
		sum := sha256.Sum256([]byte(group))
		group = group[:200] + "-" + hex.EncodeToString(sum[:8])
	}
	return group + suffix
}
