package store

import (
	"context"
	"slices"
	"sync"

	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
)

// memberGroups keeps, per namespace, the groups that list each member, for the `groups`
// attribute of every user served: a map lookup, where the cache's member index costs a List
// with its option parsing and reflection for each user of a page. It is fed by the shard
// informer's events and by this replica's own shard writes (read-your-writes), the
// resourceVersion deciding which is newer, like Order.
type memberGroups struct {
	mu     sync.RWMutex
	synced func() bool
	// shards is the latest version seen of each shard (members nil for a tombstone).
	shards map[types.NamespacedName]shardMembers
	// listed counts, per namespace, member and group, the shards of that group listing it.
	listed map[string]map[string]map[string]int
}

type shardMembers struct {
	version uint64
	group   string
	members []string
}

func newMemberGroups() *memberGroups {
	return &memberGroups{
		synced: func() bool { return false },
		shards: map[types.NamespacedName]shardMembers{},
		listed: map[string]map[string]map[string]int{},
	}
}

func (m *memberGroups) watch(informer eventSource) error {
	reg, err := informer.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    m.observe,
		UpdateFunc: func(_, obj any) { m.observe(obj) },
		DeleteFunc: func(obj any) {
			if d, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
				obj = d.Obj
			}
			if s, ok := obj.(*scimv1.ScimGroupMemberShard); ok {
				m.forget(s)
			}
		},
	})
	if err != nil {
		return err
	}
	m.synced = reg.HasSynced
	return nil
}

func (m *memberGroups) observe(obj any) {
	if s, ok := obj.(*scimv1.ScimGroupMemberShard); ok {
		m.put(s, false)
	}
}

// put records the members of shard unless a newer version is known; deleted records that
// this replica deleted it.
func (m *memberGroups) put(shard *scimv1.ScimGroupMemberShard, deleted bool) {
	key := types.NamespacedName{Namespace: shard.Namespace, Name: shard.Name}
	next := shardMembers{version: resourceVersion(shard), group: shard.Spec.Group}
	if !deleted {
		next.members = make([]string, len(shard.Spec.Members))
		for i, member := range shard.Spec.Members {
			next.members[i] = member.Value
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	old, known := m.shards[key]
	if known && (next.version < old.version || old.members == nil && next.version == old.version) {
		return // older than what is known, or the state this replica deleted
	}
	if old.group == next.group {
		// Usually one member came or went: count only what differs, not all 1,600.
		removed, added := changedMembers(old.members, next.members)
		m.count(shard.Namespace, next.group, removed, -1)
		m.count(shard.Namespace, next.group, added, +1)
	} else {
		m.count(shard.Namespace, old.group, old.members, -1)
		m.count(shard.Namespace, next.group, next.members, +1)
	}
	m.shards[key] = next
}

// changedMembers returns what differs between two versions of a shard's member list: both
// without the longest common prefix and suffix. Members are appended and removed in place, so
// for a one-member change that is exactly the member; for anything else it may include
// members in both, which counting down and then up leaves as they were.
func changedMembers(old, next []string) (removed, added []string) {
	prefix := 0
	for prefix < len(old) && prefix < len(next) && old[prefix] == next[prefix] {
		prefix++
	}
	suffix := 0
	for suffix < len(old)-prefix && suffix < len(next)-prefix && old[len(old)-1-suffix] == next[len(next)-1-suffix] {
		suffix++
	}
	return old[prefix : len(old)-suffix], next[prefix : len(next)-suffix]
}

// forget drops shard, which the informer reports deleted.
func (m *memberGroups) forget(shard *scimv1.ScimGroupMemberShard) {
	key := types.NamespacedName{Namespace: shard.Namespace, Name: shard.Name}
	m.mu.Lock()
	defer m.mu.Unlock()
	old, known := m.shards[key]
	if !known || old.version > resourceVersion(shard) {
		return // re-created since
	}
	m.count(shard.Namespace, old.group, old.members, -1)
	delete(m.shards, key)
}

func (m *memberGroups) count(ns, group string, ids []string, delta int) {
	if len(ids) == 0 {
		return
	}
	byMember := m.listed[ns]
	if byMember == nil {
		byMember = map[string]map[string]int{}
		m.listed[ns] = byMember
	}
	for _, id := range ids {
		groups := byMember[id]
		if groups == nil {
			groups = map[string]int{}
			byMember[id] = groups
		}
		if groups[group] += delta; groups[group] <= 0 {
			delete(groups, group)
			if len(groups) == 0 {
				delete(byMember, id)
			}
		}
	}
	if len(byMember) == 0 {
		delete(m.listed, ns)
	}
}

// groupsOf returns the names of the groups of namespace ns that list id, sorted.
func (m *memberGroups) groupsOf(ctx context.Context, ns, id string) ([]string, error) {
	if err := waitFor(ctx, m.synced); err != nil {
		return nil, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	groups := m.listed[ns][id]
	if len(groups) == 0 {
		return nil, nil
	}
	names := make([]string, 0, len(groups))
	for g := range groups {
		names = append(names, g)
	}
	slices.Sort(names)
	return names, nil
}
