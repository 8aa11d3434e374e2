// Package resource converts between SCIM 2.0 JSON (RFC 7643) and the ScimUser and ScimGroup
// custom resources. It knows attribute names and shapes; it knows nothing of HTTP or Kubernetes
// clients.
package resource

// Schema URNs of RFC 7643 and RFC 7644.
const (
	UserSchema           = "urn:ietf:params:scim:schemas:core:2.0:User"
	GroupSchema          = "urn:ietf:params:scim:schemas:core:2.0:Group"
	EnterpriseUserSchema = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	ProvisioningSchema   = "urn:scim-operator.io:schemas:extension:provisioning:2.0"
	ListResponseSchema   = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	ErrorSchema          = "urn:ietf:params:scim:api:messages:2.0:Error"
)

// Resource type names, as in meta.resourceType and the endpoint paths.
const (
	UserResourceType  = "User"
	GroupResourceType = "Group"
)
