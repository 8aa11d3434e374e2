package tenant

import (
	"context"
	"slices"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
)

// An (issuer, audience) pair identifies the tokens an identity provider issues for one
// application; it belongs to one tenant only. Otherwise anyone who may create a ScimTenant in
// their own namespace could declare another tenant's pair and have that tenant's tokens
// accepted in both (or, as before, in neither). The pair goes to the ScimTenant that declared
// it first; the later ones are ignored and say so in their status (controllers). Only a
// ScimTenant whose settings apply (the oldest of its namespace) declares anything.

// IssuerConflict is a pair a ScimTenant declares that belongs to another, older one.
type IssuerConflict struct {
	Issuer, Audience string
	// Owner is the ScimTenant the pair belongs to.
	Owner types.NamespacedName
}

// JWTTrust is what became of a ScimTenant's jwtIssuers.
type JWTTrust struct {
	// SupersededBy names the older ScimTenant of the namespace whose settings apply instead;
	// empty when this one applies.
	SupersededBy string
	// Conflicts are the pairs that belong to other tenants, ignored here.
	Conflicts []IssuerConflict
}

// trustedPair is the ScimTenant a pair belongs to and its declaration.
type trustedPair struct {
	tenant *scimv1.ScimTenant
	issuer *scimv1.JWTIssuer
}

// claimsFirst orders ScimTenants by who declared first: creation time, then namespace and
// name, so that every replica picks the same owner.
func claimsFirst(a, b *scimv1.ScimTenant) bool {
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		return a.CreationTimestamp.Before(&b.CreationTimestamp)
	}
	if a.Namespace != b.Namespace {
		return a.Namespace < b.Namespace
	}
	return a.Name < b.Name
}

// oldestOf is the ScimTenant whose settings apply among those of one namespace.
func oldestOf(items []scimv1.ScimTenant) *scimv1.ScimTenant {
	var oldest *scimv1.ScimTenant
	for i := range items {
		if t := &items[i]; oldest == nil || claimsFirst(t, oldest) {
			oldest = t
		}
	}
	return oldest
}

// applying returns the ScimTenant whose settings apply in ns, or nil when it has none.
func applying(ctx context.Context, r client.Reader, ns string) (*scimv1.ScimTenant, error) {
	var list scimv1.ScimTenantList
	// No read-your-writes wait (a per-request cost): the operator writes only ScimTenants' status.
	if err := r.List(ctx, &list, client.InNamespace(ns), client.UnsafeDisableDeepCopy); err != nil {
		return nil, err
	}
	return oldestOf(list.Items), nil
}

// pairOwners returns, for each audience of issuer, the pair's owner among the ScimTenants
// whose settings apply.
func pairOwners(ctx context.Context, r client.Reader, issuer string) (map[string]trustedPair, error) {
	var list scimv1.ScimTenantList
	err := r.List(ctx, &list, client.MatchingFields{indexJWTIssuer: issuer}, client.UnsafeDisableDeepCopy)
	if err != nil {
		return nil, err
	}
	owners := map[string]trustedPair{}
	for i := range list.Items {
		t := &list.Items[i]
		if oldest, err := applying(ctx, r, t.Namespace); err != nil {
			return nil, err
		} else if oldest == nil || oldest.UID != t.UID {
			continue
		}
		for j := range t.Spec.JWTIssuers {
			declared := &t.Spec.JWTIssuers[j]
			if declared.Issuer != issuer {
				continue
			}
			for _, aud := range declared.Audiences {
				if o, taken := owners[aud]; !taken || claimsFirst(t, o.tenant) {
					owners[aud] = trustedPair{tenant: t, issuer: declared}
				}
			}
		}
	}
	return owners, nil
}

// CheckJWTTrust reports what became of the jwtIssuers of st, reading through r (a cache with
// the indexes of SetupIndexes).
func CheckJWTTrust(ctx context.Context, r client.Reader, st *scimv1.ScimTenant) (JWTTrust, error) {
	var trust JWTTrust
	oldest, err := applying(ctx, r, st.Namespace)
	if err != nil {
		return trust, err
	}
	if oldest != nil && oldest.UID != st.UID {
		trust.SupersededBy = oldest.Name
		return trust, nil
	}
	var issuers []string
	for _, declared := range st.Spec.JWTIssuers {
		if !slices.Contains(issuers, declared.Issuer) {
			issuers = append(issuers, declared.Issuer)
		}
	}
	for _, issuer := range issuers {
		owners, err := pairOwners(ctx, r, issuer)
		if err != nil {
			return trust, err
		}
		for _, declared := range st.Spec.JWTIssuers {
			if declared.Issuer != issuer {
				continue
			}
			for _, aud := range declared.Audiences {
				if o, ok := owners[aud]; ok && o.tenant.UID != st.UID {
					trust.Conflicts = append(trust.Conflicts, IssuerConflict{Issuer: issuer, Audience: aud, Owner: client.ObjectKeyFromObject(o.tenant)})
				}
			}
		}
	}
	return trust, nil
}

// RelatedTenants returns the ScimTenants whose JWTTrust may change when st changes: those of
// its namespace and those declaring one of its issuers.
func RelatedTenants(ctx context.Context, r client.Reader, st *scimv1.ScimTenant) ([]types.NamespacedName, error) {
	var out []types.NamespacedName
	seen := map[types.NamespacedName]bool{client.ObjectKeyFromObject(st): true}
	add := func(list *scimv1.ScimTenantList) {
		for i := range list.Items {
			if k := client.ObjectKeyFromObject(&list.Items[i]); !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	var same scimv1.ScimTenantList
	if err := r.List(ctx, &same, client.InNamespace(st.Namespace)); err != nil {
		return nil, err
	}
	add(&same)
	for _, declared := range st.Spec.JWTIssuers {
		var sharing scimv1.ScimTenantList
		if err := r.List(ctx, &sharing, client.MatchingFields{indexJWTIssuer: declared.Issuer}); err != nil {
			return nil, err
		}
		add(&sharing)
	}
	return out, nil
}
