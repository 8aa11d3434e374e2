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

// User is the SCIM representation of a ScimUser, ready to encode.
type User struct {
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

	// extensions are other extension objects, written at the top level under their URN.
	extensions map[string]apiextensionsv1.JSON
}

// Locations builds the URLs of resources; the HTTP layer knows the base URL.
type Locations interface {
	UserLocation(id string) string
	GroupLocation(id string) string
}

// NewUser builds the SCIM representation of u. groups are the groups u is a member of.
func NewUser(u *scimv1.ScimUser, groups []GroupRef, loc Locations) *User {
	s := &u.Spec
	out := &User{
		Schemas:           []string{UserSchema},
		ID:                u.Name,
		ExternalID:        s.ExternalID,
		UserName:          s.UserName,
		Name:              s.Name,
		DisplayName:       s.DisplayName,
		NickName:          s.NickName,
		ProfileURL:        s.ProfileURL,
		Title:             s.Title,
		UserType:          s.UserType,
		PreferredLanguage: s.PreferredLanguage,
		Locale:            s.Locale,
		Timezone:          s.Timezone,
		Active:            s.Active == nil || *s.Active,
		Emails:            s.Emails,
		PhoneNumbers:      s.PhoneNumbers,
		IMs:               s.IMs,
		Photos:            s.Photos,
		Addresses:         s.Addresses,
		Entitlements:      s.Entitlements,
		Roles:             s.Roles,
		X509Certificates:  s.X509Certificates,
		Groups:            groups,
		Meta:              metaFor(UserResourceType, u, loc.UserLocation(u.Name), Version{Generation: u.Generation}, time.Time{}),
		extensions:        s.Extensions,
	}
	if e := s.Enterprise; e != nil {
		out.Schemas = append(out.Schemas, EnterpriseUserSchema)
		out.Enterprise = &enterpriseJSON{
			EmployeeNumber: e.EmployeeNumber,
			CostCenter:     e.CostCenter,
			Organization:   e.Organization,
			Division:       e.Division,
			Department:     e.Department,
		}
		if m := e.Manager; m != nil {
			out.Enterprise.Manager = &managerJSON{Value: m.Value, DisplayName: m.DisplayName}
			if m.Value != "" {
				out.Enterprise.Manager.Ref = loc.UserLocation(m.Value)
			}
		}
	}
	for _, urn := range slices.Sorted(maps.Keys(s.Extensions)) {
		out.Schemas = append(out.Schemas, urn)
	}
	if out.Provisioning = provisioning(u.Status.Apps); out.Provisioning != nil {
		out.Schemas = append(out.Schemas, ProvisioningSchema)
	}
	return out
}

// MarshalJSON writes the user with its extension objects at the top level, in one pass.
func (u *User) MarshalJSON() ([]byte, error) {
	e := newEncoder(u.encodedSize())
	if err := u.encodeTo(e); err != nil {
		return nil, err
	}
	return e.buf.Bytes(), nil
}

func (u *User) encodeTo(e *encoder) error {
	type plain User
	if err := e.value((*plain)(u)); err != nil || len(u.extensions) == 0 {
		return err
	}
	e.reopen()
	for _, urn := range slices.Sorted(maps.Keys(u.extensions)) {
		e.buf.WriteByte(',')
		if err := e.value(urn); err != nil {
			return err
		}
		e.buf.WriteByte(':')
		e.buf.Write(u.extensions[urn].Raw)
	}
	e.buf.WriteByte('}')
	return nil
}
