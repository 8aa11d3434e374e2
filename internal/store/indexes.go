// Package store keeps SCIM resources as custom resources: reads come from the informer cache
// through indexes, writes go to the API server. It hides how group members are sharded.
package store

import (
	"context"
	"fmt"
	"strings"

	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
)

// Cache index names. Each is scoped to a namespace by controller-runtime.
const (
	// IndexUserName indexes ScimUsers by lower-cased userName (userName is case-insensitive).
	IndexUserName = "scim.userName"
	// IndexUserExternalID indexes ScimUsers by externalId (case-exact).
	IndexUserExternalID = "scim.user.externalId"
	// IndexUserEmail indexes ScimUsers by their lower-cased email values.
	IndexUserEmail = "scim.user.emails"
	// IndexGroupExternalID indexes ScimGroups by externalId (case-exact).
	IndexGroupExternalID = "scim.group.externalId"
	// IndexGroupDisplayName indexes ScimGroups by lower-cased displayName.
	IndexGroupDisplayName = "scim.displayName"
	// IndexShardGroup indexes ScimGroupMemberShards by the group they belong to.
	IndexShardGroup = "scim.group"
)

// SetupIndexes registers the indexes the store and the controllers read through, on the
// informers of the cache informers. Call it before the manager starts.
//
// They are read as client.MatchingFields with client.InNamespace, always in one namespace.
// controller-runtime's own IndexField indexes every value a second time for lookups across
// namespaces, which nobody here makes: at 100,000 users that second set of keys was a fifth
// of the operator's heap (docs/benchmarks.md). So the indexes are registered on the informers
// directly, under the name and with the keys controller-runtime's cache looks up
// (fieldIndexName, "<namespace>/<value>"); a lookup without a namespace finds nothing.
func SetupIndexes(ctx context.Context, informers Informers) error {
	indexes := []struct {
		obj     client.Object
		field   string
		extract client.IndexerFunc
	}{
		{&scimv1.ScimUser{}, IndexUserName, func(o client.Object) []string {
			return []string{FoldKey(o.(*scimv1.ScimUser).Spec.UserName)}
		}},
		{&scimv1.ScimUser{}, IndexUserExternalID, func(o client.Object) []string {
			return nonEmpty(o.(*scimv1.ScimUser).Spec.ExternalID)
		}},
		{&scimv1.ScimUser{}, IndexUserEmail, func(o client.Object) []string {
			emails := o.(*scimv1.ScimUser).Spec.Emails
			values := make([]string, 0, len(emails))
			for _, e := range emails {
				values = append(values, FoldKey(e.Value))
			}
			return values
		}},
		{&scimv1.ScimGroup{}, IndexGroupExternalID, func(o client.Object) []string {
			return nonEmpty(o.(*scimv1.ScimGroup).Spec.ExternalID)
		}},
		{&scimv1.ScimGroup{}, IndexGroupDisplayName, func(o client.Object) []string {
			return []string{FoldKey(o.(*scimv1.ScimGroup).Spec.DisplayName)}
		}},
		{&scimv1.ScimGroupMemberShard{}, IndexShardGroup, func(o client.Object) []string {
			return []string{o.(*scimv1.ScimGroupMemberShard).Spec.Group}
		}},
	}
	for _, ix := range indexes {
		informer, err := informers.GetInformer(ctx, ix.obj, cache.BlockUntilSynced(false))
		if err != nil {
			return err
		}
		if err := informer.AddIndexers(toolscache.Indexers{fieldIndexName(ix.field): inNamespace(ix.extract)}); err != nil {
			return err
		}
	}
	return nil
}

// fieldIndexName is the informer index controller-runtime's cache reads for a field of
// client.MatchingFields (its internal FieldIndexName).
func fieldIndexName(field string) string { return "field:" + field }

// inNamespace turns extract into an informer index function whose keys are
// "<namespace>/<value>", the keys controller-runtime's cache looks up for a field in a
// namespace (its internal KeyToNamespacedKey).
func inNamespace(extract client.IndexerFunc) toolscache.IndexFunc {
	return func(obj any) ([]string, error) {
		o, ok := obj.(client.Object)
		if !ok {
			return nil, fmt.Errorf("indexing %T: not an object", obj)
		}
		values := extract(o)
		keys := make([]string, len(values))
		for i, v := range values {
			keys[i] = o.GetNamespace() + "/" + v
		}
		return keys, nil
	}
}

// FoldKey is the form in which case-insensitive SCIM values (userName, group displayName) are
// compared and indexed.
func FoldKey(s string) string {
	return strings.ToLower(s)
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}
