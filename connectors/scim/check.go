package scim

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"

	"github.com/scim-operator/scim-operator/connectors"
)

// Check sends what ObserveUser sends, a userName filter on /Users, for a userName no account
// has: it proves the URL, the credentials and filtering at once.
func (c *client) Check(ctx context.Context) error {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	q := url.Values{"filter": {eqFilter("userName", "scim-operator-check-"+hex.EncodeToString(b))}}
	var list listResponse
	err := c.do(ctx, http.MethodGet, "/Users", q, nil, &list)
	switch status := statusOf(err); {
	case status == http.StatusNotFound || status == http.StatusMethodNotAllowed:
		return connectors.ConfigError("%s/Users is no SCIM endpoint: %v", c.base, err)
	case status == http.StatusBadRequest || status == http.StatusNotImplemented:
		return connectors.ConfigError("the app cannot filter users by userName, which the connector needs: %v", err)
	case errors.Is(err, errNotJSON):
		return connectors.ConfigError("%s/Users is no SCIM endpoint: %v", c.base, err)
	case err != nil:
		return err
	case list.TotalResults == nil:
		return connectors.ConfigError("%s/Users answered no SCIM ListResponse", c.base)
	}
	return nil
}
