package schema

// URNs of the schemas served here.
const (
	UserURN           = "urn:ietf:params:scim:schemas:core:2.0:User"
	GroupURN          = "urn:ietf:params:scim:schemas:core:2.0:Group"
	EnterpriseUserURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	// ProvisioningURN is scim-operator's read-only extension reporting, for a user or group,
	// its state in each downstream app.
	ProvisioningURN = "urn:scim-operator.io:schemas:extension:provisioning:2.0"
)

type option func(*Attribute)

var (
	required   option = func(a *Attribute) { a.Required = true }
	caseExact  option = func(a *Attribute) { a.CaseExact = true }
	multi      option = func(a *Attribute) { a.MultiValued = true }
	readOnly   option = func(a *Attribute) { a.Mutability = ReadOnly }
	immutable  option = func(a *Attribute) { a.Mutability = Immutable }
	writeOnly  option = func(a *Attribute) { a.Mutability = WriteOnly; a.Returned = ReturnedNever }
	always     option = func(a *Attribute) { a.Returned = ReturnedAlways }
	unique     option = func(a *Attribute) { a.Uniqueness = "server" }
	references        = func(types ...string) option { return func(a *Attribute) { a.ReferenceTypes = types } }
	canonical         = func(values ...string) option { return func(a *Attribute) { a.CanonicalValues = values } }
	subs              = func(sub ...Attribute) option { return func(a *Attribute) { a.SubAttributes = sub } }
)

func attr(name, typ, description string, opts ...option) Attribute {
	a := Attribute{Name: name, Type: typ, Description: description, Mutability: ReadWrite,
		Returned: ReturnedDefault, Uniqueness: "none"}
	for _, o := range opts {
		o(&a)
	}
	return a
}

func str(name, description string, opts ...option) Attribute {
	return attr(name, TypeString, description, opts...)
}

// multiValued is the shape shared by emails, phoneNumbers, ims, photos, entitlements, roles and
// x509Certificates: value, display, type, primary.
func multiValued(name, description, valueType string, types ...string) Attribute {
	return attr(name, TypeComplex, description, multi, subs(
		attr("value", valueType, "The value of the "+name+" entry."),
		str("display", "A human-readable name, primarily used for display purposes."),
		str("type", "A label indicating the attribute's function.", canonical(types...)),
		attr("primary", TypeBoolean, "Indicates the 'primary' or preferred value; at most one is true."),
	))
}

// Common holds the attributes of RFC 7643 §3.1 that every resource has.
var Common = &Schema{
	ID: "urn:ietf:params:scim:schemas:common", Name: "Common",
	Attributes: []Attribute{
		str("id", "Unique identifier of the resource, issued by the service provider.", caseExact, readOnly, always, unique),
		str("externalId", "Identifier of the resource as defined by the provisioning client.", caseExact),
		attr("meta", TypeComplex, "Resource metadata.", readOnly, subs(
			str("resourceType", "The name of the resource type.", caseExact, readOnly),
			attr("created", TypeDateTime, "When the resource was added.", readOnly),
			attr("lastModified", TypeDateTime, "When the resource was last changed.", readOnly),
			attr("location", TypeReference, "The URI of the resource.", caseExact, readOnly),
			str("version", "The version (ETag) of the resource.", caseExact, readOnly),
		)),
	},
}

