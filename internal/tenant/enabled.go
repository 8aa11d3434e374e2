package tenant

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/client"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
)

// IsTenant reports whether namespace ns is a tenant: whether it has a ScimTenant. Creating one
// is the explicit act that switches a namespace's credential Secrets on, and it needs RBAC on
// ScimTenants, which Kubernetes' built-in namespace roles (admin, edit) do not grant. A Secret
// with the credential label in any other namespace authenticates nobody, so whoever may create
// Secrets somewhere cannot make a tenant of their own, nor make a token ambiguous (and so
// useless) by pasting a copy of it.
func (a *Authenticator) IsTenant(ctx context.Context, ns string) (bool, error) {
	var list scimv1.ScimTenantList
	// The cache, through its namespace index; no read-your-writes wait: the operator never
	// writes ScimTenants.
	if err := a.reader.List(ctx, &list, client.InNamespace(ns), client.UnsafeDisableDeepCopy); err != nil {
		return false, err
	}
	return len(list.Items) > 0, nil
}
