package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ScimGroupSpec is a SCIM Group (RFC 7643 §4.2) without its members: a group of 100,000 members
// does not fit in one object, so members live in ScimGroupMemberShards (see docs/architecture.md).
type ScimGroupSpec struct {
	// displayName is the group's name, unique within its tenant (compared case-insensitively).
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	DisplayName string `json:"displayName"`

	// externalId is the identity provider's own identifier for the group.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	ExternalID string `json:"externalId,omitempty"`
}

// ScimGroupStatus is the observed state of a ScimGroup.
type ScimGroupStatus struct {
	ResourceStatus `json:",inline"`

	// memberCount is the number of members across all the group's ScimGroupMemberShards.
	// +optional
	MemberCount int32 `json:"memberCount,omitempty"`
}

// ScimGroup is a group of one tenant (its namespace). Its name is its SCIM id.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=sg,categories=scim
// +kubebuilder:printcolumn:name="Display Name",type=string,JSONPath=`.spec.displayName`
// +kubebuilder:printcolumn:name="Members",type=integer,JSONPath=`.status.memberCount`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="External ID",type=string,JSONPath=`.spec.externalId`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type ScimGroup struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec ScimGroupSpec `json:"spec"`
	// +optional
	Status ScimGroupStatus `json:"status,omitempty"`

	// LastModifiedHint is when a client last changed the object, taken from its managedFields
	// by the operator's cache, which then drops them to save memory (resource.CacheTransform).
	// Never serialised: only the process that read the object knows it.
	LastModifiedHint metav1.Time `json:"-"`
}

// ScimGroupList is a list of ScimGroups.
// +kubebuilder:object:root=true
type ScimGroupList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ScimGroup `json:"items"`
}

func init() {
	SchemeBuilder.Register(&ScimGroup{}, &ScimGroupList{})
}
