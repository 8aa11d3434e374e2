package patch

import (
	"fmt"
	"strings"
	"testing"

	"github.com/scim-operator/scim-operator/internal/schema"
)

// BenchmarkMembershipPatch is a large Okta membership PATCH (K4, K5) on a large group: 500
// removals by filter and 500 additions against 5,000 members. Okta drops the connection after
// 60 s, so this must stay far below that.
func BenchmarkMembershipPatch(b *testing.B) {
	doc := groupDoc(b)
	var members L
	for i := range 5000 {
		members = append(members, M{"value": fmt.Sprintf("member-%05d", i), "display": fmt.Sprint(i), "type": "User"})
	}
	doc["members"] = members
	var ops []string
	for i := range 500 {
		ops = append(ops,
			fmt.Sprintf(`{"op":"remove","path":"members[value eq \"member-%05d\"]"}`, i*10),
			fmt.Sprintf(`{"op":"add","path":"members","value":[{"value":"new-%05d","display":"New"}]}`, i))
	}
	parsed, err := ParseRequest(body("["+strings.Join(ops, ",")+"]"), schema.GroupResourceType)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := Apply(doc, parsed, schema.GroupResourceType); err != nil {
			b.Fatal(err)
		}
	}
}
