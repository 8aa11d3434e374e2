package store

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"
	"unsafe"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
)

func shard(ns, name, group string, version int, members ...string) *scimv1.ScimGroupMemberShard {
	s := &scimv1.ScimGroupMemberShard{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, ResourceVersion: strconv.Itoa(version)},
		Spec:       scimv1.ScimGroupMemberShardSpec{Group: group},
	}
	for _, m := range members {
		s.Spec.Members = append(s.Spec.Members, scimv1.GroupMember{Value: m, Type: scimv1.MemberTypeUser})
	}
	return s
}

func TestMemberGroups(t *testing.T) {
	m := newMemberGroups()
	m.synced = func() bool { return true }
	groupsOf := func(ns, id string) []string {
		t.Helper()
		got, err := m.groupsOf(context.Background(), ns, id)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	m.put(shard("a", "g1-m01", "g1", 1, "u1", "u2"), false)
	m.put(shard("a", "g2-m01", "g2", 2, "u1"), false)
	m.put(shard("b", "g1-m01", "g1", 3, "u9"), false)
	// A hand-written second shard of g1 also lists u1: u1 stays in g1 until both drop it.
	m.put(shard("a", "g1-extra", "g1", 4, "u1"), false)
	if got := groupsOf("a", "u1"); !slices.Equal(got, []string{"g1", "g2"}) {
		t.Fatalf("u1 in %v", got)
	}
	m.put(shard("a", "g1-m01", "g1", 5, "u2"), false) // u1 removed from one shard of g1
	if got := groupsOf("a", "u1"); !slices.Equal(got, []string{"g1", "g2"}) {
		t.Fatalf("u1 after removal from one of two shards: %v", got)
	}
	m.forget(shard("a", "g1-extra", "g1", 6))
	if got := groupsOf("a", "u1"); !slices.Equal(got, []string{"g2"}) {
		t.Fatalf("u1 after the second shard went: %v", got)
	}
	// Stale events are ignored; a shard this replica deleted does not come back.
	m.put(shard("a", "g1-m01", "g1", 4, "u1", "u2"), false)
	if got := groupsOf("a", "u1"); !slices.Equal(got, []string{"g2"}) {
		t.Fatalf("a stale event changed u1's groups: %v", got)
	}
	m.put(shard("a", "g2-m01", "g2", 2), true)
	m.put(shard("a", "g2-m01", "g2", 2, "u1"), false)
	if got := groupsOf("a", "u1"); len(got) != 0 {
		t.Fatalf("u1 after its last group's shard was deleted: %v", got)
	}
	// Tenants are apart.
	if got := groupsOf("b", "u9"); !slices.Equal(got, []string{"g1"}) {
		t.Fatalf("u9 in %v", got)
	}
	if got := groupsOf("b", "u2"); len(got) != 0 {
		t.Fatalf("u2 of tenant a seen in tenant b: %v", got)
	}

	// The shards of a group that list a member (what a removal edits), and the group's size.
	ctx := context.Background()
	m.put(shard("a", "g3-m01", "g3", 10, "u5", "u6"), false)
	m.put(shard("a", "g3-extra", "g3", 11, "u5"), false)
	if got, _ := m.shardsListing(ctx, "a", "g3", "u5"); !slices.Equal(slices.Sorted(slices.Values(got)), []string{"g3-extra", "g3-m01"}) {
		t.Fatalf("shards of g3 listing u5: %v", got)
	}
	if got, _ := m.shardsListing(ctx, "a", "g1", "u5"); len(got) != 0 {
		t.Fatalf("shards of g1 listing u5: %v", got)
	}
	if n, _ := m.size(ctx, "a", "g3"); n != 2 {
		t.Fatalf("g3 has %d distinct members, want 2", n)
	}

	// Subscribers hear of the members that came or went, and not of stale events.
	var changed []string
	m.subscribe(func(c MembersChanged) {
		changed = append(changed, fmt.Sprintf("%s/%s%v", c.Namespace, c.Group, c.Members))
	})
	m.put(shard("a", "g3-m01", "g3", 12, "u5", "u6", "u7"), false)
	m.put(shard("a", "g3-m01", "g4", 13, "u6"), false) // moved to another group
	m.put(shard("a", "g3-m01", "g3", 9, "u6"), false)  // stale
	m.forget(shard("a", "g3-extra", "g3", 14))
	if want := []string{"a/g3[u7]", "a/g4[u6]", "a/g3[u5 u6 u7]", "a/g3[u5]"}; !slices.Equal(changed, want) {
		t.Fatalf("subscriber heard %v, want %v", changed, want)
	}
	if n, _ := m.size(ctx, "a", "g3"); n != 0 {
		t.Fatalf("g3 has %d members after its shards went, want 0", n)
	}
	if n, _ := m.size(ctx, "a", "g4"); n != 1 {
		t.Fatalf("g4 has %d members, want 1", n)
	}
}

// BenchmarkMemberGroupsOneMemberChange is the work of one shard event of a 100,000-member group
// (1,560 members per shard) that adds or removes one member.
func BenchmarkMemberGroupsOneMemberChange(b *testing.B) {
	m := newMemberGroups()
	members := make([]string, 1560)
	for i := range members {
		members[i] = fmt.Sprintf("u-%032x", i)
	}
	with := shard("a", "big-m00", "big", 1, append(members, "u-extra")...)
	without := shard("a", "big-m00", "big", 1, members...)
	m.put(without, false)
	b.ResetTimer()
	for i := range b.N {
		next := with
		if i%2 == 1 {
			next = without
		}
		next.ResourceVersion = strconv.Itoa(i + 2)
		m.put(next, false)
	}
}

// TestMemberGroupsCountsOnlyTheDifferenceCorrectly: whatever the change between two versions
// of shards (appends, removals, reorders, replacements, a shard moving to another group or
// deleted), counting only the difference leaves the same member map as counting every member
// afresh.
func TestMemberGroupsCountsOnlyTheDifferenceCorrectly(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	incremental := newMemberGroups()
	incremental.synced = func() bool { return true }
	type state struct {
		group   string
		members []string
	}
	current := map[string]state{}
	for version := 1; version <= 3000; version++ {
		name := fmt.Sprintf("s%d", rng.IntN(4))
		next := current[name]
		next.members = slices.Clone(next.members)
		if next.group == "" {
			next.group = "g"
		}
		switch rng.IntN(12) {
		case 0, 1, 2:
			next.members = append(next.members, fmt.Sprintf("u%d", rng.IntN(20)))
		case 3, 4, 5:
			if len(next.members) > 0 {
				i := rng.IntN(len(next.members))
				next.members = slices.Delete(next.members, i, i+1)
			}
		case 6, 7:
			rng.Shuffle(len(next.members), func(i, j int) { next.members[i], next.members[j] = next.members[j], next.members[i] })
		case 8, 9:
			if len(next.members) > 0 {
				next.members[rng.IntN(len(next.members))] = fmt.Sprintf("u%d", rng.IntN(20))
			}
		case 10:
			next.group = []string{"g", "h"}[rng.IntN(2)]
		case 11:
			incremental.forget(shard("a", name, next.group, version))
			delete(current, name)
			continue
		}
		current[name] = next
		incremental.put(shard("a", name, next.group, version, next.members...), false)

		fresh := newMemberGroups()
		for n, st := range current {
			fresh.put(shard("a", n, st.group, 1, st.members...), false)
		}
		if got, want := normalized(incremental), normalized(fresh); !reflect.DeepEqual(got, want) {
			t.Fatalf("version %d: incremental %v, counted afresh %v", version, got, want)
		}
		// The distinct members of each group, the answer of size, against counting them.
		for _, group := range []string{"g", "h"} {
			distinct := map[string]bool{}
			for _, st := range current {
				if st.group == group {
					for _, id := range st.members {
						distinct[id] = true
					}
				}
			}
			if got, _ := incremental.size(context.Background(), "a", group); got != len(distinct) {
				t.Fatalf("version %d: size of %s %d, want %d", version, group, got, len(distinct))
			}
		}
	}
}

// normalized is the member map with each member's holders sorted, for comparing.
func normalized(m *memberGroups) map[string]map[string][]holder {
	out := map[string]map[string][]holder{}
	for ns, byMember := range m.holders {
		out[ns] = map[string][]holder{}
		for id, holders := range byMember {
			sorted := slices.Clone(holders)
			slices.SortFunc(sorted, func(a, b holder) int {
				return cmp.Or(cmp.Compare(a.group, b.group), cmp.Compare(a.shard, b.shard))
			})
			out[ns][id] = sorted
		}
	}
	return out
}

// TestMemberGroupsKeepNoPieceOfAShard: the member map's keys are copies, not pieces of the
// shard's one member string (ParseMemberList shares it): a key kept from each version of a
// shard kept every version alive, gigabytes after 100,000 one-member changes.
func TestMemberGroupsKeepNoPieceOfAShard(t *testing.T) {
	m := newMemberGroups()
	text := "u1\nu2\nu3"
	s := shard("a", "g-m00", "g", 1)
	s.Spec.Members = scimv1.ParseMemberList(text)
	m.put(s, false)
	next := shard("a", "g-m00", "g", 2)
	text2 := text + "\nu4"
	next.Spec.Members = scimv1.ParseMemberList(text2)
	m.put(next, false)

	within := func(k, s string) bool {
		p, start := uintptr(unsafe.Pointer(unsafe.StringData(k))), uintptr(unsafe.Pointer(unsafe.StringData(s)))
		return p >= start && p < start+uintptr(len(s))
	}
	for id := range m.holders["a"] {
		if within(id, text) || within(id, text2) {
			t.Errorf("the key %q is a piece of a shard's member string", id)
		}
	}
	if len(m.holders["a"]) != 4 {
		t.Errorf("members %v", m.holders["a"])
	}
}

// The member map's stamp of a group (a GET without members) is the one computed from the
// group's shards (a GET with them), through updates, moves between groups, deletions by this
// replica and by others, and stale events.
func TestMemberGroupsStampIsTheShardsOne(t *testing.T) {
	m := newMemberGroups()
	m.synced = func() bool { return true }
	rng := rand.New(rand.NewPCG(7, 11))
	live := map[string]*scimv1.ScimGroupMemberShard{}
	version := 0
	write := func(name string) *scimv1.ScimGroupMemberShard {
		version++
		s := shard("a", name, fmt.Sprintf("g%d", rng.IntN(3)), version, fmt.Sprintf("u%d", rng.IntN(50)))
		// Times out of version order: the latest time is not always the newest shard's.
		s.CreationTimestamp = metav1.NewTime(time.Unix(int64(rng.IntN(1000)), 0))
		return s
	}
	for step := range 3000 {
		name := fmt.Sprintf("s%d", rng.IntN(10))
		switch old, known := live[name]; {
		case known && rng.IntN(6) == 0:
			gone := old.DeepCopy()
			if rng.IntN(2) == 0 {
				m.put(gone, true) // this replica's delete, then the informer's
			}
			m.forget(gone)
			delete(live, name)
		case known && rng.IntN(6) == 0:
			stale := write(name)
			stale.ResourceVersion = strconv.FormatUint(resourceVersion(old)-1, 10)
			m.put(stale, false)
		default:
			s := write(name)
			m.put(s, false)
			live[name] = s
		}
		for g := range 3 {
			group := fmt.Sprintf("g%d", g)
			var shards []scimv1.ScimGroupMemberShard
			for _, s := range live {
				if s.Spec.Group == group {
					shards = append(shards, *s)
				}
			}
			wantPrint, wantTime := stampOfShards(shards)
			gotPrint, gotTime, n, err := m.stamp(context.Background(), "a", group)
			if err != nil {
				t.Fatal(err)
			}
			if gotPrint != wantPrint || !gotTime.Equal(wantTime) || n != len(shards) {
				t.Fatalf("step %d, %s: stamp %x %v of %d shards, computed %x %v of %d", step, group, gotPrint, gotTime, n, wantPrint, wantTime, len(shards))
			}
		}
	}
	if len(live) == 0 {
		t.Fatal("no shard left at the end: the sequence tested little")
	}
}
