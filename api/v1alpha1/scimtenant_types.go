package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// JWTIssuer trusts access tokens that an identity provider issues itself (for example
// Microsoft Entra ID), verified against the provider's published keys.
type JWTIssuer struct {
	// issuer is the exact "iss" claim of the provider's tokens, for example
	// https://sts.windows.net/<tenant-id>/.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	Issuer string `json:"issuer"`

	// audiences lists accepted "aud" values; a token must carry at least one.
	// +required
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=16
	// +listType=set
	Audiences []string `json:"audiences"`

	// jwksURL is where the provider publishes its signing keys (a JSON Web Key Set). It must be
	// HTTPS: over plain HTTP anyone on the path could substitute keys. Plain HTTP is allowed on
	// loopback only, for tests.
	// +required
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="self.startsWith('https://') || self.startsWith('http://127.0.0.1') || self.startsWith('http://localhost')",message="jwksURL must be https (plain http only on loopback)"
	JWKSURL string `json:"jwksURL"`
}

// RateLimit bounds how fast a tenant's clients may call the SCIM API.
type RateLimit struct {
	// requestsPerSecond is the sustained rate; requests over it get 429 with Retry-After.
	// +required
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100000
	RequestsPerSecond int32 `json:"requestsPerSecond"`

	// burst is how many requests may arrive at once; requestsPerSecond when omitted.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100000
	Burst int32 `json:"burst,omitempty"`
}

// InputPolicy says what happens to input the server does not understand.
// +kubebuilder:validation:Enum=Reject;Ignore
type InputPolicy string

// Input policies.
const (
	InputReject InputPolicy = "Reject"
	InputIgnore InputPolicy = "Ignore"
)

// PatchResponse says how a successful PATCH of a user is answered.
// +kubebuilder:validation:Enum=Auto;NoContent;Representation
type PatchResponse string

// PATCH responses.
const (
	PatchResponseAuto           PatchResponse = "Auto"
	PatchResponseNoContent      PatchResponse = "NoContent"
	PatchResponseRepresentation PatchResponse = "Representation"
)

// ScimTenantSpec holds the settings of the tenant whose namespace holds this object.
// Credentials are not here: they are Secrets of the namespace, labelled
// scim.scim-operator.io/credential (see docs/authentication.md).
// +kubebuilder:validation:XValidation:rule="!has(self.defaultPageSize) || !has(self.maxPageSize) || self.defaultPageSize <= self.maxPageSize",message="defaultPageSize must not exceed maxPageSize"
type ScimTenantSpec struct {
	// extensionSchemas lists the client-defined User extension schemas (URNs) the tenant
	// accepts, besides the enterprise extension, which is always accepted. When omitted, any
	// extension is accepted and stored as sent; when set, a request carrying another one is
	// refused with 400 invalidValue.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:Pattern=`^urn:`
	// +kubebuilder:validation:items:MaxLength=1024
	ExtensionSchemas []string `json:"extensionSchemas,omitempty"`

	// defaultPageSize is the page size of a query without "count".
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=10000
	DefaultPageSize *int32 `json:"defaultPageSize,omitempty"`

	// maxPageSize is the largest page a query may ask for; a larger "count" is lowered to it.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=10000
	MaxPageSize *int32 `json:"maxPageSize,omitempty"`

	// rateLimit bounds the tenant's request rate; unlimited when omitted.
	// +optional
	RateLimit *RateLimit `json:"rateLimit,omitempty"`

	// jwtIssuers lists identity providers whose own access tokens are accepted.
	// +optional
	// +kubebuilder:validation:MaxItems=8
	// +listType=atomic
	JWTIssuers []JWTIssuer `json:"jwtIssuers,omitempty"`

	// unknownInput says what happens to attributes no schema defines and to group members
	// that name no user or group of the tenant: Reject answers 400 (the default); Ignore drops
	// them, never storing them, as Microsoft's reference implementation does.
	// +optional
	UnknownInput InputPolicy `json:"unknownInput,omitempty"`

	// userPatchResponse says how a successful PATCH of a user is answered: NoContent (204),
	// Representation (200 with the user), or Auto (the default): Representation for Okta's
	// client, whose documentation expects the user back, and NoContent for the others. A
	// request with attributes or excludedAttributes always gets the representation (RFC 7644
	// §3.5.2). Group PATCH always answers 204.
	// +optional
	UserPatchResponse PatchResponse `json:"userPatchResponse,omitempty"`
}

// ScimTenant makes its namespace a tenant and configures it: accepted extensions, page sizes,
// rate limit and trusted token issuers. Credential Secrets of a namespace without a ScimTenant
// authenticate nobody; an empty spec means the defaults. Only one ScimTenant per namespace is
// honoured: the oldest.
// +kubebuilder:object:root=true
// +kubebuilder:resource:shortName=st,categories=scim
// +kubebuilder:printcolumn:name="Max Page",type=integer,JSONPath=`.spec.maxPageSize`
// +kubebuilder:printcolumn:name="Rate",type=integer,JSONPath=`.spec.rateLimit.requestsPerSecond`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type ScimTenant struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +optional
	Spec ScimTenantSpec `json:"spec,omitempty"`
}

// ScimTenantList is a list of ScimTenants.
// +kubebuilder:object:root=true
type ScimTenantList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ScimTenant `json:"items"`
}

func init() {
	SchemeBuilder.Register(&ScimTenant{}, &ScimTenantList{})
}
