package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// JWTIssuer trusts access tokens that an identity provider issues itself (for example
// Microsoft Entra ID), verified against the provider's published keys. Each (issuer, audience)
// pair belongs to one ScimTenant in the cluster: the one that declared it first; a later
// ScimTenant declaring it is ignored for that pair and says so in its Ready condition.
type JWTIssuer struct {
	// issuer is the exact "iss" claim of the provider's tokens, for example
	// https://sts.windows.net/<tenant-id>/.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	Issuer string `json:"issuer"`

	// audiences lists accepted "aud" values; a token must carry at least one. Use an audience
	// of your own application (for Entra, the Application ID URI or client id of the app
	// registration of this SCIM endpoint), never one shared with other tenants.
	// +required
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=16
	// +listType=set
	Audiences []string `json:"audiences"`

	// jwksURL is where the provider publishes its signing keys (a JSON Web Key Set). It must be
	// an https URL without user information: over plain HTTP anyone on the path could
	// substitute keys. Plain HTTP is allowed only with the host 127.0.0.1, ::1 or localhost,
	// for tests. The operator never follows a redirect to another scheme or host, nor connects
	// to a link-local or cloud metadata address.
	// +required
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="isURL(self) && (url(self).getScheme() == 'https' || (url(self).getScheme() == 'http' && url(self).getHostname() in ['127.0.0.1', '::1', 'localhost']))",message="jwksURL must be an https URL (plain http only with the host 127.0.0.1, ::1 or localhost)"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^[^:/?#]+://[^/?#]*@')",message="jwksURL must not carry user information"
	JWKSURL string `json:"jwksURL"`

	// allowedClientIDs, when set, lists the client applications whose tokens are accepted:
	// the token's azp, appid or client_id claim must name one of them (for Entra's
	// provisioning service, the application id of its enterprise application). Other tokens
	// get 401. When omitted, any application the provider issues tokens of this audience to
	// gets in.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=256
	AllowedClientIDs []string `json:"allowedClientIDs,omitempty"`

	// requiredRoles, when set, lists app roles a token must all carry in its "roles" claim.
	// A valid token without them gets 403 (insufficient_scope).
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=256
	RequiredRoles []string `json:"requiredRoles,omitempty"`
}

// RateLimit bounds how fast, and how many at once, a tenant's clients may call the SCIM API.
// A field left out takes the operator's default (--tenant-requests-per-second,
// --tenant-burst, --tenant-max-in-flight); 0 turns that limit off for the tenant.
type RateLimit struct {
	// requestsPerSecond is the sustained rate; requests over it get 429 with Retry-After.
	// The operator's default (100) when omitted; 0 turns the rate limit off.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100000
	RequestsPerSecond *int32 `json:"requestsPerSecond,omitempty"`

	// burst is how many requests may arrive at once: requestsPerSecond when that is set and
	// this is omitted, the operator's default (200) when both are omitted.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100000
	Burst int32 `json:"burst,omitempty"`

	// maxInFlight is how many of the tenant's requests are served at once; one more gets 429
	// with Retry-After. The operator's default (32) when omitted; 0 turns it off.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100000
	MaxInFlight *int32 `json:"maxInFlight,omitempty"`
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

	// rateLimit bounds the tenant's request rate and its requests in flight; the operator's
	// defaults apply when omitted (see RateLimit).
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

// Reasons of a ScimTenant's Ready condition.
const (
	// ReasonSuperseded: an older ScimTenant of the namespace applies; this one is ignored.
	ReasonSuperseded = "Superseded"
	// ReasonIssuerClaimedByOtherTenant: another tenant's ScimTenant declared one of this one's
	// (issuer, audience) pairs first; that pair is ignored here.
	ReasonIssuerClaimedByOtherTenant = "IssuerClaimedByOtherTenant"
	// ReasonInvalidJWKSURL: a JWKS URL stored before the CRD refused it cannot be fetched.
	ReasonInvalidJWKSURL = "InvalidJWKSURL"
)

// ScimTenantStatus is the observed state of a ScimTenant.
type ScimTenantStatus struct {
	// observedGeneration is the generation of the spec that this status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// conditions describe the ScimTenant: Ready is False when it, or one of its token
	// issuers, is ignored, and says why.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +patchStrategy=merge
	// +patchMergeKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type"`
}

// ScimTenant makes its namespace a tenant and configures it: accepted extensions, page sizes,
// rate and concurrency limits and trusted token issuers. Credential Secrets of a namespace
// without a ScimTenant authenticate nobody; an empty spec means the defaults. Only one
// ScimTenant per namespace is honoured: the oldest.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=st,categories=scim
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`,priority=1
// +kubebuilder:printcolumn:name="Max Page",type=integer,JSONPath=`.spec.maxPageSize`
// +kubebuilder:printcolumn:name="Rate",type=integer,JSONPath=`.spec.rateLimit.requestsPerSecond`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type ScimTenant struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +optional
	Spec ScimTenantSpec `json:"spec,omitempty"`

	// +optional
	Status ScimTenantStatus `json:"status,omitempty"`
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
