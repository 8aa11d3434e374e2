package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Name holds the components of a user's real name (RFC 7643 §4.1.1).
type Name struct {
	// formatted is the full name, including titles and suffixes, formatted for display.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Formatted string `json:"formatted,omitempty"`
	// familyName is the family (last) name.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	FamilyName string `json:"familyName,omitempty"`
	// givenName is the given (first) name.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	GivenName string `json:"givenName,omitempty"`
	// middleName is the middle name or names.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	MiddleName string `json:"middleName,omitempty"`
	// honorificPrefix is a title such as "Ms." or "Dr.".
	// +optional
	// +kubebuilder:validation:MaxLength=64
	HonorificPrefix string `json:"honorificPrefix,omitempty"`
	// honorificSuffix is a suffix such as "III" or "PhD".
	// +optional
	// +kubebuilder:validation:MaxLength=64
	HonorificSuffix string `json:"honorificSuffix,omitempty"`
}

// MultiValuedAttribute is one value of a SCIM multi-valued attribute such as emails,
// phoneNumbers, ims, photos, entitlements, roles or x509Certificates (RFC 7643 §2.4).
type MultiValuedAttribute struct {
	// value is the attribute's value: an address, a number, a URL, or a base64 DER certificate.
	// +required
	// +kubebuilder:validation:MaxLength=16384
	Value string `json:"value"`
	// display is a human-readable form of the value.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Display string `json:"display,omitempty"`
	// type labels the value, for example "work", "home" or "other".
	// +optional
	// +kubebuilder:validation:MaxLength=64
	Type string `json:"type,omitempty"`
	// primary marks the preferred value; at most one value of an attribute is primary.
	// +optional
	Primary bool `json:"primary,omitempty"`
}

// Address is a physical mailing address (RFC 7643 §4.1.2).
type Address struct {
	// formatted is the full address, formatted for display or a mailing label.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Formatted string `json:"formatted,omitempty"`
	// streetAddress is the street, house number and so on.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	StreetAddress string `json:"streetAddress,omitempty"`
	// locality is the city.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Locality string `json:"locality,omitempty"`
	// region is the state or region.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Region string `json:"region,omitempty"`
	// postalCode is the zip or postal code.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	PostalCode string `json:"postalCode,omitempty"`
	// country is the ISO 3166-1 alpha-2 country code, for example "DE".
	// +optional
	// +kubebuilder:validation:MaxLength=64
	Country string `json:"country,omitempty"`
	// type labels the address: "work", "home" or "other".
	// +optional
	// +kubebuilder:validation:MaxLength=64
	Type string `json:"type,omitempty"`
	// primary marks the preferred address.
	// +optional
	Primary bool `json:"primary,omitempty"`
}

// Manager refers to a user's manager (enterprise extension, RFC 7643 §4.3).
type Manager struct {
	// value is the SCIM id of the manager's ScimUser.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Value string `json:"value,omitempty"`
	// displayName is the manager's display name.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	DisplayName string `json:"displayName,omitempty"`
}

// EnterpriseUser holds the attributes of the enterprise User extension
// (urn:ietf:params:scim:schemas:extension:enterprise:2.0:User, RFC 7643 §4.3).
type EnterpriseUser struct {
	// employeeNumber is the number the organisation assigned to the user.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	EmployeeNumber string `json:"employeeNumber,omitempty"`
	// costCenter is the user's cost center.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	CostCenter string `json:"costCenter,omitempty"`
	// organization is the user's organisation.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Organization string `json:"organization,omitempty"`
	// division is the user's division.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Division string `json:"division,omitempty"`
	// department is the user's department.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Department string `json:"department,omitempty"`
	// manager is the user's manager.
	// +optional
	Manager *Manager `json:"manager,omitempty"`
}

