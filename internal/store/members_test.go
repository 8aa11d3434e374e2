package store

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

func TestShardCountGrowsWithTheGroup(t *testing.T) {
	for _, c := range []struct{ members, want int }{
		{0, 64}, {1, 64}, {8_192, 64}, {8_193, 128}, {16_384, 128}, {16_385, 256},
		{100_000, 1024}, {524_288, 4096}, {50_000_000, 4096},
	} {
		if got := ShardCount(c.members, DefaultMembersPerShard); got != c.want {
			t.Errorf("ShardCount(%d) = %d, want %d", c.members, got, c.want)
		}
	}
}

// Shards written before the count became a function of the group's size were named at 64
// (fnv32a of the member id, mod 64): those names must not change.
func TestShardNamesAtSixtyFourAreTheStoredOnes(t *testing.T) {
	for id, want := range map[string]string{
		"2819c223-7f76-453a-919d-413861904646": "team-m39",
		"alice":                                "team-m27",
	} {
		if got := ShardName("team", id, MinShards); got != want {
			t.Errorf("ShardName(team, %s, 64) = %s, want %s", id, got, want)
		}
	}
}

// Doubling the count keeps each member in its shard or sends it to one of the new shards:
// growing renames nothing already stored.
func TestGrowingTheShardCountAddsShards(t *testing.T) {
	for n := range 2000 {
		id := fmt.Sprintf("member-%d", n)
		for count := MinShards; count < MaxShards; count *= 2 {
			before, after := ShardName("team", id, count), ShardName("team", id, 2*count)
			if after != before && shardIndex(t, after) != shardIndex(t, before)+uint64(count) {
				t.Fatalf("%s: shard %s at %d, %s at %d", id, before, count, after, 2*count)
			}
			if shardIndex(t, after) >= uint64(2*count) {
				t.Fatalf("%s: shard %s beyond %d shards", id, after, 2*count)
			}
		}
	}
}

// The shards a member may be in are its ShardName at MinShards and its NewShardName at every
// count above (shardsHolding looks there): ShardName at 2n is ShardName at n or NewShardName
// at 2n, and NewShardName at 2n is one of the shards doubling to 2n added.
func TestNewShardNamesCoverEveryHome(t *testing.T) {
	for n := range 2000 {
		id := fmt.Sprintf("member-%d", n)
		if NewShardName("team", id, MinShards) != ShardName("team", id, MinShards) {
			t.Fatalf("%s: NewShardName at %d is not its ShardName", id, MinShards)
		}
		for count := MinShards; count < MaxShards; count *= 2 {
			spread, added := ShardName("team", id, 2*count), NewShardName("team", id, 2*count)
			if spread != ShardName("team", id, count) && spread != added {
				t.Fatalf("%s: ShardName %s at %d is neither its home at %d nor %s", id, spread, 2*count, count, added)
			}
			if i := shardIndex(t, added); i < uint64(count) || i >= uint64(2*count) {
				t.Fatalf("%s: NewShardName %s at %d is not among the shards doubling added", id, added, 2*count)
			}
		}
	}
}

// A group grown one member at a time to 100,000 members keeps its shards near
// DefaultMembersPerShard: each doubling's new shards take the members that come after it.
// Spread over all shards at every count, the first 64 took a share of every doubling
// (~580 members each at 256 a shard).
func TestGroupGrownOneMemberAtATimeHasEvenShards(t *testing.T) {
	held := map[string]int{}
	for size := range 100_000 {
		count := ShardCount(size+1, DefaultMembersPerShard)
		held[homeShard("team", fmt.Sprintf("user-%d", size), size, count, DefaultMembersPerShard)]++
	}
	fullest := 0
	for _, n := range held {
		fullest = max(fullest, n)
	}
	t.Logf("%d shards, the fullest holds %d members", len(held), fullest)
	if limit := DefaultMembersPerShard * 3 / 2; fullest > limit {
		t.Errorf("the fullest of %d shards holds %d members, want at most %d", len(held), fullest, limit)
	}
	if want := ShardCount(100_000, DefaultMembersPerShard); len(held) != want {
		t.Errorf("members are in %d shards, want all %d", len(held), want)
	}
}

// shardIndex is the index of shard name of group "team".
func shardIndex(t *testing.T, name string) uint64 {
	t.Helper()
	i, err := strconv.ParseUint(strings.TrimPrefix(name, "team-m"), 16, 32)
	if err != nil {
		t.Fatal(err)
	}
	return i
}
