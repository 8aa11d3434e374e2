package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// SecretKeyRef names a key of a Secret in the app's namespace.
type SecretKeyRef struct {
	// name of the Secret, in the ScimApp's namespace.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
	// key in the Secret's data.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Key string `json:"key"`
}

// SCIMConnector provisions into an app that speaks SCIM 2.0.
// +kubebuilder:validation:XValidation:rule="!(has(self.bearerToken) && has(self.basicPassword))",message="use bearerToken or basic authentication, not both"
// +kubebuilder:validation:XValidation:rule="isURL(self.url) && url(self.url).getScheme() in ['https', 'http'] && size(url(self.url).getHostname()) > 0",message="url must be an absolute https:// (or, with insecure, http://) URL with a host"
// +kubebuilder:validation:XValidation:rule="!self.url.startsWith('http://') || (has(self.insecure) && self.insecure)",message="an http:// url sends the bearer token and every user in clear text: use https://, or set insecure: true"
type SCIMConnector struct {
	// url is the app's SCIM base URL, for example https://app.example.com/scim/v2. http://
	// needs insecure: true.
	// +required
	// +kubebuilder:validation:Pattern=`^https?://`
	// +kubebuilder:validation:MaxLength=2048
	URL string `json:"url"`
	// insecure allows an http:// url: credentials and users then travel in clear text. The
	// ScimApp reports it in its InsecureTransport condition. For tests and for apps reached
	// only through a trusted network (a sidecar, a service mesh that encrypts).
	// +optional
	Insecure bool `json:"insecure,omitempty"`
	// bearerToken authenticates with "Authorization: Bearer <token>".
	// +optional
	BearerToken *SecretKeyRef `json:"bearerToken,omitempty"`
	// basicUsername and basicPassword authenticate with HTTP Basic.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	BasicUsername string `json:"basicUsername,omitempty"`
	// +optional
	BasicPassword *SecretKeyRef `json:"basicPassword,omitempty"`
	// updateMethod is how users and groups are changed: PATCH (the default) or PUT.
	// +optional
	// +kubebuilder:validation:Enum=PATCH;PUT
	UpdateMethod string `json:"updateMethod,omitempty"`
}

// PostgresConnector provisions users as LOGIN roles and groups as NOLOGIN roles.
type PostgresConnector struct {
	// host of the PostgreSQL server.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Host string `json:"host"`
	// port of the PostgreSQL server; 5432 when omitted.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	Port int32 `json:"port,omitempty"`
	// database to connect to; "postgres" when omitted.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	Database string `json:"database,omitempty"`
	// sslMode as libpq understands it: verify-full (the default) verifies the server's
	// certificate against the system's roots and its host name; verify-ca skips the host
	// name, require encrypts without verifying (a man in the middle can read the operator's
	// login), disable does not encrypt (for a server on the same host or in tests).
	// +optional
	// +kubebuilder:default=verify-full
	// +kubebuilder:validation:Enum=disable;require;verify-ca;verify-full
	SSLMode string `json:"sslMode,omitempty"`
	// username the operator connects as; it needs CREATEROLE.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Username string `json:"username"`
	// password of that user.
	// +required
	Password SecretKeyRef `json:"password"`
}

// LDAPConnector provisions users as inetOrgPerson entries and groups as groupOfNames.
// +kubebuilder:validation:XValidation:rule="isURL(self.url) && url(self.url).getScheme() in ['ldaps', 'ldap'] && size(url(self.url).getHostname()) > 0",message="url must be an absolute ldaps:// or ldap:// URL with a host"
// +kubebuilder:validation:XValidation:rule="!self.url.startsWith('ldap://') || (has(self.startTLS) && self.startTLS) || (has(self.insecure) && self.insecure)",message="an ldap:// url without startTLS sends the bind password and users' passwords in clear text: use ldaps://, set startTLS: true, or set insecure: true"
// +kubebuilder:validation:XValidation:rule="!(has(self.startTLS) && self.startTLS) || self.url.startsWith('ldap://')",message="startTLS applies to ldap:// urls; ldaps:// is encrypted from the start"
type LDAPConnector struct {
	// url of the directory: ldaps://, or ldap:// with startTLS (or insecure).
	// +required
	// +kubebuilder:validation:Pattern=`^ldaps?://`
	// +kubebuilder:validation:MaxLength=2048
	URL string `json:"url"`
	// startTLS upgrades an ldap:// connection to TLS (StartTLS, RFC 4513) before binding; the
	// server's certificate is verified against the system's roots and the url's host name.
	// +optional
	StartTLS bool `json:"startTLS,omitempty"`
	// insecure allows an ldap:// url without startTLS: the bind password and users' passwords
	// then travel in clear text. The ScimApp reports it in its InsecureTransport condition.
	// For tests and for a directory on the same host.
	// +optional
	Insecure bool `json:"insecure,omitempty"`
	// bindDN the operator binds as.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	BindDN string `json:"bindDN"`
	// bindPassword of that DN.
	// +required
	BindPassword SecretKeyRef `json:"bindPassword"`
	// usersDN is the entry under which users are created (as uid=<userName>).
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	UsersDN string `json:"usersDN"`
	// groupsDN is the entry under which groups are created (as cn=<displayName>).
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	GroupsDN string `json:"groupsDN,omitempty"`
}

