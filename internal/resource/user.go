package resource

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/internal/schema"
	"github.com/scim-operator/scim-operator/internal/scimerr"
)

// userAttributes are the writable core attributes of a SCIM User, with their SCIM names.
type userAttributes struct {
	ignoredOnInput
	UserName          string                        `json:"userName"`
	ExternalID        string                        `json:"externalId"`
	Name              *scimv1.Name                  `json:"name"`
	DisplayName       string                        `json:"displayName"`
	NickName          string                        `json:"nickName"`
	ProfileURL        string                        `json:"profileUrl"`
	Title             string                        `json:"title"`
	UserType          string                        `json:"userType"`
	PreferredLanguage string                        `json:"preferredLanguage"`
	Locale            string                        `json:"locale"`
	Timezone          string                        `json:"timezone"`
	Active            *bool                         `json:"active"`
	Password          *string                       `json:"password"`
	Emails            []scimv1.MultiValuedAttribute `json:"emails"`
	PhoneNumbers      []scimv1.MultiValuedAttribute `json:"phoneNumbers"`
	IMs               []scimv1.MultiValuedAttribute `json:"ims"`
	Photos            []scimv1.MultiValuedAttribute `json:"photos"`
	Addresses         []scimv1.Address              `json:"addresses"`
	Entitlements      []scimv1.MultiValuedAttribute `json:"entitlements"`
	Roles             []scimv1.MultiValuedAttribute `json:"roles"`
	X509Certificates  []scimv1.MultiValuedAttribute `json:"x509Certificates"`
	// Groups is read-only: it is derived from group memberships.
	Groups json.RawMessage `json:"groups"`
}

// UserInput is a User as a client wrote it: the spec to store and, separately, the password,
// which goes to a Secret and never into the custom resource.
type UserInput struct {
	Spec     scimv1.ScimUserSpec
	Password *string
}

// DecodeUser parses a SCIM User body (POST or PUT).
func DecodeUser(body []byte, opts DecodeOptions) (*UserInput, error) {
	core, extensions, err := parseBody(body, schema.UserResourceType)
	if err != nil {
		return nil, err
	}
	var attrs userAttributes
	if err := decode(core, &attrs, opts); err != nil {
		return nil, err
	}
	if err := requireString("userName", attrs.UserName); err != nil {
		return nil, err
	}
	spec := scimv1.ScimUserSpec{
		UserName:          attrs.UserName,
		ExternalID:        attrs.ExternalID,
		Name:              attrs.Name,
		DisplayName:       attrs.DisplayName,
		NickName:          attrs.NickName,
		ProfileURL:        attrs.ProfileURL,
		Title:             attrs.Title,
		UserType:          attrs.UserType,
		PreferredLanguage: attrs.PreferredLanguage,
		Locale:            attrs.Locale,
		Timezone:          attrs.Timezone,
		Active:            attrs.Active,
		Emails:            attrs.Emails,
		PhoneNumbers:      attrs.PhoneNumbers,
		IMs:               attrs.IMs,
		Photos:            attrs.Photos,
		Addresses:         attrs.Addresses,
		Entitlements:      attrs.Entitlements,
		Roles:             attrs.Roles,
		X509Certificates:  attrs.X509Certificates,
	}
	for urn, value := range extensions {
		switch {
		case strings.EqualFold(urn, EnterpriseUserSchema):
			var enterprise enterpriseJSON
			if err := decode(value, &enterprise, opts); err != nil {
				return nil, err
			}
			spec.Enterprise = enterprise.toSpec()
		case strings.EqualFold(urn, UserSchema):
			return nil, scimerr.InvalidSyntax("core User attributes must not be nested under %q", UserSchema)
		case strings.EqualFold(urn, ProvisioningSchema):
			// Read-only: a client sending back what it read is ignored (RFC 7643 §7).
		default:
			if spec.Extensions == nil {
				spec.Extensions = map[string]apiextensionsv1.JSON{}
			}
			spec.Extensions[urn] = apiextensionsv1.JSON{Raw: value}
		}
	}
	return &UserInput{Spec: spec, Password: attrs.Password}, nil
}

