package filter

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scim-operator/scim-operator/internal/schema"
)

func TestMatchUsers(t *testing.T) {
	tests := []struct {
		filter string
		want   []string
		reason string
	}{
		// eq, ne and case sensitivity
		{`userName eq "alice@example.com"`, []string{"alice"}, "eq matches the exact value."},
		{`userName EQ "ALICE@Example.COM"`, []string{"alice"}, "operators are case-insensitive and userName is not caseExact."},
		{`USERNAME eq "carol"`, []string{"carol"}, "attribute names and document keys match case-insensitively."},
		{`userName Eq "carol" AND active eQ TRUE`, []string{"carol"}, "logical operators and literals are case-insensitive too."},
		{`id eq "2819C223-7F76-453A-919D-413861904646"`, []string{}, "id is caseExact, so a different case does not match."},
		{`id eq "2819c223-7f76-453a-919d-413861904646"`, []string{"alice"}, "id matches in its exact case."},
		{`externalId eq "aliceext"`, []string{}, "externalId is caseExact."},
		{`externalId eq "AliceExt"`, []string{"alice"}, "externalId matches in its exact case."},
		{`displayName eq "alice smith"`, []string{"alice"}, "displayName is not caseExact."},
		{`userName ne "alice@example.com"`, []string{"bob", "carol"}, "ne is the negation of eq."},
		{`title ne "Engineer"`, []string{"bob", "carol"}, "ne matches an absent or empty attribute: unassigned is null, which differs from any value."},
		{`emails.value ne "alice@home.org"`, []string{"bob", "carol"}, "ne on a multi-valued attribute matches only if no value equals."},

		// co, sw, ew
		{`userName co "EXAMPLE"`, []string{"alice"}, "co is a case-insensitive substring test for userName."},
		{`userName sw "b"`, []string{"bob"}, "sw tests the prefix."},
		{`userName ew ".COM"`, []string{"alice"}, "ew tests the suffix, case-insensitively."},
		{`externalId sw "alice"`, []string{}, "co/sw/ew honour caseExact too."},
		{`emails co "example.org"`, []string{"bob"}, "a multi-valued complex attribute without a sub-attribute compares its value."},
		{`emails.value ew "@home.org"`, []string{"alice"}, "any value of a multi-valued attribute may match."},
		{`meta.created sw "2026-01"`, []string{"alice"}, "sw on a dateTime compares the text as written."},

		// ordering on strings and dateTimes
		{`userName gt "b"`, []string{"bob", "carol"}, "gt on strings is lexicographic."},
		{`userName ge "BJENSEN"`, []string{"bob", "carol"}, "ordering folds case for attributes that are not caseExact."},
		{`userName lt "b"`, []string{"alice"}, "lt on strings is lexicographic."},
		{`userName le "bjensen"`, []string{"alice", "bob"}, "le includes the equal value."},
		{`meta.created gt "2026-01-01T00:00:00Z"`, []string{"alice", "carol"}, "dateTimes compare chronologically."},
		{`meta.created eq "2026-01-02T04:04:05+01:00"`, []string{"alice"}, "the same instant in another offset is equal."},
		{`meta.created lt "2026-05-04T23:00:00Z"`, []string{"alice", "bob", "carol"}, "carol's +02:00 midnight is 22:00Z on the 4th, before 23:00Z although its text sorts after."},
		{`meta.lastModified ge "2026-03-04T05:06:07.123000Z"`, []string{"alice", "carol"}, "fractional seconds of any precision compare as instants."},
		{`meta.lastModified le "2026-03-04T05:06:07.1229Z"`, []string{"bob"}, "sub-millisecond differences count."},

		// booleans
		{`active eq true`, []string{"alice", "carol"}, "a stored string \"True\" counts as true."},
		{`active eq "False"`, []string{"bob"}, "Entra's string boolean in the filter is accepted."},
		{`active ne true`, []string{"bob"}, "ne on a boolean."},
		{`emails[primary eq true]`, []string{"alice"}, "booleans inside a value path."},

		// null and pr
		{`title eq null`, []string{"bob", "carol"}, "eq null matches absent and empty values."},
		{`title ne null`, []string{"alice"}, "ne null is the same as pr."},
		{`title pr`, []string{"alice"}, "an empty string is not present."},
		{`emails pr`, []string{"alice", "bob"}, "an empty array is not present."},
		{`name pr`, []string{"alice"}, "a complex value whose members are all null or empty is not present."},
		{`name.givenName pr`, []string{"alice"}, "pr on a sub-attribute."},
		{`nickName pr`, []string{}, "pr on an attribute no one has."},
		{`emails eq null`, []string{"carol"}, "eq null on a multi-valued complex attribute tests the attribute itself."},

		// logic and precedence
		{`userName sw "a" or userName sw "c"`, []string{"alice", "carol"}, "or."},
		{`title pr and userType eq "Employee"`, []string{"alice"}, "and, RFC 7644's example."},
		{`not (userName sw "a")`, []string{"bob", "carol"}, "not negates its parenthesised filter."},
		{`not(userName sw "a") and not (userName sw "b")`, []string{"carol"}, "not without a space before the parenthesis."},
		{`userName sw "b" or userName sw "a" and active eq false`, []string{"bob"}, "and binds tighter than or."},
		{`(userName sw "b" or userName sw "a") and active eq true`, []string{"alice"}, "parentheses group."},
		{`userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")`, []string{"carol"}, "RFC 7644's not example."},
		{`((((userName eq "bjensen"))))`, []string{"bob"}, "redundant parentheses."},

		// value paths
		{`emails[type eq "work" and value co "@example.com"]`, []string{"alice"}, "RFC 7644's value path example."},
		{`emails[type eq "home" and primary eq true]`, []string{}, "all conditions must hold for the same element."},
		{`emails.type eq "home" and emails.primary eq true`, []string{"alice"}, "without a value path the conditions may hold for different elements."},
		{`emails[type eq "work" and primary eq true and value ew ".com"]`, []string{"alice"}, "more than two conditions inside brackets."},
		{`emails[(type eq "home" or type eq "other") and value co "home"]`, []string{"alice"}, "parentheses inside brackets."},
		{`emails[not (type eq "work")]`, []string{"alice"}, "not inside brackets."},
		{`emails[type eq "work"] and not (emails[type eq "home"])`, []string{"bob"}, "value paths combine with logic."},
		{`emails [ type eq "work" ]`, []string{"alice", "bob"}, "spaces around brackets are tolerated."},
		{`emails[type eq "work"].value eq "bob@example.org"`, []string{"bob"}, "Entra's form means the sub-attribute comparison applies to the filtered element."},
		{`emails[type eq "home"].value eq "alice@example.com"`, []string{}, "Entra's form applies both conditions to the same element."},
		{`emails[type eq "home"].value pr`, []string{"alice"}, "Entra's form with pr."},
		{`phoneNumbers[type eq "mobile" and value sw "+1"]`, []string{"alice"}, "any complex multi-valued attribute can be filtered."},
		{`name[givenName eq "alice"]`, []string{"alice"}, "a value path on a single-valued complex attribute filters its one value."},

		// URN-qualified names
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "R&D"`, []string{"alice"}, "an extension attribute under its URN."},
		{`URN:IETF:params:scim:schemas:extension:enterprise:2.0:user:DEPARTMENT eq "sales"`, []string{"carol"}, "URN, name and document key are case-insensitive."},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "bob-id"`, []string{"alice"}, "a URN-qualified sub-attribute."},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager pr`, []string{"alice"}, "pr on a URN-qualified complex attribute."},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager[value eq "BOB-ID"]`, []string{"alice"}, "a value path on a URN-qualified attribute; manager.value is not caseExact."},
		{`urn:ietf:params:scim:schemas:core:2.0:User:userName sw "a"`, []string{"alice"}, "the core URN may qualify core attributes."},
		{`urn:ietf:params:scim:schemas:core:2.0:User:name.givenName eq "Alice"`, []string{"alice"}, "the core URN with a sub-attribute."},

		// what the conformance suites send
		{`userName eq "ALICE@EXAMPLE.COM"`, []string{"alice"}, "Okta looks a user up by its upper-cased userName."},
		{`userName eq "abcdefgh@atko.com"`, []string{}, "Okta's unknown user gives an empty result, not an error."},
		{`meta.Created gt 2015-10-10T14:38:21.8617979-07:00`, []string{"alice", "bob", "carol"}, "Microsoft's unquoted dateTime with 7 fractional digits."},
		{`userName sw O`, []string{}, "Microsoft's unquoted string value."},
		{`userName sw C`, []string{"carol"}, "an unquoted value is a string, compared case-insensitively."},
		{`name.FamilyName eq smith and (emails.Value co example.com or emails.Value co example.org)`, []string{"alice"}, "Microsoft's unquoted values inside parentheses."},
		{`DisplayName eq "Bob Jensen"`, []string{"bob"}, "Microsoft's capitalised attribute name."},
		{`  userName eq "bjensen"  `, []string{"bob"}, "leading and trailing spaces are ignored."},
		{`userName eq "a\"b\\c\u00e9"`, []string{}, "JSON string escapes, including lower-case \\u, are decoded."},
	}
	docs := users(t)
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			f, err := Parse(tt.filter, schema.UserResourceType)
			if err != nil {
				t.Fatalf("Parse: %v (%s)", err, tt.reason)
			}
			if diff := cmp.Diff(tt.want, matching(f, docs)); diff != "" {
				t.Errorf("matches (-want +got):\n%s\nreason: %s", diff, tt.reason)
			}
		})
	}
}

