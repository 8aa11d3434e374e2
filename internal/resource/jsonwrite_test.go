package resource

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
)

// taggedUser is the User as a struct for encoding/json, the way it was written before the
// hand-written encoding: the oracle the encoding must equal byte for byte.
type taggedUser struct {
	Schemas           []string                      `json:"schemas"`
	ID                string                        `json:"id"`
	ExternalID        string                        `json:"externalId,omitempty"`
	UserName          string                        `json:"userName"`
	Name              *scimv1.Name                  `json:"name,omitempty"`
	DisplayName       string                        `json:"displayName,omitempty"`
	NickName          string                        `json:"nickName,omitempty"`
	ProfileURL        string                        `json:"profileUrl,omitempty"`
	Title             string                        `json:"title,omitempty"`
	UserType          string                        `json:"userType,omitempty"`
	PreferredLanguage string                        `json:"preferredLanguage,omitempty"`
	Locale            string                        `json:"locale,omitempty"`
	Timezone          string                        `json:"timezone,omitempty"`
	Active            bool                          `json:"active"`
	Emails            []scimv1.MultiValuedAttribute `json:"emails,omitempty"`
	PhoneNumbers      []scimv1.MultiValuedAttribute `json:"phoneNumbers,omitempty"`
	IMs               []scimv1.MultiValuedAttribute `json:"ims,omitempty"`
	Photos            []scimv1.MultiValuedAttribute `json:"photos,omitempty"`
	Addresses         []scimv1.Address              `json:"addresses,omitempty"`
	Entitlements      []scimv1.MultiValuedAttribute `json:"entitlements,omitempty"`
	Roles             []scimv1.MultiValuedAttribute `json:"roles,omitempty"`
	X509Certificates  []scimv1.MultiValuedAttribute `json:"x509Certificates,omitempty"`
	Groups            []GroupRef                    `json:"groups,omitempty"`
	Enterprise        *enterpriseJSON               `json:"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User,omitempty"`
	Provisioning      *provisioningJSON             `json:"urn:scim-operator.io:schemas:extension:provisioning:2.0,omitempty"`
	Meta              Meta                          `json:"meta"`
}

// taggedUserJSON is u as the tagged struct encodes, its other extensions appended by URN.
func taggedUserJSON(t testing.TB, u *scimv1.ScimUser, groups []GroupRef, loc Locations) []byte {
	s := &u.Spec
	out := &taggedUser{
		Schemas: []string{UserSchema}, ID: u.Name, ExternalID: s.ExternalID, UserName: s.UserName, Name: s.Name,
		DisplayName: s.DisplayName, NickName: s.NickName, ProfileURL: s.ProfileURL, Title: s.Title, UserType: s.UserType,
		PreferredLanguage: s.PreferredLanguage, Locale: s.Locale, Timezone: s.Timezone, Active: s.Active == nil || *s.Active,
		Emails: s.Emails, PhoneNumbers: s.PhoneNumbers, IMs: s.IMs, Photos: s.Photos, Addresses: s.Addresses,
		Entitlements: s.Entitlements, Roles: s.Roles, X509Certificates: s.X509Certificates, Groups: groups,
		Meta: metaFor(UserResourceType, u, loc.UserLocation(u.Name), Version{Generation: u.Generation}, time.Time{}),
	}
	if e := s.Enterprise; e != nil {
		out.Schemas = append(out.Schemas, EnterpriseUserSchema)
		out.Enterprise = &enterpriseJSON{EmployeeNumber: e.EmployeeNumber, CostCenter: e.CostCenter,
			Organization: e.Organization, Division: e.Division, Department: e.Department}
		if m := e.Manager; m != nil {
			out.Enterprise.Manager = &managerJSON{Value: m.Value, DisplayName: m.DisplayName}
			if m.Value != "" {
				out.Enterprise.Manager.Ref = loc.UserLocation(m.Value)
			}
		}
	}
	extensions := slices.Sorted(maps.Keys(s.Extensions))
	out.Schemas = append(out.Schemas, extensions...)
	if out.Provisioning = provisioning(reportedApps(u.Status.Apps, u.Generation)); out.Provisioning != nil {
		out.Schemas = append(out.Schemas, ProvisioningSchema)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		t.Fatal(err)
	}
	buf.Truncate(buf.Len() - 2) // "}\n"
	for _, urn := range extensions {
		buf.WriteByte(',')
		if err := enc.Encode(urn); err != nil {
			t.Fatal(err)
		}
		buf.Truncate(buf.Len() - 1)
		buf.WriteByte(':')
		buf.Write(s.Extensions[urn].Raw)
	}
	buf.WriteByte('}')
	return buf.Bytes()
}

func assertUserEncoding(t testing.TB, u *scimv1.ScimUser, groups []GroupRef) {
	got, err := Marshal(NewUser(u, groups, fixedLocations{}))
	if err != nil {
		t.Fatal(err)
	}
	if want := taggedUserJSON(t, u, groups, fixedLocations{}); !bytes.Equal(got, want) {
		t.Fatalf("hand-written encoding differs from encoding/json's\n got: %s\nwant: %s", got, want)
	}
	if !json.Valid(got) {
		t.Fatalf("not valid JSON: %s", got)
	}
}