// GroupRef is one value of a User's read-only "groups" attribute.
type GroupRef struct {
	Value   string `json:"value"`
	Ref     string `json:"$ref,omitempty"`
	Display string `json:"display,omitempty"`
	Type    string `json:"type,omitempty"`
}

// managerJSON is the enterprise manager as SCIM writes it, with its $ref.
type managerJSON struct {
	Value       string `json:"value,omitempty"`
	Ref         string `json:"$ref,omitempty"`
	DisplayName string `json:"displayName,omitempty"`
}

type enterpriseJSON struct {
	EmployeeNumber string       `json:"employeeNumber,omitempty"`
	CostCenter     string       `json:"costCenter,omitempty"`
	Organization   string       `json:"organization,omitempty"`
	Division       string       `json:"division,omitempty"`
	Department     string       `json:"department,omitempty"`
	Manager        *managerJSON `json:"manager,omitempty"`
}

func (e *enterpriseJSON) toSpec() *scimv1.EnterpriseUser {
	out := &scimv1.EnterpriseUser{
		EmployeeNumber: e.EmployeeNumber,
		CostCenter:     e.CostCenter,
		Organization:   e.Organization,
		Division:       e.Division,
		Department:     e.Department,
	}
	if m := e.Manager; m != nil {
		out.Manager = &scimv1.Manager{Value: m.Value, DisplayName: m.DisplayName}
	}
	return out
}

// Locations builds the URLs of resources; the HTTP layer knows the base URL.
type Locations interface {
	UserLocation(id string) string
	GroupLocation(id string) string
}

// User is the SCIM representation of a ScimUser. It is written straight from the object (see
// object): a page of 100 users copied nothing into an intermediate struct, whose 800 bytes a
// user were, with the encoder's buffer, all of a page's garbage.
type User struct {
	obj    *scimv1.ScimUser
	groups []GroupRef
	loc    Locations
}

// NewUser builds the SCIM representation of u, which must not change while it is in use.
// groups are the groups u is a member of.
func NewUser(u *scimv1.ScimUser, groups []GroupRef, loc Locations) *User {
	return &User{obj: u, groups: groups, loc: loc}
}

// Meta is the user's meta attribute.
func (u *User) Meta() Meta {
	return metaFor(UserResourceType, u.obj, u.loc.UserLocation(u.obj.Name), u.version(), time.Time{})
}

func (u *User) version() Version { return Version{Generation: u.obj.Generation} }

// MarshalJSON writes the user in one pass, with its extension objects at the top level.
func (u *User) MarshalJSON() ([]byte, error) {
	e := newEncoder(u.encodedSize())
	if err := u.encodeTo(e); err != nil {
		return nil, err
	}
	return e.buf.Bytes(), nil
}