func TestMatchGroups(t *testing.T) {
	tests := []struct {
		filter string
		want   []string
		reason string
	}{
		{`displayName eq "ADMINS"`, []string{"admins"}, "Group displayName is not caseExact."},
		{`members[value eq "bob-id"]`, []string{"admins"}, "a member by value path."},
		{`members.value eq "2819c223-7f76-453a-919d-413861904646"`, []string{"admins"}, "a member by sub-attribute."},
		{`members eq "bob-id"`, []string{"admins"}, "members without a sub-attribute compares value."},
		{`members pr`, []string{"admins"}, "a group without members has none present."},
		{`members eq null`, []string{"empty"}, "eq null matches the empty member list."},
		{`members[type eq "User" and display pr]`, []string{"admins"}, "value path with pr on one element."},
		{`members.$ref pr`, []string{}, "the $ref sub-attribute name is accepted."},
		{`meta.created ge "2026-02-01T00:00:00Z" or displayName sw "a"`, []string{"admins", "empty"}, "dateTime or string."},
	}
	docs := groups(t)
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			f, err := Parse(tt.filter, schema.GroupResourceType)
			if err != nil {
				t.Fatalf("Parse: %v (%s)", err, tt.reason)
			}
			if diff := cmp.Diff(tt.want, matching(f, docs)); diff != "" {
				t.Errorf("matches (-want +got):\n%s\nreason: %s", diff, tt.reason)
			}
		})
	}
}