// nasty holds what a JSON string must escape, and what it must not: quotes, backslashes,
// control characters, HTML (left alone, as Marshal does), U+2028/2029, invalid UTF-8 and
// multi-byte runes.
var nasty = []string{
	"", "plain", `q"uo\te`, "tab\tnl\nret\rbs\bff\f", "\x00\x01\x1f\x7f", "<a href=\"x\">&amp;</a>",
	"line\u2028para\u2029", "bad\xffutf8\xc3", "Ünïcødé 日本 🎉", "\xe2\x80", `\u2028`,
}

func TestUserEncodingIsTheTaggedStructs(t *testing.T) {
	created := metav1.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	for i, s := range nasty {
		mv := []scimv1.MultiValuedAttribute{{Value: s, Display: s, Type: s, Primary: i%2 == 0}, {Value: ""}}
		u := &scimv1.ScimUser{
			ObjectMeta: metav1.ObjectMeta{Name: "u" + s, Generation: int64(i) << (5 * i), CreationTimestamp: created},
			// a later change, in another zone than UTC
			LastModifiedHint: metav1.NewTime(created.Add(time.Duration(i) * time.Hour).In(time.FixedZone("x", 3600))),
			Spec: scimv1.ScimUserSpec{
				UserName: s, ExternalID: s, DisplayName: s, NickName: s, ProfileURL: s, Title: s, UserType: s,
				PreferredLanguage: s, Locale: s, Timezone: s, Active: ptr.To(i%3 != 0),
				Name:   &scimv1.Name{Formatted: s, FamilyName: s, GivenName: s, MiddleName: s, HonorificPrefix: s, HonorificSuffix: s},
				Emails: mv, PhoneNumbers: mv, IMs: mv, Photos: mv, Entitlements: mv, Roles: mv, X509Certificates: mv,
				Addresses: []scimv1.Address{{Formatted: s, StreetAddress: s, Locality: s, Region: s, PostalCode: s, Country: s, Type: s, Primary: true}, {}},
				Enterprise: &scimv1.EnterpriseUser{EmployeeNumber: s, CostCenter: s, Organization: s, Division: s, Department: s,
					Manager: &scimv1.Manager{Value: s, DisplayName: s}},
				Extensions: map[string]apiextensionsv1.JSON{"urn:b:" + s: {Raw: []byte(`{"b":1}`)}, "urn:a": {Raw: []byte(`{}`)}},
			},
			Status: scimv1.ScimUserStatus{ResourceStatus: scimv1.ResourceStatus{Apps: []scimv1.AppProvisioningStatus{
				{Name: s, State: scimv1.ProvisioningState(s), ExternalID: s, Message: s, LastSyncTime: &created}, {Name: "b"},
			}}},
		}
		groups := []GroupRef{{Value: s, Ref: s, Display: s, Type: s}, {Value: ""}}
		assertUserEncoding(t, u, groups)
	}
	// Every optional part absent, and present but empty.
	assertUserEncoding(t, &scimv1.ScimUser{}, nil)
	assertUserEncoding(t, &scimv1.ScimUser{Spec: scimv1.ScimUserSpec{
		Name: &scimv1.Name{}, Enterprise: &scimv1.EnterpriseUser{Manager: &scimv1.Manager{}}, Emails: []scimv1.MultiValuedAttribute{},
		Extensions: map[string]apiextensionsv1.JSON{},
	}}, []GroupRef{})
}

// FuzzUserEncoding: for any user a client can create, the hand-written encoding is the one
// encoding/json writes.
func FuzzUserEncoding(f *testing.F) {
	for _, seed := range []string{
		`{"userName":"ada","name":{"givenName":"Ada","familyName":"L\u2028"},"emails":[{"value":"a@b","primary":true,"type":"work"}]}`,
		`{"userName":"x\"<>&\u0001","addresses":[{"locality":"Z\u00fcrich","primary":true}],"active":false}`,
		`{"userName":"x","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{"value":"m"},"department":"R&D"}}`,
		`{"userName":"x","urn:custom":{"a":[1,{"b":null}]},"x509Certificates":[{"value":"MII="}],"roles":[{"value":"r","display":"R"}]}`,
	} {
		f.Add([]byte(seed), "group\t1")
	}
	f.Fuzz(func(t *testing.T, body []byte, group string) {
		in, err := DecodeUser(body, DecodeOptions{IgnoreUnknown: true})
		if err != nil {
			return
		}
		u := &scimv1.ScimUser{ObjectMeta: metav1.ObjectMeta{Name: group, Generation: 1}, Spec: in.Spec}
		assertUserEncoding(t, u, []GroupRef{{Value: group, Display: group, Type: "direct"}})
	})
}
