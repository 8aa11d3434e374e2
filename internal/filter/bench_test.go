package filter

import (
	"strings"
	"testing"

	"github.com/scim-operator/scim-operator/internal/schema"
)

// BenchmarkParse measures typical filters and the worst shapes the length limit allows.
func BenchmarkParse(b *testing.B) {
	// chain repeats " op unit" after unit up to the length limit.
	chain := func(unit, op string) string {
		sep := " " + op + " " + unit
		return unit + strings.Repeat(sep, (MaxFilterLength-len(unit))/len(sep))
	}
	cases := map[string]string{
		"simple":        `userName eq "bjensen"`,
		"userName":      `userName eq "bjensen@example.com"`,
		"externalId":    `externalId eq "00u1"`,
		"entra":         `name.FamilyName eq Employee and (emails.Value co example.com or emails.Value co example.org)`,
		"valuePath":     `emails[type eq "work" and primary eq true and value co "@example.com"]`,
		"maxAndChain":   chain("title pr", "and"),
		"maxOrParens":   chain("(title pr)", "or"),
		"maxValuePaths": chain(`emails[type pr]`, "or"),
		"maxStrings":    chain(`userName eq "x"`, "or"),
		"maxWord":       strings.Repeat("a", MaxFilterLength-3) + " pr",
		"maxDeepGroups": chain(strings.Repeat("(", MaxFilterDepth)+"title pr"+
			strings.Repeat(")", MaxFilterDepth), "or"),
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
