package filter

import (
	"cmp"
	"net/http"
	"slices"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/scim-operator/scim-operator/internal/schema"
	"github.com/scim-operator/scim-operator/internal/scimerr"
)

// sorted returns the names of docs in ascending order of key, ties broken by name as the
// caller does.
func sorted(k *SortKey, docs map[string]map[string]any) []string {
	names := make([]string, 0, len(docs))
	for name := range docs {
		names = append(names, name)
	}
	slices.SortFunc(names, func(a, b string) int {
		if c := k.Compare(docs[a], docs[b]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	return names
}

func TestSort(t *testing.T) {
	sortUsers := func(t testing.TB) map[string]map[string]any {
		return map[string]map[string]any{
			"primary": decode(t, `{"userName": "beta", "externalId": "Beta", "emails": [
				{"value": "z@x", "primary": false}, {"value": "a@x", "primary": true}]}`),
			"first": decode(t, `{"userName": "Alpha", "externalId": "alpha", "emails": [
				{"value": "b@x"}, {"value": "0@x"}]}`),
			"upper": decode(t, `{"userName": "gamma", "emails": [{"value": "C@x", "type": "work"}]}`),
			"none":  decode(t, `{"userName": "", "emails": []}`),
		}
	}
	moreDevices := func(t testing.TB) map[string]map[string]any {
		d := devices(t)
		d["mid"] = decode(t, `{"serial": "ab-0", "cores": 10, "load": 2}`)
		return d
	}
	tests := []struct {
		sortBy string
		rt     *schema.ResourceType
		docs   func(testing.TB) map[string]map[string]any
		want   []string
		reason string
	}{
		{"userName", schema.UserResourceType, users, []string{"alice", "bob", "carol"}, "strings ascending; carol's key is \"UserName\"."},
		{"USERNAME", schema.UserResourceType, sortUsers, []string{"first", "primary", "upper", "none"}, "folded for userName (Alpha < beta), and an empty value sorts last."},
		{"externalId", schema.UserResourceType, sortUsers, []string{"primary", "first", "none", "upper"}, "caseExact compares bytes (Beta < alpha); missing sorts last."},
		{"emails", schema.UserResourceType, sortUsers, []string{"primary", "first", "upper", "none"}, "by the primary value (a@x, not z@x), else the first (b@x, not 0@x), folded (C@x after b@x)."},
		{"emails.value", schema.UserResourceType, sortUsers, []string{"primary", "first", "upper", "none"}, "the same with the sub-attribute named."},
		{"emails.type", schema.UserResourceType, sortUsers, []string{"upper", "first", "none", "primary"}, "the primary element decides even when it lacks the sub-attribute."},
		{"displayName", schema.UserResourceType, users, []string{"alice", "bob", "carol"}, "carol has no displayName and sorts last."},
		{"meta.created", schema.UserResourceType, users, []string{"bob", "alice", "carol"}, "dateTimes chronologically."},
		{"meta.lastModified", schema.UserResourceType, users, []string{"bob", "alice", "carol"}, "dateTime with fractional seconds."},
		{"active", schema.UserResourceType, users, []string{"bob", "alice", "carol"}, "false before true; carol's \"True\" is true."},
		{"name.givenName", schema.UserResourceType, users, []string{"alice", "bob", "carol"}, "bob's givenName is null, so missing."},
		{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", schema.UserResourceType, users, []string{"alice", "carol", "bob"}, "an extension attribute: R&D < Sales, bob has none."},
		{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value", schema.UserResourceType, users, []string{"alice", "bob", "carol"}, "an extension sub-attribute."},
		{"displayName", schema.GroupResourceType, groups, []string{"admins", "empty"}, "Groups."},
		{"members", schema.GroupResourceType, groups, []string{"admins", "empty"}, "members by first value; an empty list sorts last."},
		{"cores", deviceType, moreDevices, []string{"small", "mid", "big", "bare"}, "integers numerically (2 < 10 < 64)."},
		{"load", deviceType, moreDevices, []string{"small", "mid", "big", "bare"}, "decimals numerically (0.25 < 2 < 15)."},
		{"ports", deviceType, moreDevices, []string{"small", "big", "bare", "mid"}, "a multi-valued number by its first value."},
		{"serial", deviceType, moreDevices, []string{"small", "mid", "big", "bare"}, "caseExact: AB-1 before ab-0."},
	}
	for _, tt := range tests {
		t.Run(tt.sortBy, func(t *testing.T) {
			k, err := ParseSortBy(tt.sortBy, tt.rt)
			if err != nil {
				t.Fatalf("ParseSortBy: %v", err)
			}
			docs := tt.docs(t)
			if diff := gocmp.Diff(tt.want, sorted(k, docs)); diff != "" {
				t.Errorf("order (-want +got):\n%s\nreason: %s", diff, tt.reason)
			}
			for a, da := range docs {
				for b, db := range docs {
					if k.Compare(da, db) != -k.Compare(db, da) {
						t.Errorf("Compare(%s, %s) is not antisymmetric", a, b)
					}
				}
			}
		})
	}
}

func TestParseSortByErrors(t *testing.T) {
	tests := []struct {
		sortBy string
		rt     *schema.ResourceType
		reason string
	}{
		{"", schema.UserResourceType, "an empty path."},
		{"nope", schema.UserResourceType, "an unknown attribute."},
		{"name.nope", schema.UserResourceType, "an unknown sub-attribute."},
		{"name", schema.UserResourceType, "a single-valued complex attribute has no value to sort by."},
		{"addresses", schema.UserResourceType, "a multi-valued complex attribute without a value sub-attribute."},
		{"members", schema.UserResourceType, "a Group attribute on Users."},
		{"urn:example:nope:User:department", schema.UserResourceType, "an unknown schema."},
		{`userName eq "x"`, schema.UserResourceType, "a filter is not a path."},
	}
	for _, tt := range tests {
		t.Run(tt.sortBy, func(t *testing.T) {
			_, err := ParseSortBy(tt.sortBy, tt.rt)
			e := scimerr.As(err)
			if e == nil || e.Status != http.StatusBadRequest || e.ScimType != scimerr.TypeInvalidValue {
				t.Fatalf("ParseSortBy error = %v, want 400 invalidValue because %s", err, tt.reason)
			}
		})
	}
}
