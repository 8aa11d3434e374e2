package filter

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scim-operator/scim-operator/internal/schema"
	"github.com/scim-operator/scim-operator/internal/scimerr"
)

// simpleFilters are filters for TestParseSingleComparison and seeds for FuzzParse. single says
// whether the filter is one comparison, valid or not, whose meaning the test checks in other
// positions; the others are malformed or unusual text that must only fail cleanly.
var simpleFilters = []struct {
	filter string
	rt     *schema.ResourceType // nil: User
	single bool
}{
	// what identity providers send
	{`userName eq "alice@example.com"`, nil, true},
	{`userName eq "bjensen@example.com"`, nil, true},
	{`externalId eq "00u1abc"`, nil, true},
	{`displayName eq "Sales"`, schema.GroupResourceType, true},
	{`DisplayName eq "BobIsAmazing"`, nil, true},
	{`userName eq alice`, nil, true},
	{`userName sw O`, nil, true},
	{`meta.Created gt 2015-10-10T14:38:21.8617979-07:00`, nil, true},
	{`id eq "2819c223-7f76-453a-919d-413861904646"`, nil, true},
	{`members.value eq "m1"`, schema.GroupResourceType, true},
	{`emails.value eq "a@example.com"`, nil, true},
	// operators and case
	{`USERNAME EQ "x"`, nil, true},
	{`userName Eq "x"`, nil, true},
	{`userName ne "x"`, nil, true},
	{`userName co "x"`, nil, true},
	{`userName sw "x"`, nil, true},
	{`userName ew "x"`, nil, true},
	{`userName gt "x"`, nil, true},
	{`userName GE "x"`, nil, true},
	{`userName lt "x"`, nil, true},
	{`userName le "x"`, nil, true},
	{`title pr`, nil, true},
	{`title PR`, nil, true},
	{`emails pr`, nil, true},
	{`name pr`, nil, true},
	{`members.$ref eq "x"`, schema.GroupResourceType, true},
	// URNs and sub-attributes
	{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "7"`, nil, true},
	{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "x"`, nil, true},
	{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager pr`, nil, true},
	{`URN:IETF:params:scim:schemas:extension:enterprise:2.0:user:DEPARTMENT eq "sales"`, nil, true},
	{`urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"`, nil, true},
	{`urn:ietf:params:scim:schemas:core:2.0:User:name.givenName eq "Alice"`, nil, true},
	{`name.givenName eq "x"`, nil, true},
	{`meta.lastModified gt "2011-05-13T04:42:34Z"`, nil, true},
	{`meta.lastModified le "2011-05-13T04:42:34.5+02:00"`, nil, true},
	{`meta.created sw "2026"`, nil, true},
	// booleans, null, numbers, complex attributes
	{`active eq true`, nil, true},
	{`active eq TRUE`, nil, true},
	{`active eq True`, nil, true},
	{`active eq "True"`, nil, true},
	{`active eq "false"`, nil, true},
	{`active ne False`, nil, true},
	{`emails.primary eq true`, nil, true},
	{`title eq null`, nil, true},
	{`title ne NULL`, nil, true},
	{`emails eq null`, nil, true},
	{`cores eq 2`, deviceType, true},
	{`cores gt -1.5e3`, deviceType, true},
	{`load le 1E3`, deviceType, true},
	{`load lt 0`, deviceType, true},
	{`ports ge -0`, deviceType, true},
	{`emails co "example.com"`, nil, true},
	{`emails eq "x"`, nil, true},
	// strings
	{`userName eq "a\"b\\c\u00e9\u00E9\/\b\f\n\r\t"`, nil, true},
	{`userName eq ""`, nil, true},
	{`userName eq "a b  c "`, nil, true},
	{`userName eq "not (x) or [y]"`, nil, true},
	{`userName eq "é"`, nil, true},
	{"userName eq \"\xff\"", nil, true},
	{`userName eq 01`, nil, true},
	{`userName eq -`, nil, true},
	{`userName eq truex`, nil, true},
	{`userName eq 1.`, nil, true},
	{`userName eq +1`, nil, true},
	{"userName eq \xff", nil, true},
	// keywords where an attribute name stands
	{`not eq "x"`, nil, true},
	{`and pr`, nil, true},
	{`$ref pr`, nil, true},
	{`a:b.c:d-e_f pr`, nil, true},
	// schema and type errors
	{`foo eq "x"`, nil, true},
	{`name.foo eq "x"`, nil, true},
	{`userName.foo eq "x"`, nil, true},
	{`members.value eq "x"`, nil, true},
	{`userName eq "x"`, schema.GroupResourceType, true},
	{`urn:example:unknown:2.0:User:department eq "x"`, nil, true},
	{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:nope eq "x"`, nil, true},
	{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "x"`, schema.GroupResourceType, true},
	{`name eq "x"`, nil, true},
	{`addresses eq "x"`, nil, true},
	{`active eq "yes"`, nil, true},
	{`active eq 1`, nil, true},
	{`active gt true`, nil, true},
	{`active co "t"`, nil, true},
	{`x509Certificates.value gt "a"`, nil, true},
	{`userName eq 1`, nil, true},
	{`userName eq 1E5`, nil, true},
	{`userName eq true`, nil, true},
	{`userName gt null`, nil, true},
	{`meta.created gt "yesterday"`, nil, true},
	{`meta.created gt yesterday`, nil, true},
	{`meta.created eq 2026`, nil, true},
	{`cores eq "2"`, deviceType, true},
	{`cores co 2`, deviceType, true},
	{`load gt 1e999`, deviceType, true},
	{`load gt 1E999`, deviceType, true},
	// not one comparison
	{``, nil, false},
	{` `, nil, false},
	{`userName`, nil, false},
	{`userName eq`, nil, false},
	{`userName eq `, nil, false},
	{` userName eq "x"`, nil, false},
	{`userName  eq "x"`, nil, false},
	{`userName eq  "x"`, nil, false},
	{`userName eq "x" `, nil, false},
	{`userName pr `, nil, false},
	{"userName\teq \"a\"", nil, false},
	{"userName eq a\tb", nil, false},
	{`userName eq"a"`, nil, false},
	{`userName eq "a"b`, nil, false},
	{`userName eq a"b"`, nil, false},
	{`userName eq "a" "b"`, nil, false},
	{`userName eq "a" and title pr`, nil, false},
	{`title pr or title pr`, nil, false},
	{`(userName eq "x")`, nil, false},
	{`not (userName eq "x")`, nil, false},
	{`emails[type eq "work"]`, nil, false},
	{`emails[type eq "work"].value eq "x"`, nil, false},
	{`userName eq "abc`, nil, false},
	{`userName eq "a\qb"`, nil, false},
	{`userName eq "\u00e"`, nil, false},
	{"userName eq \"a\x01\"", nil, false},
	{`userName pr pr`, nil, false},
	{`userName eq a b`, nil, false},
	{`userName eq 'a b'`, nil, false},
	{`userName xx "a"`, nil, false},
	{`userName eqq "a"`, nil, false},
	{`userName prx`, nil, false},
	{`name.givenName.x eq "y"`, nil, false},
	{`1userName eq "x"`, nil, false},
	{`name. eq "x"`, nil, false},
	{`urn: eq "x"`, nil, false},
	{`a:1b pr`, nil, false},
	{`user@name eq "x"`, nil, false},
	{`userName eq "` + strings.Repeat("x", MaxFilterLength) + `"`, nil, false},
}

// TestParseSingleComparison checks every filter of the table the same way inside
// parentheses, to its right of an "and" and as the filter of a value path: a comparison means
// the same wherever it stands, and its String parses back to the same node.
func TestParseSingleComparison(t *testing.T) {
	opts := cmp.AllowUnexported(andNode{}, orNode{}, notNode{}, presentNode{}, valuePathNode{}, cmpNode{})
	for _, tt := range simpleFilters {
		rt := tt.rt
		if rt == nil {
			rt = schema.UserResourceType
		}
		t.Run(tt.filter, func(t *testing.T) {
			got, gotErr := Parse(tt.filter, rt)
			if gotErr != nil {
				checkInvalidFilter(t, gotErr)
			}
			if !tt.single {
				if gotErr == nil {
					t.Logf("parses as %s", got)
				}
				return
			}
			grouped, groupedErr := Parse("("+tt.filter+")", rt)
			if diff := cmp.Diff(scimerr.As(gotErr), scimerr.As(groupedErr)); diff != "" {
				t.Fatalf("error alone and in parentheses differ (-alone +grouped):\n%s", diff)
			}
			if gotErr != nil {
				return
			}
			if diff := cmp.Diff(got.root, grouped.root, opts); diff != "" {
				t.Errorf("node alone and in parentheses differ (-alone +grouped):\n%s", diff)
			}
			and, err := Parse("id pr and "+tt.filter, rt)
			if err != nil {
				t.Fatalf("after and: %v", err)
			}
			if diff := cmp.Diff(got.root, and.root.(*andNode).r, opts); diff != "" {
				t.Errorf("node alone and after and differ (-alone +and):\n%s", diff)
			}
			again, err := Parse(got.String(), rt)
			if err != nil {
				t.Fatalf("Parse(%s) of its String: %v", got, err)
			}
			if diff := cmp.Diff(got.root, again.root, opts); diff != "" {
				t.Errorf("node and node of String %s differ (-first +again):\n%s", got, diff)
			}
		})
	}
}