// WebhookConnector calls an HTTP API with JSON bodies built from templates, for custom apps
// without SCIM.
// +kubebuilder:validation:XValidation:rule="isURL(self.url) && url(self.url).getScheme() in ['https', 'http'] && size(url(self.url).getHostname()) > 0",message="url must be an absolute https:// (or, with insecure, http://) URL with a host"
// +kubebuilder:validation:XValidation:rule="!self.url.startsWith('http://') || (has(self.insecure) && self.insecure)",message="an http:// url sends the bearer token and every user in clear text: use https://, or set insecure: true"
type WebhookConnector struct {
	// url is the base URL; each template's path is appended to it. http:// needs insecure: true.
	// +required
	// +kubebuilder:validation:Pattern=`^https?://`
	// +kubebuilder:validation:MaxLength=2048
	URL string `json:"url"`
	// insecure allows an http:// url: the bearer token and users then travel in clear text.
	// The ScimApp reports it in its InsecureTransport condition.
	// +optional
	Insecure bool `json:"insecure,omitempty"`
	// bearerToken, when set, is sent as "Authorization: Bearer <token>".
	// +optional
	BearerToken *SecretKeyRef `json:"bearerToken,omitempty"`
	// create, update, disable and delete describe the request of each event. Their bodies are
	// Go text/template JSON over the user (.UserName, .ExternalID, .DisplayName, .Email,
	// .Active, .Attributes).
	// +required
	Create WebhookRequest `json:"create"`
	// +optional
	Update *WebhookRequest `json:"update,omitempty"`
	// +optional
	Disable *WebhookRequest `json:"disable,omitempty"`
	// +optional
	Delete *WebhookRequest `json:"delete,omitempty"`
	// get, when set, is how an account is looked up by userName; 404 means absent.
	// +optional
	Get *WebhookRequest `json:"get,omitempty"`
}

// WebhookRequest is one templated HTTP request.
type WebhookRequest struct {
	// method, POST when omitted.
	// +optional
	// +kubebuilder:validation:Enum=GET;POST;PUT;PATCH;DELETE
	Method string `json:"method,omitempty"`
	// path appended to the connector URL; a template too (for example /users/{{.UserName}}).
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	Path string `json:"path,omitempty"`
	// body is a template producing the JSON body.
	// +optional
	// +kubebuilder:validation:MaxLength=16384
	Body string `json:"body,omitempty"`
}

// Connectors holds exactly one connector.
// +kubebuilder:validation:XValidation:rule="(has(self.scim) ? 1 : 0) + (has(self.postgres) ? 1 : 0) + (has(self.ldap) ? 1 : 0) + (has(self.webhook) ? 1 : 0) == 1",message="exactly one connector must be set"
type Connectors struct {
	// +optional
	SCIM *SCIMConnector `json:"scim,omitempty"`
	// +optional
	Postgres *PostgresConnector `json:"postgres,omitempty"`
	// +optional
	LDAP *LDAPConnector `json:"ldap,omitempty"`
	// +optional
	Webhook *WebhookConnector `json:"webhook,omitempty"`
}

// Name returns the name of the connector that is set.
func (c *Connectors) Name() string {
	switch {
	case c.SCIM != nil:
		return "scim"
	case c.Postgres != nil:
		return "postgres"
	case c.LDAP != nil:
		return "ldap"
	case c.Webhook != nil:
		return "webhook"
	}
	return ""
}

// Assignment chooses the users an app receives.
// +kubebuilder:validation:XValidation:rule="(has(self.all) && self.all ? 1 : 0) + (has(self.groups) ? 1 : 0) + (has(self.selector) ? 1 : 0) <= 1",message="use one of all, groups or selector"
type Assignment struct {
	// all assigns every user of the tenant.
	// +optional
	All bool `json:"all,omitempty"`
	// groups assigns the members of these ScimGroups (by displayName).
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=64
	Groups []string `json:"groups,omitempty"`
	// selector assigns the ScimUsers whose labels match.
	// +optional
	Selector *metav1.LabelSelector `json:"selector,omitempty"`
}

