// Package v1alpha1 holds the custom resources of scim-operator: ScimUser, ScimGroup and
// ScimGroupMemberShard. Types only; the SCIM protocol lives in scimserver, reconciliation in
// controllers.
//
// +kubebuilder:object:generate=true
// +groupName=scim.scim-operator.io
package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

var (
	// GroupVersion is the API group and version of every scim-operator resource.
	GroupVersion = schema.GroupVersion{Group: "scim.scim-operator.io", Version: "v1alpha1"}

	// SchemeBuilder registers the types of this package with a runtime.Scheme.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}

	// AddToScheme adds the types of this package to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)
