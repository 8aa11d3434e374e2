package filter

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scim-operator/scim-operator/internal/schema"
)

func TestIndexHint(t *testing.T) {
	none := Equality{}
	tests := []struct {
		filter string
		rt     *schema.ResourceType
		want   Equality // zero: no hint
		reason string
	}{
		{`userName eq "Bjensen"`, nil, Equality{"userName", "Bjensen", true}, "the whole filter is an indexable equality; the value is as written."},
		{`USERNAME EQ "x"`, nil, Equality{"userName", "x", true}, "the path is canonical whatever the case in the filter."},
		{`urn:ietf:params:scim:schemas:core:2.0:User:userName eq "x"`, nil, Equality{"userName", "x", true}, "a core-URN-qualified name is the same attribute."},
		{`externalId eq "e1"`, nil, Equality{"externalId", "e1", true}, "externalId is indexable."},
		{`id eq "i1"`, nil, Equality{"id", "i1", true}, "id is indexable."},
		{`displayName eq "Bob"`, nil, Equality{"displayName", "Bob", true}, "displayName is indexable."},
		{`emails.value eq "a@example.com"`, nil, Equality{"emails.value", "a@example.com", true}, "emails.value is indexable."},
		{`emails eq "a@example.com"`, nil, Equality{"emails.value", "a@example.com", true}, "emails without a sub-attribute means emails.value."},
		{`emails[value eq "a@example.com"]`, nil, Equality{"emails.value", "a@example.com", true}, "the value path form."},
		{`emails[type eq "work" and value eq "a@example.com"]`, nil, Equality{"emails.value", "a@example.com", false}, "value eq inside an and in a value path."},
		{`emails[type eq "work"].value eq "a@example.com"`, nil, Equality{"emails.value", "a@example.com", false}, "Entra's form."},
		{`members.value eq "m1"`, schema.GroupResourceType, Equality{"members.value", "m1", true}, "members.value is indexable."},
		{`members[value eq "m1"]`, schema.GroupResourceType, Equality{"members.value", "m1", true}, "members value path."},
		{`displayName eq "Admins"`, schema.GroupResourceType, Equality{"displayName", "Admins", true}, "Group displayName."},
		{`title pr and userName eq "x"`, nil, Equality{"userName", "x", false}, "an operand of a top-level and."},
		{`(title pr and (active eq true and externalId eq "e"))`, nil, Equality{"externalId", "e", false}, "through nested ands and parentheses."},
		{`emails.value eq "a@b.c" and userName eq "x"`, nil, Equality{"userName", "x", false}, "a unique attribute is preferred."},
		{`externalId eq "e" and id eq "i"`, nil, Equality{"id", "i", false}, "id is preferred over everything."},
		{`userName eq "x" and (title pr or nickName pr)`, nil, Equality{"userName", "x", false}, "an or elsewhere does not matter."},
		{`((userName eq "x"))`, nil, Equality{"userName", "x", true}, "parentheses alone leave the equality whole."},
		{`userName eq "x" and userName eq "x"`, nil, Equality{"userName", "x", false}, "any other conjunct makes it partial."},
		{`emails[value eq "a@b.c" and value eq "a@b.c"]`, nil, Equality{"emails.value", "a@b.c", false}, "also inside a value path."},

		{`userName eq "x" or userName eq "y"`, nil, none, "no hint through or."},
		{`not (userName eq "x")`, nil, none, "no hint through not."},
		{`userName ne "x"`, nil, none, "only eq."},
		{`userName sw "x"`, nil, none, "only eq."},
		{`userName eq null`, nil, none, "null is absence, not a value."},
		{`title eq "x"`, nil, none, "title has no index."},
		{`name.givenName eq "x"`, nil, none, "name.givenName has no index."},
		{`emails.type eq "work"`, nil, none, "only emails.value."},
		{`phoneNumbers.value eq "1"`, nil, none, "only emails and members."},
		{`phoneNumbers[value eq "1"]`, nil, none, "value paths of other attributes."},
		{`emails[type eq "work" or value eq "a@b.c"]`, nil, none, "no hint through or inside a value path."},
		{`emails[not (value eq "a@b.c")]`, nil, none, "no hint through not inside a value path."},
		{`not (emails[value eq "a@b.c"])`, nil, none, "no hint for a negated value path."},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "x"`, nil, none, "extension attributes have no index."},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			rt := tt.rt
			if rt == nil {
				rt = schema.UserResourceType
			}
			f, err := Parse(tt.filter, rt)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got, ok := f.IndexHint()
			if ok != (tt.want != none) {
				t.Fatalf("IndexHint ok = %v, want %v; %s", ok, !ok, tt.reason)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("IndexHint (-want +got):\n%s\nreason: %s", diff, tt.reason)
			}
		})
	}
}

func TestEqualityCaseExact(t *testing.T) {
	want := map[string]bool{"id": true, "externalId": true, "userName": false, "displayName": false,
		"emails.value": false, "members.value": false}
	got := map[string]bool{}
	for path := range want {
		got[path] = Equality{Path: path}.CaseExact()
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CaseExact (-want +got):\n%s", diff)
	}
}

// TestIndexHintSound checks the hint's contract on the fixtures: every document that
// matches the filter satisfies the hinted equality, and when the hint is Whole, every document
// that satisfies it matches the filter.
func TestIndexHintSound(t *testing.T) {
	docs := users(t)
	for _, filter := range []string{
		`userName eq "alice@example.com" and active eq true`,
		`emails[type eq "work"].value eq "BOB@example.org"`,
		`emails.value eq "alice@home.org" and title pr`,
		`USERNAME eq "ALICE@example.com"`,
		`externalId eq "AliceExt"`,
		`emails eq "bob@example.org"`,
		`emails[value eq "alice@HOME.org"]`,
	} {
		f, err := Parse(filter, schema.UserResourceType)
		if err != nil {
			t.Fatal(err)
		}
		h, ok := f.IndexHint()
		if !ok {
			t.Fatalf("%s: no hint", filter)
		}
		eq, err := Parse(h.Path+` eq "`+h.Value+`"`, schema.UserResourceType)
		if err != nil {
			t.Fatal(err)
		}
		for name, doc := range docs {
			if f.Matches(doc) && !eq.Matches(doc) {
				t.Errorf("%s matches %s, which fails its hint %+v", filter, name, h)
			}
			if h.Whole && eq.Matches(doc) && !f.Matches(doc) {
				t.Errorf("%s does not match %s, which satisfies its whole hint %+v", filter, name, h)
			}
		}
	}
}
