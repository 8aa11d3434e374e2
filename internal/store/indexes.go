// Package store keeps SCIM resources as custom resources: reads come from the informer cache
// through indexes, writes go to the API server. It hides how group members are sharded.
package store

import (
	"context"
	"strings"

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

// FieldIndexer is the part of a manager that registers cache indexes.
type FieldIndexer interface {
	IndexField(ctx context.Context, obj client.Object, field string, extractValue client.IndexerFunc) error
}

// SetupIndexes registers the indexes the store and the controllers read through. Call it
// before the manager starts.
func SetupIndexes(ctx context.Context, indexer FieldIndexer) error {
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
		if err := indexer.IndexField(ctx, ix.obj, ix.field, ix.extract); err != nil {
			return err
		}
	}
	return nil
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