// TestMatchTypes covers the types the User and Group schemas do not use, on a test schema.
func TestMatchTypes(t *testing.T) {
	tests := []struct {
		filter string
		want   []string
		reason string
	}{
		{`cores eq 2`, []string{"small"}, "integer equality."},
		{`cores gt 2`, []string{"big"}, "integer ordering is numeric."},
		{`cores ge 2.0`, []string{"big", "small"}, "an integer compares with a decimal literal."},
		{`load lt 1e0`, []string{"small"}, "decimal with an exponent."},
		{`load le -0.5`, []string{}, "negative numbers."},
		{`cores ne 2`, []string{"bare", "big"}, "ne on a number matches absent values."},
		{`ports eq 443`, []string{"big"}, "a multi-valued number matches on any value."},
		{`ports lt 50`, []string{"small"}, "ordering on a multi-valued number."},
		{`serial eq "ab-1"`, []string{}, "caseExact string on a custom schema."},
		{`serial gt "AB-1"`, []string{"bare", "big"}, "caseExact ordering compares bytes: lower case sorts after upper case."},
		{`tags eq "lab"`, []string{"small"}, "a multi-valued simple string matches on any value."},
		{`firmware eq "AAEC"`, []string{"big"}, "binary equality."},
		{`firmware pr`, []string{"big"}, "binary presence."},
	}
	docs := devices(t)
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			f, err := Parse(tt.filter, deviceType)
			if err != nil {
				t.Fatalf("Parse: %v (%s)", err, tt.reason)
			}
			if diff := cmp.Diff(tt.want, matching(f, docs)); diff != "" {
				t.Errorf("matches (-want +got):\n%s\nreason: %s", diff, tt.reason)
			}
		})
	}
}