// encodeTo writes the attributes in the order of RFC 7643 §4.1, absent ones left out; then
// the enterprise and provisioning extensions, meta, and other extensions by URN.
func (u *User) encodeTo(e *encoder) error {
	s := &u.obj.Spec
	var extensions []string
	if len(s.Extensions) > 0 { // the sort allocates, even for none
		extensions = slices.Sorted(maps.Keys(s.Extensions))
	}
	apps := reportedApps(u.obj.Status.Apps, u.obj.Generation)
	o := openObject(&e.buf)
	o.key("schemas")
	o.buf.WriteString(`["` + UserSchema + `"`)
	if s.Enterprise != nil {
		o.buf.WriteString(`,"` + EnterpriseUserSchema + `"`)
	}
	for _, urn := range extensions {
		o.buf.WriteByte(',')
		writeString(o.buf, urn)
	}
	if len(apps) > 0 {
		o.buf.WriteString(`,"` + ProvisioningSchema + `"`)
	}
	o.buf.WriteByte(']')
	o.str("id", u.obj.Name)
	o.optStr("externalId", s.ExternalID)
	o.str("userName", s.UserName)
	if n := s.Name; n != nil {
		o.key("name")
		name := openObject(o.buf)
		name.optStr("formatted", n.Formatted)
		name.optStr("familyName", n.FamilyName)
		name.optStr("givenName", n.GivenName)
		name.optStr("middleName", n.MiddleName)
		name.optStr("honorificPrefix", n.HonorificPrefix)
		name.optStr("honorificSuffix", n.HonorificSuffix)
		name.close()
	}
	o.optStr("displayName", s.DisplayName)
	o.optStr("nickName", s.NickName)
	o.optStr("profileUrl", s.ProfileURL)
	o.optStr("title", s.Title)
	o.optStr("userType", s.UserType)
	o.optStr("preferredLanguage", s.PreferredLanguage)
	o.optStr("locale", s.Locale)
	o.optStr("timezone", s.Timezone)
	o.boolean("active", s.Active == nil || *s.Active)
	o.multiValued("emails", s.Emails)
	o.multiValued("phoneNumbers", s.PhoneNumbers)
	o.multiValued("ims", s.IMs)
	o.multiValued("photos", s.Photos)
	o.array("addresses", len(s.Addresses), func(i int) {
		a := &s.Addresses[i]
		v := openObject(o.buf)
		v.optStr("formatted", a.Formatted)
		v.optStr("streetAddress", a.StreetAddress)
		v.optStr("locality", a.Locality)
		v.optStr("region", a.Region)
		v.optStr("postalCode", a.PostalCode)
		v.optStr("country", a.Country)
		v.optStr("type", a.Type)
		v.optBool("primary", a.Primary)
		v.close()
	})
	o.multiValued("entitlements", s.Entitlements)
	o.multiValued("roles", s.Roles)
	o.multiValued("x509Certificates", s.X509Certificates)
	o.array("groups", len(u.groups), func(i int) {
		g := &u.groups[i]
		v := openObject(o.buf)
		v.str("value", g.Value)
		v.optStr("$ref", g.Ref)
		v.optStr("display", g.Display)
		v.optStr("type", g.Type)
		v.close()
	})
	if x := s.Enterprise; x != nil {
		o.key(EnterpriseUserSchema)
		v := openObject(o.buf)
		v.optStr("employeeNumber", x.EmployeeNumber)
		v.optStr("costCenter", x.CostCenter)
		v.optStr("organization", x.Organization)
		v.optStr("division", x.Division)
		v.optStr("department", x.Department)
		if m := x.Manager; m != nil {
			v.key("manager")
			mo := openObject(o.buf)
			mo.optStr("value", m.Value)
			if m.Value != "" {
				mo.str("$ref", u.loc.UserLocation(m.Value))
			}
			mo.optStr("displayName", m.DisplayName)
			mo.close()
		}
		v.close()
	}
	if len(apps) > 0 {
		o.key(ProvisioningSchema)
		writeProvisioning(o.buf, apps)
	}
	o.key("meta")
	writeMeta(o.buf, UserResourceType, u.obj, u.loc.UserLocation(u.obj.Name), u.version(), time.Time{})
	for _, urn := range extensions {
		o.rawMember(urn, s.Extensions[urn].Raw)
	}
	o.close()
	return nil
}

// multiValued writes a multi-valued attribute of emails' shape, left out when empty.
func (o *object) multiValued(k string, values []scimv1.MultiValuedAttribute) {
	o.array(k, len(values), func(i int) {
		a := &values[i]
		v := openObject(o.buf)
		v.str("value", a.Value)
		v.optStr("display", a.Display)
		v.optStr("type", a.Type)
		v.optBool("primary", a.Primary)
		v.close()
	})
}
