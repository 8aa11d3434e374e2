package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"testing"

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
// of shards (appends, removals, reorders, replacements), counting only the difference leaves
// the same member map as counting every member afresh.
func TestMemberGroupsCountsOnlyTheDifferenceCorrectly(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	incremental := newMemberGroups()
	incremental.synced = func() bool { return true }
	current := map[string][]string{}
	for version := 1; version <= 2000; version++ {
		name := fmt.Sprintf("g-m%d", rng.IntN(3))
		members := slices.Clone(current[name])
		switch rng.IntN(4) {
		case 0:
			members = append(members, fmt.Sprintf("u%d", rng.IntN(20)))
		case 1:
			if len(members) > 0 {
				i := rng.IntN(len(members))
				members = slices.Delete(members, i, i+1)
			}
		case 2:
			rng.Shuffle(len(members), func(i, j int) { members[i], members[j] = members[j], members[i] })
		case 3:
			if len(members) > 0 {
				members[rng.IntN(len(members))] = fmt.Sprintf("u%d", rng.IntN(20))
			}
		}
		current[name] = members
		incremental.put(shard("a", name, "g", version, members...), false)

		fresh := newMemberGroups()
		for n, ms := range current {
			fresh.put(shard("a", n, "g", 1, ms...), false)
		}
		if !reflect.DeepEqual(incremental.listed, fresh.listed) {
			t.Fatalf("version %d: incremental %v, counted afresh %v", version, incremental.listed, fresh.listed)
		}
	}
}
