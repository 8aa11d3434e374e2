package store

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

func TestShardCountGrowsWithTheGroup(t *testing.T) {
	for _, c := range []struct{ members, want int }{
		{0, 64}, {1, 64}, {16_384, 64}, {16_385, 128}, {32_768, 128}, {32_769, 256},
		{100_000, 512}, {1_048_576, 4096}, {50_000_000, 4096},
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
	index := func(name string) uint64 {
		i, err := strconv.ParseUint(strings.TrimPrefix(name, "team-m"), 16, 32)
		if err != nil {
			t.Fatal(err)
		}
		return i
	}
	for n := range 2000 {
		id := fmt.Sprintf("member-%d", n)
		for count := MinShards; count < MaxShards; count *= 2 {
			before, after := ShardName("team", id, count), ShardName("team", id, 2*count)
			if after != before && index(after) != index(before)+uint64(count) {
				t.Fatalf("%s: shard %s at %d, %s at %d", id, before, count, after, 2*count)
			}
			if index(after) >= uint64(2*count) {
				t.Fatalf("%s: shard %s beyond %d shards", id, after, 2*count)
			}
		}
	}
}
