package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"sort"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/internal/resource"
)

// ShardCount is the number of ScimGroupMemberShards the SCIM server spreads a group's members
// over. A member always lands in the shard its id hashes to, so concurrent changes for different
// members rarely touch the same object, and a 100,000-member group keeps each shard near 1,600
// members, far under etcd's object size limit. See docs/architecture.md.
const ShardCount = 64

// Members returns the membership of group in namespace ns: the union of its shards, ordered by
// id, with a fingerprint and time of the shards' last change.
func (s *Store) Members(ctx context.Context, ns, group string) (resource.Membership, error) {
	var shards scimv1.ScimGroupMemberShardList
	if err := s.client.List(ctx, &shards, client.InNamespace(ns), client.MatchingFields{IndexShardGroup: group}, readOnly); err != nil {
		return resource.Membership{}, fromAPI(err)
	}
	ms := resource.Membership{Members: unionOfShards(shards.Items)}
	sort.Slice(shards.Items, func(i, j int) bool { return shards.Items[i].Name < shards.Items[j].Name })
	h := fnv.New64a()
	for i := range shards.Items {
		shard := &shards.Items[i]
		_, _ = fmt.Fprintf(h, "%s=%s;", shard.Name, shard.ResourceVersion)
		if t := resource.LastModified(shard); t.After(ms.LastModified) {
			ms.LastModified = t
		}
	}
	if len(shards.Items) > 0 {
		ms.Fingerprint = fmt.Sprintf("%x", h.Sum64())
	}
	return ms, nil
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

// GroupsOf returns the names of the groups in namespace ns that list id as a member.
func (s *Store) GroupsOf(ctx context.Context, ns, id string) ([]string, error) {
	var shards scimv1.ScimGroupMemberShardList
	if err := s.client.List(ctx, &shards, client.InNamespace(ns), client.MatchingFields{IndexShardMember: id}, readOnly); err != nil {
		return nil, fromAPI(err)
	}
	var groups []string
	seen := map[string]bool{}
	for i := range shards.Items {
		if g := shards.Items[i].Spec.Group; !seen[g] {
			seen[g] = true
			groups = append(groups, g)
		}
	}
	sort.Strings(groups)
	return groups, nil
}

// addMembers adds members to group g, each in the shard its id hashes to. Members already
// present are left as they are.
func (s *Store) addMembers(ctx context.Context, g *scimv1.ScimGroup, members []scimv1.GroupMember) error {
	byShard := map[string][]scimv1.GroupMember{}
	for _, m := range members {
		name := ShardName(g.Name, m.Value)
		byShard[name] = append(byShard[name], m)
	}
	names := make([]string, 0, len(byShard))
	for name := range byShard {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := s.addToShard(ctx, g, name, byShard[name]); err != nil {
			return err
		}
	}
	return nil
}

// addToShard merges members into one shard with optimistic concurrency: on a conflict it
// re-reads the shard and tries again, so concurrent writers never drop each other's members.
func (s *Store) addToShard(ctx context.Context, g *scimv1.ScimGroup, name string, members []scimv1.GroupMember) error {
	key := types.NamespacedName{Namespace: g.Namespace, Name: name}
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		var shard scimv1.ScimGroupMemberShard
		err := s.client.Get(ctx, key, &shard)
		switch {
		case apierrors.IsNotFound(err):
			shard = scimv1.ScimGroupMemberShard{
				ObjectMeta: metav1.ObjectMeta{Namespace: g.Namespace, Name: name},
				Spec:       scimv1.ScimGroupMemberShardSpec{Group: g.Name, Members: members},
			}
			if err := controllerutil.SetOwnerReference(g, &shard, s.client.Scheme()); err != nil {
				return err
			}
			err = s.client.Create(ctx, &shard)
			if apierrors.IsAlreadyExists(err) {
				// Another writer created it first: retry as an update.
				return apierrors.NewConflict(scimv1.GroupVersion.WithResource("scimgroupmembershards").GroupResource(), name, err)
			}
			return err
		case err != nil:
			return err
		}
		if !mergeMembers(&shard, members) {
			return nil
		}
		return s.client.Update(ctx, &shard)
	})
	return fromAPI(err)
}

// mergeMembers adds members missing from shard and reports whether it changed.
func mergeMembers(shard *scimv1.ScimGroupMemberShard, members []scimv1.GroupMember) bool {
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

// ShardName is the name of the shard of group that holds member id.
func ShardName(group, memberID string) string {
	h := fnv.New32a()
	_, _ = h.Write([]byte(memberID))
	suffix := fmt.Sprintf("-m%02x", h.Sum32()%ShardCount)
	// Object names are at most 253 characters; keep long group names unique by a hash.
	if len(group)+len(suffix) > 253 {
		sum := sha256.Sum256([]byte(group))
		group = group[:200] + "-" + hex.EncodeToString(sum[:8])
	}
	return group + suffix
}
