package store

import (
	"context"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/internal/resource"
)

// memberGroups keeps, per namespace, the shards and groups that list each member, and the
// number of distinct members of each group: a map lookup for the `groups` of every user served,
// for the shards a removal must edit and for a group's memberCount. It replaces a cache index by
// member, which client-go re-computes for every member of a shard on each event (1,560 at
// 100,000 members); here a one-member change touches one entry. It is fed by the shard
// informer's events and by this replica's own shard writes (read-your-writes), the
// resourceVersion deciding which is newer, like Order.
type memberGroups struct {
	mu     sync.RWMutex
	synced func() bool
	// shards is the latest version seen of each shard (members nil for a tombstone).
	shards map[types.NamespacedName]shardMembers
	// holders lists, per namespace and member, the shards listing it: a shard once for each
	// time it lists the member (a multiset; only a hand-written shard lists a member twice).
	holders map[string]map[string][]holder
	// sizes counts, per namespace and group, the distinct members its shards list.
	sizes map[string]map[string]int
	// stamps sums up, per namespace and group, the versions and times of its shards.
	stamps map[string]map[string]*groupStamp
	// subscribers are told of each change of members, after it is visible here.
	subscribers []func(MembersChanged)
}

// MembersChanged is a change to the members of a group: the members that came or went (it may
// name a few that did neither).
type MembersChanged struct {
	Namespace, Group string
	Members          []string
}

type holder struct{ shard, group string }

type shardMembers struct {
	version  uint64
	modified time.Time
	group    string
	members  []string
}

// live reports whether the shard exists (a tombstone has no member list, an empty shard an
// empty one).
func (s shardMembers) live() bool { return s.members != nil }

// groupStamp is what a group's meta.version and meta.lastModified take from its shards, kept
// as they change: a GET of a group without its members then costs a lookup, not a pass over
// its shards (512 at 100,000 members).
type groupStamp struct {
	fingerprint  uint64 // of the shards' names and versions: shardFingerprint, combined by XOR
	lastModified time.Time
	shards       map[string]bool
}

// shardFingerprint is one shard's part of its group's fingerprint. Parts are combined by XOR,
// in no order, so that a change replaces one part in constant time.
func shardFingerprint(name string, version uint64) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(name))
	_, _ = h.Write([]byte{'='})
	_, _ = h.Write(strconv.AppendUint(nil, version, 10))
	return h.Sum64()
}

