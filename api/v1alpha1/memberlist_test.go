package v1alpha1

import (
	"encoding/json"
	"fmt"
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

// FuzzUnquote: the one-pass unquoting of member lists reads every JSON string as
// encoding/json does, whether it takes its own path or falls back.
func FuzzUnquote(f *testing.F) {
	for _, seed := range []string{`"u-1\ng-2 Group"`, `"a\\b\/c\"d\te"`, `"\u00e9\ud83d\ude00"`, `"bad\`, `"\q"`, "\"\xff\"", `""`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		quoted, _ := json.Marshal(string(data))
		for _, in := range [][]byte{data, quoted} {
			var want string
			if json.Unmarshal(in, &want) != nil {
				continue // not a JSON string: the decoder never passes one
			}
			got, err := unquote(in)
			if err != nil || got != want {
				t.Fatalf("unquote(%q) = %q, %v; encoding/json reads %q", in, got, err, want)
			}
		}
	})
}

// BenchmarkMemberListDecode is the decoding of a shard's members at 100,000 members a group.
func BenchmarkMemberListDecode(b *testing.B) {
	l := make(MemberList, 1560)
	for i := range l {
		l[i] = GroupMember{Value: fmt.Sprintf("u-%032x", i), Type: MemberTypeUser}
	}
	data, err := json.Marshal(ScimGroupMemberShardSpec{Group: "big", Members: l})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		var spec ScimGroupMemberShardSpec
		if err := json.Unmarshal(data, &spec); err != nil || len(spec.Members) != len(l) {
			b.Fatal(err, len(spec.Members))
		}
	}
}

// BenchmarkMemberListEncode is the encoding of a shard's members at 100,000 members a group.
func BenchmarkMemberListEncode(b *testing.B) {
	l := make(MemberList, 1560)
	for i := range l {
		l[i] = GroupMember{Value: fmt.Sprintf("u-%032x", i), Type: MemberTypeUser}
	}
	spec := ScimGroupMemberShardSpec{Group: "big", Members: l}
	for b.Loop() {
		if _, err := json.Marshal(spec); err != nil {
			b.Fatal(err)
		}
	}
}
