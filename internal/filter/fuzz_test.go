package filter

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/scim-operator/scim-operator/internal/schema"
)

// conformanceFilters are the filters of the third-party suites in /work/shared/conformance,
// after URL decoding, with their variables filled in.
var conformanceFilters = []string{
	// Okta-SCIM-20-SPEC-Test.json
	`userName eq "abcdefgh@atko.com"`,
	`userName eq "Runscope123Abcdefghi456@atko.com"`,
	`userName eq "RUNSCOPE123ABCDEFGHI456@ATKO.COM"`,
	// AzureAD-SCIMReferenceCode-PostmanCollection.json
	`DisplayName eq "BobIsAmazing"`,
	`name.FamilyName eq Employee and (emails.Value co example.com or emails.Value co example.org)`,
	`userName sw O`,
	`meta.Created gt 2015-10-10T14:38:21.8617979-07:00`,
}

// TestConformanceFilters checks that every filter the suites send parses and selects what the
// suites expect on documents like the ones they create.
func TestConformanceFilters(t *testing.T) {
	msUsers := map[string]map[string]any{
		"OMalley": decode(t, `{"userName": "OMalley", "name": {"familyName": "OMalley"},
			"emails": [{"type": "work", "primary": true, "value": "anna33@example.com"}],
			"meta": {"created": "2026-01-02T03:04:05Z"}}`),
		"emp1": decode(t, `{"userName": "emp1", "active": "True", "name": {"familyName": "Employee"},
			"emails": [{"type": "work", "value": "anna33@gmail.com"}, {"type": "work", "value": "anna33@example.com"}],
			"meta": {"created": "2026-01-02T03:04:05Z"}}`),
		"enterprise": decode(t, `{"userName": "enterprise", "displayName": "BobIsAmazing",
			"name": {"familyName": "Employee"}, "emails": [{"value": "x@example.org"}],
			"`+enterprise+`": {"Department": "some department"},
			"meta": {"created": "2026-01-02T03:04:05Z"}}`),
	}
	want := map[string]int{
		`DisplayName eq "BobIsAmazing"`: 1,
		`name.FamilyName eq Employee and (emails.Value co example.com or emails.Value co example.org)`: 2,
		`userName sw O`: 1,
		`meta.Created gt 2015-10-10T14:38:21.8617979-07:00`: 3,
	}
	for _, filter := range conformanceFilters {
		f, err := Parse(filter, schema.UserResourceType)
		if err != nil {
			t.Errorf("Parse(%s): %v", filter, err)
			continue
		}
		if n, ok := want[filter]; ok {
			if got := len(matching(f, msUsers)); got != n {
				t.Errorf("%s matches %d users, want %d", filter, got, n)
			}
		}
	}
}

// FuzzParse checks that no input makes Parse panic or fail other than with 400 invalidFilter,
// that what parses can be evaluated and hinted, and that it round-trips: String parses back to
// a filter with the same String, the same hint and the same matches.
func FuzzParse(f *testing.F) {
	seeds := append([]string{
		`userName eq "bjensen"`,
		`name.familyName co "O'Malley"`,
		`userName sw "J"`,
		`urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"`,
		`title pr`,
		`meta.lastModified gt "2011-05-13T04:42:34Z"`,
		`meta.lastModified ge "2011-05-13T04:42:34Z"`,
		`meta.lastModified lt "2011-05-13T04:42:34Z"`,
		`meta.lastModified le "2011-05-13T04:42:34Z"`,
		`title pr and userType eq "Employee"`,
		`title pr or userType eq "Intern"`,
		`schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"`,
		`userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")`,
		`userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")`,
		`userType eq "Employee" and (emails.type eq "work")`,
		`userType eq "Employee" and emails[type eq "work" and value co "@example.com"]`,
		`emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]`,
		`emails[type eq "work"].value eq "a@b.c"`,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "x"`,
		`members[value eq "x"] and displayName eq "g"`,
		`active eq "True" and userName eq null`,
		`not(not(active eq true))`,
		`userName eq "\u00e9\"\\"`,
		`((((`,
		`emails[[`,
		`a eq 1e999`,
	}, conformanceFilters...)
	for _, s := range seeds {
		f.Add(s)
	}
	for _, tt := range simpleFilters {
		f.Add(tt.filter)
	}
	docs := users(f)
	for name, doc := range groups(f) {
		docs[name] = doc
	}
	elements := []map[string]any{{"value": "x", "primary": true}, {"type": "work", "value": "a@b.c"},
		{"type": "Work", "display": "", "primary": "False"}}
	f.Fuzz(func(t *testing.T, s string) {
		for _, rt := range []*schema.ResourceType{schema.UserResourceType, schema.GroupResourceType, deviceType} {
			flt, err := Parse(s, rt)
			if err != nil {
				checkInvalidFilter(t, err)
				continue
			}
			again, ok := reparse(t, flt, func(s string) (*Filter, error) { return Parse(s, rt) })
			if !ok {
				continue
			}
			h1, ok1 := flt.IndexHint()
			if h2, ok2 := again.IndexHint(); h1 != h2 || ok1 != ok2 {
				t.Errorf("hint of %q is %v, %v; of its String %q: %v, %v", s, h1, ok1, flt, h2, ok2)
			}
			for name, doc := range docs {
				if flt.Matches(doc) != again.Matches(doc) {
					t.Errorf("%q and its String %q differ on %s", s, flt, name)
				}
			}
		}
		if i := strings.IndexByte(s, '['); i > 0 {
			// The same text as a value filter, as the PATCH engine uses it.
			emails := schema.User.Attribute("emails")
			flt, err := ParseValueFilter(s[i+1:], emails)
			if err != nil {
				checkInvalidFilter(t, err)
			} else if again, ok := reparse(t, flt, func(s string) (*Filter, error) { return ParseValueFilter(s, emails) }); ok {
				for _, e := range elements {
					if flt.Matches(e) != again.Matches(e) {
						t.Errorf("value filter %q and its String %q differ on %v", s[i+1:], flt, e)
					}
				}
			}
		}
		// The parser decodes strings with unquote: check its shortcut against json.Unmarshal.
		q := `"` + s + `"`
		if end, err := stringEnd(q, 0); err == nil && end == len(q) {
			var want string
			wantErr := json.Unmarshal([]byte(q), &want)
			if got, ok := unquote(q); ok != (wantErr == nil) || got != want {
				t.Errorf("unquote(%q) = %q, %v; json.Unmarshal gives %q, %v", q, got, ok, want, wantErr)
			}
		}
	})
}

// reparse parses the String of flt again with parse and checks that the result has the same
// String. ok is false when the String is over the length or depth limit: canonical text can
// be longer than what a client wrote (quotes around unquoted values, "emails.value" for
// "emails") and, for Entra's value paths, one level deeper.
func reparse(t *testing.T, flt *Filter, parse func(string) (*Filter, error)) (again *Filter, ok bool) {
	t.Helper()
	text := flt.String()
	again, err := parse(text)
	if err != nil {
		if strings.Contains(err.Error(), "longer than") || strings.Contains(err.Error(), "nested more than") {
			return nil, false
		}
		t.Fatalf("String %q does not parse: %v", text, err)
	}
	if got := again.String(); got != text {
		t.Fatalf("String %q parses to a filter whose String is %q", text, got)
	}
	return again, true
}
