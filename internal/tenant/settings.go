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
	oldest, err := applying(ctx, a.reader, ns)
	if err != nil {
		return nil, err
	}
	if oldest == nil {
		return &scimv1.ScimTenantSpec{}, nil
	}
	return &oldest.Spec, nil
}
