package patch

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scim-operator/scim-operator/internal/schema"
)

func TestEqualities(t *testing.T) {
	emails := schema.User.Attribute("emails")
	cases := map[string]struct {
		reason string
		filter string
		want   map[string]any
	}{
		"one equality": {
			reason: "E11's filter: type eq work describes {type: work}.",
			filter: `type eq "work"`,
			want:   map[string]any{"type": "work"},
		},
		"canonical names and typed values": {
			reason: "names come back canonical and booleans typed, also from E2 strings.",
			filter: `TYPE eq "work" AND Primary eq "True"`,
			want:   map[string]any{"type": "work", "primary": true},
		},
		"unquoted value": {
			reason: "Entra's unquoted strings, which the filter package accepts, describe a value too.",
			filter: `type eq work`,
			want:   map[string]any{"type": "work"},
		},
		"and inside a string": {
			reason: "the word and inside a string does not split the filter.",
			filter: `value eq "bread and butter"`,
			want:   map[string]any{"value": "bread and butter"},
		},
		"or": {
			reason: "or describes two values, not one.",
			filter: `type eq "work" or type eq "home"`,
		},
		"not": {
			reason: "parentheses and not are beyond a plain conjunction.",
			filter: `not (type eq "work")`,
		},
		"other operator": {
			reason: "only eq pins a value.",
			filter: `type ne "work"`,
		},
		"null": {
			reason: "eq null describes an unassigned attribute, nothing to create.",
			filter: `type eq null`,
		},
		"contradiction": {
			reason: "two values for one sub-attribute describe nothing.",
			filter: `type eq "work" and type eq "home"`,
		},
		"wrong type": {
			reason: "a value that does not fit its sub-attribute describes nothing.",
			filter: `primary eq "maybe"`,
		},
		"unknown sub-attribute": {
			reason: "only sub-attributes of the multi-valued attribute count.",
			filter: `color eq "red"`,
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got, ok := equalities(c.filter, emails)
			if ok != (c.want != nil) {
				t.Fatalf("%s\nok = %v, want %v", c.reason, ok, c.want != nil)
			}
			if diff := cmp.Diff(c.want, got); ok && diff != "" {
				t.Errorf("%s\n(-want +got):\n%s", c.reason, diff)
			}
		})
	}
}
