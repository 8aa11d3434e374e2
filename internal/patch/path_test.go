package patch

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scim-operator/scim-operator/internal/filter"
	"github.com/scim-operator/scim-operator/internal/schema"
)

func TestParsePath(t *testing.T) {
	cases := map[string]struct {
		reason string
		rt     *schema.ResourceType
		path   string
		want   *Path
		err    *scimError
	}{
		"attribute": {
			reason: "a plain attribute name.",
			path:   "userName",
			want:   &Path{Attribute: "userName"},
		},
		"case-insensitive": {
			reason: "names match in any case and come back canonical.",
			path:   "NAME.givenname",
			want:   &Path{Attribute: "name", SubAttribute: "givenName"},
		},
		"common attribute": {
			reason: "id and externalId are common to every resource type (RFC 7643 §3.1).",
			path:   "externalId",
			want:   &Path{Attribute: "externalId"},
		},
		"surrounding space": {
			reason: "space around the path is not part of it.",
			path:   "  title ",
			want:   &Path{Attribute: "title"},
		},
		"core URN": {
			reason: "the core schema URN may prefix a core attribute; Schema stays empty.",
			path:   "urn:ietf:params:scim:schemas:core:2.0:User:name.familyName",
			want:   &Path{Attribute: "name", SubAttribute: "familyName"},
		},
		"extension attribute": {
			reason: "an extension attribute carries its schema URN.",
			path:   "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:Manager.Value",
			want:   &Path{Schema: enterprise, Attribute: "manager", SubAttribute: "value"},
		},
		"whole extension": {
			reason: "an extension URN alone names the whole extension.",
			path:   "URN:ietf:params:scim:schemas:extension:enterprise:2.0:User",
			want:   &Path{Schema: enterprise},
		},
		"value path": {
			reason: "attr[filter] selects values of a multi-valued attribute.",
			rt:     schema.GroupResourceType,
			path:   `members[value eq "2819c223"]`,
			want:   &Path{Attribute: "members", Filter: &filter.Filter{}, FilterText: `value eq "2819c223"`},
		},
		"value path with sub-attribute": {
			reason: "attr[filter].sub names a sub-attribute of the selected values.",
			path:   `emails[type eq "work" and primary eq true].Value`,
			want:   &Path{Attribute: "emails", Filter: &filter.Filter{}, FilterText: `type eq "work" and primary eq true`, SubAttribute: "value"},
		},
		"bracket inside a string": {
			reason: "a ] inside a quoted filter value does not close the filter.",
			path:   `emails[value eq "a]b@example.com"].type`,
			want:   &Path{Attribute: "emails", Filter: &filter.Filter{}, FilterText: `value eq "a]b@example.com"`, SubAttribute: "type"},
		},
		"empty": {
			reason: "an empty path names nothing.",
			path:   "",
			err:    badRequest("invalidPath"),
		},
		"unknown attribute": {
			reason: "unknown attributes are invalidPath.",
			path:   "shoeSize",
			err:    badRequest("invalidPath"),
		},
		"unknown sub-attribute": {
			reason: "unknown sub-attributes are invalidPath.",
			path:   "name.nickName",
			err:    badRequest("invalidPath"),
		},
		"unknown extension": {
			reason: "attributes of extensions the resource type lacks cannot be addressed.",
			path:   "urn:example:custom:2.0:User:badge",
			err:    badRequest("invalidPath"),
		},
		"sub-attribute too deep": {
			reason: "SCIM attributes nest one level.",
			path:   "name.givenName.first",
			err:    badRequest("invalidPath"),
		},
		"unterminated filter": {
			reason: "a [ needs its ].",
			path:   `emails[type eq "work"`,
			err:    badRequest("invalidPath"),
		},
		"empty filter": {
			reason: "[] selects nothing meaningful.",
			path:   `emails[]`,
			err:    badRequest("invalidPath"),
		},
		"junk after filter": {
			reason: "only .sub may follow a filter.",
			path:   `emails[type eq "work"]value`,
			err:    badRequest("invalidPath"),
		},
		"two filters": {
			reason: "value filters do not nest or repeat.",
			path:   `emails[type eq "work"][value eq "x"]`,
			err:    badRequest("invalidPath"),
		},
		"nested bracket": {
			reason: "a [ inside a value filter is not SCIM.",
			path:   `emails[type[value eq "x"]]`,
			err:    badRequest("invalidPath"),
		},
		"filter on a single-valued attribute": {
			reason: "only multi-valued complex attributes have values to select.",
			path:   `name[givenName eq "x"]`,
			err:    badRequest("invalidPath"),
		},
		"filter on a sub-attribute": {
			reason: "the filter follows the attribute, not a sub-attribute.",
			path:   `emails.value[value eq "x"]`,
			err:    badRequest("invalidPath"),
		},
		"bad filter": {
			reason: "a filter the filter package rejects makes the path invalid.",
			path:   `emails[type xx "work"]`,
			err:    badRequest("invalidPath"),
		},
		"filter on an unknown sub-attribute": {
			reason: "filter attributes are sub-attributes of the multi-valued attribute.",
			path:   `emails[shoeSize eq "9"]`,
			err:    badRequest("invalidPath"),
		},
		"unknown sub-attribute after a filter": {
			reason: "the sub-attribute after a filter must exist.",
			path:   `emails[type eq "work"].shoeSize`,
			err:    badRequest("invalidPath"),
		},
		"bad characters": {
			reason: "attribute names are letters, digits, - and _.",
			path:   `user Name`,
			err:    badRequest("invalidPath"),
		},
		"too long": {
			reason: "paths longer than MaxPathLength are refused before parsing.",
			path:   "emails[value eq \"" + strings.Repeat("a", MaxPathLength) + "\"]",
			err:    badRequest("invalidPath"),
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			rt := c.rt
			if rt == nil {
				rt = schema.UserResourceType
			}
			got, err := ParsePath(c.path, rt)
			if diff := cmp.Diff(c.err, errorOf(err)); diff != "" {
				t.Fatalf("%s\nerror (-want +got):\n%s\nerr: %v", c.reason, diff, err)
			}
			if diff := cmp.Diff(c.want, got, ignoreFilter); diff != "" {
				t.Errorf("%s\n(-want +got):\n%s", c.reason, diff)
			}
		})
	}
}

func TestPathString(t *testing.T) {
	for _, s := range []string{
		"userName",
		"name.givenName",
		`emails[type eq "work"].value`,
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
	} {
		p, err := ParsePath(s, schema.UserResourceType)
		if err != nil {
			t.Fatalf("ParsePath(%q): %v", s, err)
		}
		if got := p.String(); got != s {
			t.Errorf("String writes a canonical path back as it was: got %q, want %q", got, s)
		}
	}
}
