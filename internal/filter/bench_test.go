package filter

import (
	"strings"
	"testing"

	"github.com/scim-operator/scim-operator/internal/schema"
)

// BenchmarkParse measures typical filters and the worst shapes the length limit allows.
func BenchmarkParse(b *testing.B) {
	fill := func(unit string) string { return strings.Repeat(unit, MaxFilterLength/len(unit)) }
	cases := map[string]string{
		"simple":      `userName eq "bjensen"`,
		"entra":       `name.FamilyName eq Employee and (emails.Value co example.com or emails.Value co example.org)`,
		"valuePath":   `emails[type eq "work" and primary eq true and value co "@example.com"]`,
		"maxAndChain": "title pr" + fill(" and title pr")[len("title pr"):],
		"maxOrParens": "(title pr)" + fill(" or (title pr)")[len("(title pr)"):],
		"maxValuePaths": `emails[type pr]` +
			fill(` or emails[type pr]`)[len(`emails[type pr]`):],
		"maxWord": strings.Repeat("a", MaxFilterLength-3) + " pr",
		"maxDepth": strings.Repeat("not (", MaxFilterDepth) + "title pr" +
			strings.Repeat(")", MaxFilterDepth),
	}
	for name, s := range cases {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				_, _ = Parse(s, schema.UserResourceType)
			}
		})
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
