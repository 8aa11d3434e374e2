package resource

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/internal/scimerr"
)

func TestDecodeUser(t *testing.T) {
	cases := []struct {
		reason   string
		body     string
		want     *UserInput
		scimType string
	}{
		{
			reason: "attribute names and extension URNs are case-insensitive",
			body: `{"USERNAME":"ada","Name":{"GivenName":"Ada"},"Active":false,
				"URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER":{"Department":"R&D"}}`,
			want: &UserInput{Spec: scimv1.ScimUserSpec{
				UserName: "ada", Name: &scimv1.Name{GivenName: "Ada"}, Active: ptr.To(false),
				Enterprise: &scimv1.EnterpriseUser{Department: "R&D"},
			}},
		},
		{
			reason: "the password is taken apart from the spec; read-only id, meta and groups are ignored",
			body:   `{"schemas":["x"],"id":"abc","meta":{"version":"1"},"userName":"ada","password":"pw","groups":[]}`,
			want:   &UserInput{Spec: scimv1.ScimUserSpec{UserName: "ada"}, Password: ptr.To("pw")},
		},
		{
			reason: "an unknown extension is kept as sent, compacted",
			body:   `{"userName":"ada","urn:example:ext:1.0:User":{ "a" : [1, 2] }}`,
			want: &UserInput{Spec: scimv1.ScimUserSpec{UserName: "ada", Extensions: map[string]apiextensionsv1.JSON{
				"urn:example:ext:1.0:User": {Raw: []byte(`{"a":[1,2]}`)},
			}}},
		},
		{
			reason: "E2: booleans sent as strings are booleans, also inside multi-valued attributes",
			body:   `{"userName":"ada","active":"True","emails":[{"value":"a@b","primary":"false"}]}`,
			want: &UserInput{Spec: scimv1.ScimUserSpec{UserName: "ada", Active: ptr.To(true),
				Emails: []scimv1.MultiValuedAttribute{{Value: "a@b"}}}},
		},
		{reason: "userName is required", body: `{"displayName":"x"}`, scimType: scimerr.TypeInvalidValue},
		{reason: "an unknown core attribute is rejected", body: `{"userName":"x","shoe":1}`, scimType: scimerr.TypeInvalidSyntax},
		{reason: "an unknown enterprise attribute is rejected", body: `{"userName":"x","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"shoe":1}}`, scimType: scimerr.TypeInvalidSyntax},
		{reason: "an extension must be an object", body: `{"userName":"x","urn:example:ext":1}`, scimType: scimerr.TypeInvalidSyntax},
		{reason: "a wrong type is an invalid value", body: `{"userName":"x","active":"yes"}`, scimType: scimerr.TypeInvalidValue},
		{reason: "trailing data is a syntax error", body: `{"userName":"x"} {}`, scimType: scimerr.TypeInvalidSyntax},
	}
	for _, c := range cases {
		t.Run(c.reason, func(t *testing.T) {
			got, err := DecodeUser([]byte(c.body), DecodeOptions{})
			if c.scimType != "" {
				if e := scimerr.As(err); e == nil || e.ScimType != c.scimType || e.Status != 400 {
					t.Fatalf("error %v, want 400 %s", err, c.scimType)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

type fixedLocations struct{}

func (fixedLocations) UserLocation(id string) string  { return "https://scim.example/Users/" + id }
func (fixedLocations) GroupLocation(id string) string { return "https://scim.example/Groups/" + id }

func TestUserRepresentation(t *testing.T) {
	created := metav1.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	u := &scimv1.ScimUser{
		ObjectMeta: metav1.ObjectMeta{Name: "u1", Generation: 3, CreationTimestamp: created},
		Spec: scimv1.ScimUserSpec{
			UserName:   "ada",
			Enterprise: &scimv1.EnterpriseUser{Manager: &scimv1.Manager{Value: "boss"}},
			Extensions: map[string]apiextensionsv1.JSON{"urn:example:ext": {Raw: []byte(`{"a":"<&>"}`)}},
		},
	}
	data, err := Marshal(NewUser(u, []GroupRef{{Value: "g1", Display: "Admins"}}, fixedLocations{}))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User","urn:example:ext"],` +
		`"id":"u1","userName":"ada","active":true,"groups":[{"value":"g1","display":"Admins"}],` +
		`"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{"value":"boss","$ref":"https://scim.example/Users/boss"}},` +
		`"meta":{"resourceType":"User","created":"2026-01-02T03:04:05Z","lastModified":"2026-01-02T03:04:05Z","location":"https://scim.example/Users/u1","version":"W/\"3\""},` +
		`"urn:example:ext":{"a":"<&>"}}`
	if diff := cmp.Diff(want, string(data)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if !json.Valid(data) {
		t.Error("not valid JSON")
	}
}

// TestListResponseEncodesEachResourceOnce: a list writes its resources as they write
// themselves, and the result is the JSON encoding/json would give.
func TestListResponseEncodesEachResourceOnce(t *testing.T) {
	u := &scimv1.ScimUser{
		ObjectMeta: metav1.ObjectMeta{Name: "u1", Generation: 1},
		Spec: scimv1.ScimUserSpec{
			UserName:   "ada",
			Extensions: map[string]apiextensionsv1.JSON{"urn:example:ext": {Raw: []byte(`{"a":"<&>"}`)}},
		},
	}
	list := NewListResponse(7, 3, []any{NewUser(u, nil, fixedLocations{}), map[string]any{"id": "g1"}}).WithNextCursor("c2")
	data, err := Marshal(list)
	if err != nil {
		t.Fatal(err)
	}
	userJSON, _ := Marshal(NewUser(u, nil, fixedLocations{}))
	var got, want any
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, data)
	}
	wantJSON := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":7,"startIndex":3,"itemsPerPage":2,` +
		`"nextCursor":"c2","Resources":[` + string(userJSON) + `,{"id":"g1"}]}`
	if err := json.Unmarshal([]byte(wantJSON), &want); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("list (-want +got):\n%s", diff)
	}
	if empty, _ := Marshal(NewListResponse(0, 1, nil)); !strings.Contains(string(empty), `"Resources":[]`) {
		t.Errorf("an empty list has no empty Resources array: %s", empty)
	}
}
