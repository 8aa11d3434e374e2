package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// MemberType says what a group member is.
// +kubebuilder:validation:Enum=User;Group
type MemberType string

// Member types.
const (
	MemberTypeUser  MemberType = "User"
	MemberTypeGroup MemberType = "Group"
)

// GroupMember is one member of a ScimGroup.
type GroupMember struct {
	// value is the SCIM id (the object name) of the member ScimUser or ScimGroup.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Value string `json:"value"`

	// type is User or Group; User when omitted.
	// +optional
	Type MemberType `json:"type,omitempty"`

	// display is the member's display name as the client sent it.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Display string `json:"display,omitempty"`
}

// ScimGroupMemberShardSpec lists some of the members of one group.
type ScimGroupMemberShardSpec struct {
	// group is the name of the ScimGroup, in the same namespace, these members belong to.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="group is immutable"
	Group string `json:"group"`

	// members of the group held by this shard. The list is atomic: a write replaces it whole, and
	// server-side apply records one owner for the list, not one per member. The SCIM server
	// writes each value once; the API server does not check it, and readers count a repeated
	// value once.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=10000
	Members []GroupMember `json:"members,omitempty"`
}

// ScimGroupMemberShard holds part of a ScimGroup's member list. A group's members are the union
// of every shard that names it. The SCIM server spreads members over a fixed number of shards by
// a hash of the member id, so no object grows past etcd's size limit and concurrent membership
// changes rarely touch the same object. Administrators may also write shards by hand.
// +kubebuilder:object:root=true
// +kubebuilder:resource:shortName=sgms
// +kubebuilder:printcolumn:name="Group",type=string,JSONPath=`.spec.group`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type ScimGroupMemberShard struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec ScimGroupMemberShardSpec `json:"spec"`

	// LastModifiedHint is when a client last changed the object, taken from its managedFields
	// by the operator's cache, which then drops them to save memory (resource.CacheTransform).
	// Never serialised: only the process that read the object knows it.
	LastModifiedHint metav1.Time `json:"-"`
}

// ScimGroupMemberShardList is a list of ScimGroupMemberShards.
// +kubebuilder:object:root=true
type ScimGroupMemberShardList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ScimGroupMemberShard `json:"items"`
}

func init() {
	SchemeBuilder.Register(&ScimGroupMemberShard{}, &ScimGroupMemberShardList{})
}
