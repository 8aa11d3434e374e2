package v1alpha1

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMemberListIsOneStringAndRoundTrips(t *testing.T) {
	spec := ScimGroupMemberShardSpec{Group: "g", Members: MemberList{
		{Value: "u-1", Type: MemberTypeUser},
		{Value: "g-2", Type: MemberTypeGroup},
		{Value: "u-3", Type: MemberTypeUser, Display: "Ada  Lovelace"},
		{Value: "u-4", Display: "two\nlines"},
	}}
	data, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"group":"g","members":"u-1\ng-2 Group\nu-3 User Ada  Lovelace\nu-4 User two lines"}`
	if string(data) != want {
		t.Fatalf("encoded\n%s\nwant\n%s", data, want)
	}
	var back ScimGroupMemberShardSpec
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	spec.Members[3] = GroupMember{Value: "u-4", Type: MemberTypeUser, Display: "two lines"}
	if diff := cmp.Diff(spec, back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	// Written by hand: blank lines and CRLF are fine; no members is no field.
	if got := ParseMemberList("a\r\n\nb Group\n"); !cmp.Equal(got, MemberList{{Value: "a", Type: MemberTypeUser}, {Value: "b", Type: MemberTypeGroup}}) {
		t.Errorf("hand-written list read as %v", got)
	}
	if data, _ := json.Marshal(ScimGroupMemberShardSpec{Group: "g"}); string(data) != `{"group":"g"}` {
		t.Errorf("empty shard encoded as %s", data)
	}
}