func TestParseValueFilter(t *testing.T) {
	emails := schema.User.Attribute("emails")
	elements := map[string]map[string]any{
		"work":    {"value": "a@example.com", "type": "work", "primary": true},
		"home":    {"value": "a@home.org", "type": "home"},
		"oddcase": {"Value": "B@EXAMPLE.COM", "Type": "WORK"},
	}
	tests := []struct {
		filter string
		want   []string
		reason string
	}{
		{`type eq "work"`, []string{"oddcase", "work"}, "type is not caseExact and element keys match case-insensitively."},
		{`type eq "work" and primary eq true`, []string{"work"}, "both conditions on one element."},
		{`value ew "example.com" or type eq "home"`, []string{"home", "oddcase", "work"}, "or inside a value filter."},
		{`not (primary eq true)`, []string{"home", "oddcase"}, "not: an element without primary is not primary."},
		{`display pr`, []string{}, "no element has a display."},
		{`(type eq "home")`, []string{"home"}, "parentheses."},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			f, err := ParseValueFilter(tt.filter, emails)
			if err != nil {
				t.Fatalf("ParseValueFilter: %v (%s)", err, tt.reason)
			}
			if diff := cmp.Diff(tt.want, matching(f, elements)); diff != "" {
				t.Errorf("matches (-want +got):\n%s\nreason: %s", diff, tt.reason)
			}
			if h, ok := f.IndexHint(); ok {
				t.Errorf("IndexHint = %+v, want none for a value filter", h)
			}
		})
	}
}

func TestParseValueFilterErrors(t *testing.T) {
	members := schema.Group.Attribute("members")
	tests := []struct {
		filter string
		attr   *schema.Attribute
		reason string
	}{
		{`value eq "x"`, nil, "a value filter needs an attribute."},
		{`value eq "x"`, schema.User.Attribute("userName"), "a value filter needs a complex attribute."},
		{`userName eq "x"`, members, "names are sub-attributes of the attribute, not resource attributes."},
		{`value.x eq "y"`, members, "sub-attributes have no sub-attributes."},
		{`members[value eq "x"]`, members, "value paths do not nest."},
		{`urn:ietf:params:scim:schemas:core:2.0:Group:value eq "x"`, members, "no URN inside a value filter."},
		{`value eq`, members, "malformed."},
		{``, members, "empty."},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			_, err := ParseValueFilter(tt.filter, tt.attr)
			if err == nil {
				t.Fatalf("ParseValueFilter succeeded; %s", tt.reason)
			}
			checkInvalidFilter(t, err)
		})
	}
}

// TestConcurrentMatches checks that a parsed filter is immutable and can be evaluated from
// several goroutines at once (run with -race).
func TestConcurrentMatches(t *testing.T) {
	f, err := Parse(`emails[type eq "work"] and meta.created gt "2020-01-01T00:00:00Z"`, schema.UserResourceType)
	if err != nil {
		t.Fatal(err)
	}
	docs := users(t)
	done := make(chan []string)
	for range 8 {
		go func() { done <- matching(f, docs) }()
	}
	for range 8 {
		if diff := cmp.Diff([]string{"alice", "bob"}, <-done); diff != "" {
			t.Errorf("matches (-want +got):\n%s", diff)
		}
	}
}
