package tenant

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/client"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
)

const indexJWTIssuer = "scim.jwtIssuer"

func setupSettingsIndexes(ctx context.Context, indexer FieldIndexer) error {
	return indexer.IndexField(ctx, &scimv1.ScimTenant{}, indexJWTIssuer, func(o client.Object) []string {
		var issuers []string
		for _, j := range o.(*scimv1.ScimTenant).Spec.JWTIssuers {
			issuers = append(issuers, j.Issuer)
		}
		return issuers
	})
}

// Settings returns the settings of the tenant in namespace ns: the spec of its oldest
// ScimTenant, or the defaults (a zero spec) when it has none. The result is shared with the
// cache: read only.
func (a *Authenticator) Settings(ctx context.Context, ns string) (*scimv1.ScimTenantSpec, error) {
	var list scimv1.ScimTenantList
	// No read-your-writes wait (a per-request cost): the operator never writes ScimTenants.
	if err := a.reader.List(ctx, &list, client.InNamespace(ns), client.UnsafeDisableDeepCopy, client.DisableReadYourWritesConsistency); err != nil {
		return nil, err
	}
	if len(list.Items) == 0 {
		return &scimv1.ScimTenantSpec{}, nil
	}
	oldest := &list.Items[0]
	for i := range list.Items {
		if t := &list.Items[i]; t.CreationTimestamp.Before(&oldest.CreationTimestamp) ||
			t.CreationTimestamp.Equal(&oldest.CreationTimestamp) && t.Name < oldest.Name {
			oldest = t
		}
	}
	return &oldest.Spec, nil
}

// tenantsTrusting lists the ScimTenants, in any namespace, that trust tokens of issuer.
func (a *Authenticator) tenantsTrusting(ctx context.Context, issuer string) ([]scimv1.ScimTenant, error) {
	var list scimv1.ScimTenantList
	err := a.reader.List(ctx, &list, client.MatchingFields{indexJWTIssuer: issuer}, client.UnsafeDisableDeepCopy, client.DisableReadYourWritesConsistency)
	return list.Items, err
}
