package webhook

import (
	"context"

	"github.com/scim-operator/scim-operator/connectors"
)

// errGroups answers every group method: the controller calls them only with provisionGroups,
// which this connector cannot honour.
func errGroups() error {
	return connectors.ConfigError("the webhook connector does not provision groups: unset provisionGroups")
}

func (c *client) ObserveGroup(context.Context, connectors.Group) (connectors.Observation, error) {
	return connectors.Observation{}, errGroups()
}

func (c *client) CreateGroup(context.Context, connectors.Group) (string, error) {
	return "", errGroups()
}

func (c *client) UpdateGroup(context.Context, connectors.Group, string) error { return errGroups() }

func (c *client) DeleteGroup(context.Context, connectors.Group, string) error { return errGroups() }
