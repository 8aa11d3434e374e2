package filter

import (
	"strings"
	"testing"

	"github.com/scim-operator/scim-operator/internal/schema"
)

// BenchmarkParse measures the filters Entra and Okta send (E6 and K1 of the IdP quirks list)
// and the worst shapes the length limit allows.
func BenchmarkParse(b *testing.B) {
	// chain repeats " op unit" after unit up to the length limit.
	chain := func(unit, op string) string {
		sep := " " + op + " " + unit
		return unit + strings.Repeat(sep, (MaxFilterLength-len(unit))/len(sep))
	}
	cases := []struct{ name, filter string }{
		{"okta/userName", `userName eq "alice@example.com"`},
		{"entra/externalId", `externalId eq "00u1abc-8f2e-4c1d"`},
		{"entra/displayName", `displayName eq "Sales"`},
		{"entra/emailValuePath", `emails[type eq "work"].value eq "alice@example.com"`},
		{"entra/unquoted", `userName sw O`},
		{"entra/conformance", `name.FamilyName eq Employee and (emails.Value co example.com or emails.Value co example.org)`},
		{"entra/dateTime", `meta.Created gt 2015-10-10T14:38:21.8617979-07:00`},
		{"and", `userName eq "alice@example.com" and active eq true`},
		{"valuePath", `emails[type eq "work" and primary eq true and value co "@example.com"]`},
		{"maxAndChain", chain("title pr", "and")},
		{"maxOrParens", chain("(title pr)", "or")},
		{"maxValuePaths", chain(`emails[type pr]`, "or")},
		{"maxStrings", chain(`userName eq "x"`, "or")},
		{"maxWord", strings.Repeat("a", MaxFilterLength-3) + " pr"},
		{"maxDeepGroups", chain(strings.Repeat("(", MaxFilterDepth)+"title pr"+
			strings.Repeat(")", MaxFilterDepth), "or")},
		{"maxDepth", strings.Repeat("not (", MaxFilterDepth) + "title pr" +
			strings.Repeat(")", MaxFilterDepth)},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				_, _ = Parse(c.filter, schema.UserResourceType)
			}
		})
	}
}

// BenchmarkParseValueFilter measures the filter of a PATCH path such as Okta's
// `members[value eq "..."]` (idp-quirks K4).
func BenchmarkParseValueFilter(b *testing.B) {
	members := schema.Group.Attribute("members")
	for b.Loop() {
		_, _ = ParseValueFilter(`value eq "2819c223-7f76-453a-919d-413861904646"`, members)
	}
}

func BenchmarkMatches(b *testing.B) {
	docs := users(b)
	f, err := Parse(`emails[type eq "work" and value co "@example.com"] and meta.created gt "2020-01-01T00:00:00Z"`,
		schema.UserResourceType)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		for _, doc := range docs {
			f.Matches(doc)
		}
	}
}
