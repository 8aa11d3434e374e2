package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ClaimKind says which unique attribute a ScimNameClaim holds.
// +kubebuilder:validation:Enum=UserName;GroupDisplayName
type ClaimKind string

// Claim kinds.
const (
	ClaimUserName         ClaimKind = "UserName"
	ClaimGroupDisplayName ClaimKind = "GroupDisplayName"
)

// ScimNameClaimSpec names the resource holding a unique value.
type ScimNameClaimSpec struct {
	// kind is the attribute claimed: a user's userName or a group's displayName.
	// +required
	Kind ClaimKind `json:"kind"`

	// value is the claimed value as the client wrote it (the object name is a hash of its
	// lower-cased form).
	// +required
	// +kubebuilder:validation:MaxLength=1024
	Value string `json:"value"`

	// holder is the name (SCIM id) of the ScimUser or ScimGroup that holds the value.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Holder string `json:"holder"`
}

// ScimNameClaim reserves a userName or group displayName in a tenant. Its name is derived from
// the lower-cased value, so the API server itself refuses a second claim of the same value:
// uniqueness holds across concurrent requests and across server replicas. The SCIM server
// creates and deletes claims; nobody else needs to.
// +kubebuilder:object:root=true
// +kubebuilder:resource:shortName=snc
// +kubebuilder:printcolumn:name="Kind",type=string,JSONPath=`.spec.kind`
// +kubebuilder:printcolumn:name="Value",type=string,JSONPath=`.spec.value`
// +kubebuilder:printcolumn:name="Holder",type=string,JSONPath=`.spec.holder`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type ScimNameClaim struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec ScimNameClaimSpec `json:"spec"`
}

// ScimNameClaimList is a list of ScimNameClaims.
// +kubebuilder:object:root=true
type ScimNameClaimList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ScimNameClaim `json:"items"`
}

func init() {
	SchemeBuilder.Register(&ScimNameClaim{}, &ScimNameClaimList{})
}
