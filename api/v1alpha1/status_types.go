package v1alpha1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// Condition types and reasons shared by ScimUser and ScimGroup.
const (
	// ConditionReady is True when the resource is valid, unique in its tenant and provisioned
	// in every app that should receive it.
	ConditionReady = "Ready"
	// ConditionReconciling is True while the operator is still bringing apps in line.
	ConditionReconciling = "Reconciling"
	// ConditionStalled is True when retrying cannot help until someone changes the
	// configuration (for example an app's credentials are refused).
	ConditionStalled = "Stalled"

	// ReasonAccepted: the resource is valid and unique; no app has reported a failure.
	ReasonAccepted = "Accepted"
	// ReasonDuplicate: another resource of the tenant already holds the same userName (users)
	// or displayName (groups), compared case-insensitively. Only the oldest one is served.
	ReasonDuplicate = "Duplicate"
)

// ProvisioningState is the outcome of provisioning one resource into one app.
// +kubebuilder:validation:Enum=Pending;Provisioned;Disabled;Deprovisioned;Failed
type ProvisioningState string

// Provisioning states.
const (
	ProvisioningPending       ProvisioningState = "Pending"
	ProvisioningProvisioned   ProvisioningState = "Provisioned"
	ProvisioningDisabled      ProvisioningState = "Disabled"
	ProvisioningDeprovisioned ProvisioningState = "Deprovisioned"
	ProvisioningFailed        ProvisioningState = "Failed"
)

// AppProvisioningStatus is the result of provisioning one user or group into one downstream app.
type AppProvisioningStatus struct {
	// name of the app (the ScimApp) this result belongs to.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`

	// state of the account in the app.
	// +required
	State ProvisioningState `json:"state"`

	// accountKey is the userName (groups: displayName) the account was last provisioned under:
	// when it changes, the account is renamed in the app rather than a second one created.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	AccountKey string `json:"accountKey,omitempty"`

	// externalID is the account's identifier in the app (a downstream SCIM id, a role name, a DN).
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	ExternalID string `json:"externalID,omitempty"`

	// message explains the state, for example the downstream error of a failure.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	Message string `json:"message,omitempty"`

	// lastSyncTime is when the app was last brought in line with this resource.
	// +optional
	LastSyncTime *metav1.Time `json:"lastSyncTime,omitempty"`

	// observedGeneration is the generation of the resource this result is for.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// passwordChanged is the password change (the user's password-changed annotation) last
	// pushed to the app.
	// +optional
	PasswordChanged string `json:"passwordChanged,omitempty"`

	// failureCount counts consecutive failed attempts; it resets on success.
	// +optional
	// +kubebuilder:validation:Minimum=0
	FailureCount int32 `json:"failureCount,omitempty"`
}

// ResourceStatus is the observed state common to ScimUser and ScimGroup.
type ResourceStatus struct {
	// observedGeneration is the generation of the spec that this status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// conditions describe the resource; Ready summarises them.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +patchStrategy=merge
	// +patchMergeKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type"`

	// apps holds one provisioning result per downstream app, keyed by app name.
	// +optional
	// +listType=map
	// +listMapKey=name
	Apps []AppProvisioningStatus `json:"apps,omitempty"`
}