// Lifecycle says what happens in the app when a user is deactivated or deleted.
// +kubebuilder:validation:Enum=Disable;Delete
type Lifecycle string

// Lifecycle actions.
const (
	LifecycleDisable Lifecycle = "Disable"
	LifecycleDelete  Lifecycle = "Delete"
)

// ScimAppSpec describes a downstream app and what it receives.
type ScimAppSpec struct {
	// connector says how to reach the app; exactly one is set.
	// +required
	Connector Connectors `json:"connector"`

	// assignment chooses the users the app receives; all users when empty.
	// +optional
	Assignment Assignment `json:"assignment,omitempty"`

	// attributeMapping maps app fields to SCIM attribute paths (for example
	// "mail": "emails[primary eq true].value"); connectors have defaults.
	// +optional
	// +kubebuilder:validation:MaxProperties=64
	AttributeMapping map[string]string `json:"attributeMapping,omitempty"`

	// onDeactivate is what a user set inactive becomes in the app: Disable (the default) or Delete.
	// +optional
	// +kubebuilder:default=Disable
	OnDeactivate Lifecycle `json:"onDeactivate,omitempty"`

	// onDelete is what a deleted user becomes in the app: Delete (the default) or Disable.
	// +optional
	// +kubebuilder:default=Delete
	OnDelete Lifecycle `json:"onDelete,omitempty"`

	// adoptExisting takes over accounts that exist in the app under a user's userName (or a
	// group's displayName) but that no ScimApp manages: made by hand, by another tool, or
	// labelled by an older scim-operator that did not name the app. They are then changed and
	// deleted like accounts this app created. Accounts another ScimApp manages are never
	// taken over, except those of an earlier ScimApp of the same name in this namespace (one
	// deleted and created again). Connectors without labels (scim, webhook) ignore it. Off
	// by default: such accounts are reported and left alone.
	// +optional
	AdoptExisting bool `json:"adoptExisting,omitempty"`

	// provisionGroups also creates the tenant's groups (those with assigned members) and their
	// memberships in the app.
	// +optional
	ProvisionGroups bool `json:"provisionGroups,omitempty"`

	// waitForOutcome makes SCIM writes of users this app receives wait, up to this long, for
	// the app's outcome: the response then reports success, or the app's error as 502 (see
	// docs/connectors.md). Omitted or zero: answer at once; the outcome appears later in the
	// provisioning extension. At most 30s.
	// +optional
	WaitForOutcome *metav1.Duration `json:"waitForOutcome,omitempty"`

	// resyncPeriod is how often every account is compared with the app, repairing changes made
	// there; 10m when omitted.
	// +optional
	ResyncPeriod *metav1.Duration `json:"resyncPeriod,omitempty"`
}

// ConditionInsecureTransport is True on a ScimApp whose connector sends credentials and users
// unencrypted or to an unverified server (an http:// or ldap:// url with insecure: true, a
// PostgreSQL sslMode of disable or require); its message says which setting.
const ConditionInsecureTransport = "InsecureTransport"

// ScimAppStatus is the observed state of a ScimApp.
type ScimAppStatus struct {
	// observedGeneration is the generation this status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// connector is the name of the connector in use: scim, postgres, ldap or webhook.
	// +optional
	Connector string `json:"connector,omitempty"`
	// conditions: Ready once the connection and credentials are checked.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// provisioned counts the accounts in the app that match their resource. Counts follow the
	// users' results within seconds.
	// +optional
	// +kubebuilder:default=0
	Provisioned int32 `json:"provisioned"`
	// failed counts the resources whose last provisioning failed.
	// +optional
	// +kubebuilder:default=0
	Failed int32 `json:"failed"`
	// lastFullSync is when every account was last compared with the app.
	// +optional
	LastFullSync *metav1.Time `json:"lastFullSync,omitempty"`
}

// ScimApp is a downstream app of the tenant of its namespace: the operator provisions the
// tenant's users (and optionally groups) into it.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=sa,categories=scim
// +kubebuilder:printcolumn:name="Connector",type=string,JSONPath=`.status.connector`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Accounts",type=integer,JSONPath=`.status.provisioned`
// +kubebuilder:printcolumn:name="Failed",type=integer,JSONPath=`.status.failed`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type ScimApp struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec ScimAppSpec `json:"spec"`
	// +optional
	Status ScimAppStatus `json:"status,omitempty"`
}

// ScimAppList is a list of ScimApps.
// +kubebuilder:object:root=true
type ScimAppList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ScimApp `json:"items"`
}

func init() {
	SchemeBuilder.Register(&ScimApp{}, &ScimAppList{})
}