func newMemberGroups() *memberGroups {
	return &memberGroups{
		synced:  func() bool { return false },
		shards:  map[types.NamespacedName]shardMembers{},
		holders: map[string]map[string][]holder{},
		sizes:   map[string]map[string]int{},
		stamps:  map[string]map[string]*groupStamp{},
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

// subscribe has changed called with each change of members from now on, once the change is
// visible here. changed must not block nor keep the member slice: it runs on the informer's or
// a writer's goroutine.
func (m *memberGroups) subscribe(changed func(MembersChanged)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.subscribers = append(m.subscribers, changed)
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
	version := resourceVersion(shard)
	// The informer reports each of this replica's writes again: skip it before copying 1,600 ids.
	m.mu.RLock()
	old, known := m.shards[key]
	m.mu.RUnlock()
	if known && !old.supersededBy(version, deleted) {
		return
	}
	next := shardMembers{version: version, modified: resource.LastModified(shard), group: shard.Spec.Group}
	if !deleted {
		next.members = make([]string, len(shard.Spec.Members))
		for i, member := range shard.Spec.Members {
			next.members[i] = member.Value
		}
	}
	m.mu.Lock()
	old, known = m.shards[key]
	if known && !old.supersededBy(version, deleted) {
		m.mu.Unlock()
		return
	}
	var changes []MembersChanged
	if old.group == next.group {
		// Usually one member came or went: count only what differs, not all 1,600.
		removed, added := changedMembers(old.members, next.members)
		m.count(key, next.group, removed, -1)
		m.count(key, next.group, added, +1)
		changes = []MembersChanged{{key.Namespace, next.group, slices.Concat(removed, added)}}
	} else {
		m.count(key, old.group, old.members, -1)
		m.count(key, next.group, next.members, +1)
		changes = []MembersChanged{{key.Namespace, next.group, next.members}}
		if known {
			changes = append(changes, MembersChanged{key.Namespace, old.group, old.members})
		}
	}
	m.shards[key] = next
	m.restamp(key, old, next)
	subscribers := m.subscribers
	m.mu.Unlock()
	notify(subscribers, changes...)
}

// supersededBy reports whether a version of the shard is news next to s: a newer version, or
// this replica's delete (deleted) of the same version.
func (s shardMembers) supersededBy(version uint64, deleted bool) bool {
	return version > s.version || version == s.version && deleted && s.live()
}

func notify(subscribers []func(MembersChanged), changes ...MembersChanged) {
	for _, changed := range subscribers {
		for _, c := range changes {
			changed(c)
		}
	}
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
	old, known := m.shards[key]
	if !known || old.version > resourceVersion(shard) {
		m.mu.Unlock()
		return // re-created since
	}
	m.count(key, old.group, old.members, -1)
	delete(m.shards, key)
	m.restamp(key, old, shardMembers{})
	subscribers := m.subscribers
	m.mu.Unlock()
	notify(subscribers, MembersChanged{key.Namespace, old.group, old.members})
}

// count adds (delta +1) or removes (-1) shard as a holder of each of ids, a member of group.
func (m *memberGroups) count(shard types.NamespacedName, group string, ids []string, delta int) {
	if len(ids) == 0 {
		return
	}
	ns, h := shard.Namespace, holder{shard: shard.Name, group: group}
	byMember, sizes := m.holders[ns], m.sizes[ns]
	if byMember == nil {
		byMember, sizes = map[string][]holder{}, map[string]int{}
		m.holders[ns], m.sizes[ns] = byMember, sizes
	}
	for _, id := range ids {
		holders := byMember[id]
		wasMember := holdsGroup(holders, group)
		if delta > 0 {
			holders = append(holders, h)
		} else if i := slices.Index(holders, h); i >= 0 {
			holders[i] = holders[len(holders)-1]
			holders = holders[:len(holders)-1]
		}
		isMember := holdsGroup(holders, group)
		switch {
		case isMember && !wasMember:
			sizes[group]++
		case wasMember && !isMember:
			if sizes[group]--; sizes[group] == 0 {
				delete(sizes, group)
			}
		}
		if len(holders) == 0 {
			delete(byMember, id)
		} else {
			// A copy of the id: a map assignment stores the key it is given, and id is a piece
			// of the shard's one member string (ParseMemberList), 55 KB at 1,600 members,
			// which it would keep alive for as long as the member stays: one version of a
			// shard per member added, gigabytes at 100,000 one-member PATCHes.
			byMember[strings.Clone(id)] = holders
		}
	}
	if len(byMember) == 0 {
		delete(m.holders, ns)
		delete(m.sizes, ns)
	}
}

// restamp replaces version old of shard by next in the stamps of their groups (either may be a
// tombstone or unknown: the zero shardMembers).
func (m *memberGroups) restamp(shard types.NamespacedName, old, next shardMembers) {
	if old.live() {
		s := m.stampOf(shard.Namespace, old.group)
		s.fingerprint ^= shardFingerprint(shard.Name, old.version)
		delete(s.shards, shard.Name)
	}
	if next.live() {
		s := m.stampOf(shard.Namespace, next.group)
		s.fingerprint ^= shardFingerprint(shard.Name, next.version)
		s.shards[shard.Name] = true
		if next.modified.After(s.lastModified) {
			s.lastModified = next.modified
		}
	}
	if old.live() && (!next.live() || next.group != old.group || next.modified.Before(old.modified)) {
		// A shard left the group, or went back in time (clocks): its time may have been the
		// latest.
		s := m.stamps[shard.Namespace][old.group]
		s.lastModified = time.Time{}
		for name := range s.shards {
			if t := m.shards[types.NamespacedName{Namespace: shard.Namespace, Name: name}].modified; t.After(s.lastModified) {
				s.lastModified = t
			}
		}
		if len(s.shards) == 0 {
			delete(m.stamps[shard.Namespace], old.group)
		}
		if len(m.stamps[shard.Namespace]) == 0 {
			delete(m.stamps, shard.Namespace)
		}
	}
}

func (m *memberGroups) stampOf(ns, group string) *groupStamp {
	groups := m.stamps[ns]
	if groups == nil {
		groups = map[string]*groupStamp{}
		m.stamps[ns] = groups
	}
	s := groups[group]
	if s == nil {
		s = &groupStamp{shards: map[string]bool{}}
		groups[group] = s
	}
	return s
}

// stamp returns the fingerprint of the shards of group in namespace ns, their latest change,
// and how many there are.
func (m *memberGroups) stamp(ctx context.Context, ns, group string) (fingerprint uint64, lastModified time.Time, shards int, err error) {
	if err := waitFor(ctx, m.synced); err != nil {
		return 0, time.Time{}, 0, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if s := m.stamps[ns][group]; s != nil {
		return s.fingerprint, s.lastModified, len(s.shards), nil
	}
	return 0, time.Time{}, 0, nil
}

func holdsGroup(holders []holder, group string) bool {
	return slices.ContainsFunc(holders, func(h holder) bool { return h.group == group })
}

// groupsOf returns the names of the groups of namespace ns that list id, sorted.
func (m *memberGroups) groupsOf(ctx context.Context, ns, id string) ([]string, error) {
	if err := waitFor(ctx, m.synced); err != nil {
		return nil, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	holders := m.holders[ns][id]
	if len(holders) == 0 {
		return nil, nil
	}
	names := make([]string, 0, len(holders))
	for _, h := range holders {
		names = append(names, h.group)
	}
	slices.Sort(names)
	return slices.Compact(names), nil
}

// shardsListing returns the names of the shards of group in namespace ns that list id.
func (m *memberGroups) shardsListing(ctx context.Context, ns, group, id string) ([]string, error) {
	if err := waitFor(ctx, m.synced); err != nil {
		return nil, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	var names []string
	for _, h := range m.holders[ns][id] {
		if h.group == group && !slices.Contains(names, h.shard) {
			names = append(names, h.shard)
		}
	}
	return names, nil
}

// unlisted returns the members no shard of group in namespace ns lists.
func (m *memberGroups) unlisted(ctx context.Context, ns, group string, members []scimv1.GroupMember) ([]scimv1.GroupMember, error) {
	if err := waitFor(ctx, m.synced); err != nil {
		return nil, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	holders := m.holders[ns]
	return slices.DeleteFunc(slices.Clone(members), func(member scimv1.GroupMember) bool {
		return holdsGroup(holders[member.Value], group)
	}), nil
}

// size returns the number of distinct members the shards of group in namespace ns list.
func (m *memberGroups) size(ctx context.Context, ns, group string) (int, error) {
	if err := waitFor(ctx, m.synced); err != nil {
		return 0, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.sizes[ns][group], nil
}