// User is the core User schema (RFC 7643 §4.1).
var User = &Schema{
	ID: UserURN, Name: "User", Description: "User Account",
	Attributes: []Attribute{
		str("userName", "Unique identifier for the User, compared case-insensitively.", required, unique),
		attr("name", TypeComplex, "The components of the user's real name.", subs(
			str("formatted", "The full name, formatted for display."),
			str("familyName", "The family name."),
			str("givenName", "The given name."),
			str("middleName", "The middle name(s)."),
			str("honorificPrefix", "The honorific prefix(es), e.g. 'Ms.'."),
			str("honorificSuffix", "The honorific suffix(es), e.g. 'III'."),
		)),
		str("displayName", "The name of the User, suitable for display to end-users."),
		str("nickName", "The casual way to address the user."),
		attr("profileUrl", TypeReference, "A URL of the user's online profile.", references("external")),
		str("title", "The user's title, such as 'Vice President'."),
		str("userType", "The relationship to the organization, e.g. 'Employee'."),
		str("preferredLanguage", "The preferred written or spoken language."),
		str("locale", "The default location for localizing currency, dates and numbers."),
		str("timezone", "The User's time zone in the IANA Time Zone database format."),
		attr("active", TypeBoolean, "The User's administrative status."),
		str("password", "The User's cleartext password; never returned.", writeOnly),
		multiValued("emails", "Email addresses for the user.", TypeString, "work", "home", "other"),
		multiValued("phoneNumbers", "Phone numbers for the User.", TypeString, "work", "home", "mobile", "fax", "pager", "other"),
		multiValued("ims", "Instant messaging addresses for the User.", TypeString, "aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"),
		multiValued("photos", "URLs of photos of the User.", TypeReference, "photo", "thumbnail"),
		attr("addresses", TypeComplex, "A physical mailing address for this User.", multi, subs(
			str("formatted", "The full mailing address, formatted for display."),
			str("streetAddress", "The full street address component."),
			str("locality", "The city or locality component."),
			str("region", "The state or region component."),
			str("postalCode", "The zip code or postal code component."),
			str("country", "The country name component."),
			str("type", "A label indicating the attribute's function.", canonical("work", "home", "other")),
			attr("primary", TypeBoolean, "Indicates the primary address."),
		)),
		attr("groups", TypeComplex, "The groups the user belongs to, derived from group memberships.", multi, readOnly, subs(
			str("value", "The identifier of the User's group.", readOnly),
			attr("$ref", TypeReference, "The URI of the corresponding Group resource.", readOnly, references("Group")),
			str("display", "The group's display name.", readOnly),
			str("type", "'direct' or 'indirect' membership.", readOnly, canonical("direct", "indirect")),
		)),
		multiValued("entitlements", "A list of entitlements for the User.", TypeString),
		multiValued("roles", "A list of roles for the User.", TypeString),
		multiValued("x509Certificates", "A list of certificates issued to the User.", TypeBinary),
	},
}

// EnterpriseUser is the enterprise User extension (RFC 7643 §4.3).
var EnterpriseUser = &Schema{
	ID: EnterpriseUserURN, Name: "EnterpriseUser", Description: "Enterprise User",
	Attributes: []Attribute{
		str("employeeNumber", "Numeric or alphanumeric identifier assigned to a person."),
		str("costCenter", "Identifies the name of a cost center."),
		str("organization", "Identifies the name of an organization."),
		str("division", "Identifies the name of a division."),
		str("department", "Identifies the name of a department."),
		attr("manager", TypeComplex, "The User's manager.", subs(
			str("value", "The id of the SCIM resource representing the User's manager."),
			attr("$ref", TypeReference, "The URI of the manager's User resource.", references("User")),
			str("displayName", "The displayName of the User's manager.", readOnly),
		)),
	},
}

// Provisioning is the read-only provisioning extension of users and groups.
var Provisioning = &Schema{
	ID: ProvisioningURN, Name: "Provisioning", Description: "The state of the resource in each downstream app (read-only)",
	Attributes: []Attribute{
		attr("apps", TypeComplex, "One entry per app that receives the resource.", multi, readOnly, subs(
			str("name", "The ScimApp's name.", caseExact, readOnly),
			str("state", "Pending, Provisioned, Disabled, Deprovisioned or Failed.", caseExact, readOnly,
				canonical("Pending", "Provisioned", "Disabled", "Deprovisioned", "Failed")),
			str("externalId", "The resource's identifier in the app.", caseExact, readOnly),
			str("message", "Why the state is what it is, for example the app's error.", readOnly),
			attr("lastSync", TypeDateTime, "When the app was last brought in line.", readOnly),
		)),
	},
}

// Group is the core Group schema (RFC 7643 §4.2).
var Group = &Schema{
	ID: GroupURN, Name: "Group", Description: "Group",
	Attributes: []Attribute{
		str("displayName", "A human-readable name for the Group, unique in its tenant.", required, unique),
		attr("members", TypeComplex, "A list of members of the Group.", multi, subs(
			str("value", "Identifier of the member of this Group.", immutable),
			attr("$ref", TypeReference, "The URI of the member resource.", immutable, references("User", "Group")),
			str("type", "The type of the member.", immutable, canonical("User", "Group")),
			str("display", "A human-readable name of the member."),
		)),
	},
}

// UserResourceType and GroupResourceType are the resource types served here.
var (
	UserResourceType  = &ResourceType{Name: "User", Endpoint: "/Users", Core: User, Extensions: []*Schema{EnterpriseUser, Provisioning}}
	GroupResourceType = &ResourceType{Name: "Group", Endpoint: "/Groups", Core: Group, Extensions: []*Schema{Provisioning}}
)