// ScimUserSpec is a SCIM User (RFC 7643 §4.1) as the identity provider or an administrator
// declared it. Attribute names are the SCIM names. The password is never stored here.
// +kubebuilder:validation:XValidation:rule="!has(self.emails) || self.emails.filter(e, has(e.primary) && e.primary).size() <= 1",message="at most one email can be primary"
// +kubebuilder:validation:XValidation:rule="!has(self.phoneNumbers) || self.phoneNumbers.filter(e, has(e.primary) && e.primary).size() <= 1",message="at most one phone number can be primary"
// +kubebuilder:validation:XValidation:rule="!has(self.addresses) || self.addresses.filter(e, has(e.primary) && e.primary).size() <= 1",message="at most one address can be primary"
type ScimUserSpec struct {
	// userName uniquely identifies the user within its tenant, compared case-insensitively.
	// Identity providers usually send an email address or a UPN.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	UserName string `json:"userName"`

	// externalId is the identity provider's own identifier for the user.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	ExternalID string `json:"externalId,omitempty"`

	// name holds the components of the user's real name.
	// +optional
	Name *Name `json:"name,omitempty"`

	// displayName is the name to show to end users.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	DisplayName string `json:"displayName,omitempty"`

	// nickName is the casual name to address the user by.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	NickName string `json:"nickName,omitempty"`

	// profileUrl is a URL of the user's online profile.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	ProfileURL string `json:"profileUrl,omitempty"`

	// title is the user's job title, for example "Vice President".
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Title string `json:"title,omitempty"`

	// userType describes the relation to the organisation, for example "Employee" or "Contractor".
	// +optional
	// +kubebuilder:validation:MaxLength=256
	UserType string `json:"userType,omitempty"`

	// preferredLanguage is the preferred written or spoken language, as in HTTP Accept-Language.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	PreferredLanguage string `json:"preferredLanguage,omitempty"`

	// locale is the default location for currency, dates and numbers, for example "en-US".
	// +optional
	// +kubebuilder:validation:MaxLength=64
	Locale string `json:"locale,omitempty"`

	// timezone is an IANA time zone name, for example "Europe/Berlin".
	// +optional
	// +kubebuilder:validation:MaxLength=64
	Timezone string `json:"timezone,omitempty"`

	// active says whether the user may sign in. Identity providers deprovision by setting it to
	// false; apps then disable the account.
	// +optional
	// +kubebuilder:default=true
	Active *bool `json:"active,omitempty"`

	// emails are the user's email addresses.
	// +optional
	// +kubebuilder:validation:MaxItems=64
	Emails []MultiValuedAttribute `json:"emails,omitempty"`

	// phoneNumbers are the user's phone numbers.
	// +optional
	// +kubebuilder:validation:MaxItems=64
	PhoneNumbers []MultiValuedAttribute `json:"phoneNumbers,omitempty"`

	// ims are the user's instant-messaging addresses.
	// +optional
	// +kubebuilder:validation:MaxItems=64
	IMs []MultiValuedAttribute `json:"ims,omitempty"`

	// photos are URLs of images of the user.
	// +optional
	// +kubebuilder:validation:MaxItems=64
	Photos []MultiValuedAttribute `json:"photos,omitempty"`

	// addresses are the user's physical mailing addresses.
	// +optional
	// +kubebuilder:validation:MaxItems=64
	Addresses []Address `json:"addresses,omitempty"`

	// entitlements are things the user is entitled to.
	// +optional
	// +kubebuilder:validation:MaxItems=256
	Entitlements []MultiValuedAttribute `json:"entitlements,omitempty"`

	// roles are the user's roles, for example "Student" or "Faculty".
	// +optional
	// +kubebuilder:validation:MaxItems=256
	Roles []MultiValuedAttribute `json:"roles,omitempty"`

	// x509Certificates are the user's certificates, each value a base64-encoded DER certificate.
	// +optional
	// +kubebuilder:validation:MaxItems=16
	X509Certificates []MultiValuedAttribute `json:"x509Certificates,omitempty"`

	// enterprise holds the enterprise User extension
	// (urn:ietf:params:scim:schemas:extension:enterprise:2.0:User).
	// +optional
	Enterprise *EnterpriseUser `json:"enterprise,omitempty"`

	// extensions holds any other extension schema the client sent, keyed by its URN (for example
	// urn:ietf:params:scim:schemas:extension:custom:2.0:User), kept as the client sent it.
	// +optional
	// +kubebuilder:validation:MaxProperties=32
	Extensions map[string]apiextensionsv1.JSON `json:"extensions,omitempty"`

	// passwordSecretRef names the Secret, in the same namespace and owned by this ScimUser, whose
	// "password" key holds the password the identity provider set. The password itself is never
	// stored in the ScimUser and never returned through SCIM.
	// +optional
	PasswordSecretRef *corev1.LocalObjectReference `json:"passwordSecretRef,omitempty"`
}

// ScimUserStatus is the observed state of a ScimUser.
type ScimUserStatus struct {
	ResourceStatus `json:",inline"`
}

// ScimUser is a user of one tenant (its namespace), provisioned by an identity provider
// through SCIM or declared with kubectl. Its name is its SCIM id.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=su,categories=scim
// +kubebuilder:printcolumn:name="Username",type=string,JSONPath=`.spec.userName`
// +kubebuilder:printcolumn:name="Display Name",type=string,JSONPath=`.spec.displayName`
// +kubebuilder:printcolumn:name="Active",type=boolean,JSONPath=`.spec.active`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="External ID",type=string,JSONPath=`.spec.externalId`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type ScimUser struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec ScimUserSpec `json:"spec"`
	// +optional
	Status ScimUserStatus `json:"status,omitempty"`

	// LastModifiedHint is when a client last changed the object, taken from its managedFields
	// by the operator's cache, which then drops them to save memory (resource.CacheTransform).
	// Never serialised: only the process that read the object knows it.
	LastModifiedHint metav1.Time `json:"-"`
}

// ScimUserList is a list of ScimUsers.
// +kubebuilder:object:root=true
type ScimUserList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ScimUser `json:"items"`
}

func init() {
	SchemeBuilder.Register(&ScimUser{}, &ScimUserList{})
}
