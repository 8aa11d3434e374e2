package webhook

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/scim-operator/scim-operator/connectors"
)

func (c *client) ObserveUser(ctx context.Context, u connectors.User) (connectors.Observation, error) {
	if c.get == nil {
		// Nothing to look with: the controller creates every time, which the app upserts.
		return connectors.Observation{}, nil
	}
	a, err := c.send(ctx, c.get, dataOf(u, ""))
	switch {
	case err != nil:
		return connectors.Observation{}, err
	case a.status == http.StatusNotFound:
		return connectors.Observation{}, nil
	case !ok(a.status):
		return connectors.Observation{}, failure("get", a)
	}
	account, isJSON := decode(a.body)
	if list, isList := account.([]any); isList {
		// A search that answers a list: empty is absent, one element is the account.
		switch len(list) {
		case 0:
			return connectors.Observation{}, nil
		case 1:
			account = list[0]
		default:
			return connectors.Observation{}, fmt.Errorf("webhook get: the app answered %d accounts for userName %q", len(list), u.UserName)
		}
	}
	appID := idOf(account, u.UserName)
	upToDate, err := c.upToDate(u, appID, account, isJSON)
	return connectors.Observation{Exists: true, ExternalID: appID, UpToDate: upToDate}, err
}

// upToDate says whether the account as the app answered it holds every field of the body
// UpdateUser would send, with the same values. A request without a body cannot be compared,
// so it is always sent.
func (c *client) upToDate(u connectors.User, appID string, account any, isJSON bool) (bool, error) {
	_, body, err := c.updateRequest(u).render(c.base, dataOf(u, appID))
	if err != nil || body == nil || !isJSON {
		return false, err
	}
	want, _ := decode(body) // render made sure it is JSON
	return contains(account, want), nil
}

func (c *client) CreateUser(ctx context.Context, u connectors.User) (string, error) {
	a, err := c.send(ctx, c.create, dataOf(u, ""))
	if err != nil {
		return "", err
	}
	created, _ := decode(a.body)
	appID := idOf(created, u.UserName)
	switch {
	case a.status == http.StatusConflict:
		// It exists; the app's id of it is what get finds, when there is a get.
		if appID, err = c.existing(ctx, u); err != nil {
			return "", err
		}
	case !ok(a.status):
		return "", failure("create", a)
	}
	if !u.Active && c.disable != nil {
		return appID, c.do(ctx, c.disable, u, appID)
	}
	return appID, nil
}

// existing is the app's id of u's account after a create conflicted.
func (c *client) existing(ctx context.Context, u connectors.User) (string, error) {
	obs, err := c.ObserveUser(ctx, u)
	if err != nil || !obs.Exists {
		return u.UserName, err
	}
	return obs.ExternalID, nil
}

func (c *client) UpdateUser(ctx context.Context, u connectors.User, externalID string) error {
	return c.do(ctx, c.updateRequest(u), u, externalID)
}

// updateRequest is what brings an account in line with u: disable for an inactive user when
// set, else update, else create, which the app treats as an upsert.
func (c *client) updateRequest(u connectors.User) *request {
	switch {
	case !u.Active && c.disable != nil:
		return c.disable
	case c.update != nil:
		return c.update
	}
	return c.create
}

// do sends r for u's account appID and wants a 2xx; a 409 to create is one.
func (c *client) do(ctx context.Context, r *request, u connectors.User, appID string) error {
	a, err := c.send(ctx, r, dataOf(u, appID))
	switch {
	case err != nil:
		return err
	case ok(a.status), r == c.create && a.status == http.StatusConflict:
		return nil
	}
	return failure(r.event, a)
}

func (c *client) DeleteUser(ctx context.Context, u connectors.User, externalID string) error {
	if c.delete == nil {
		return connectors.ConfigError("webhook: the app has no delete request, so accounts cannot be deleted: set spec.connector.webhook.delete, or onDeactivate and onDelete to Disable")
	}
	a, err := c.send(ctx, c.delete, dataOf(u, externalID))
	switch {
	case err != nil:
		return err
	case ok(a.status), a.status == http.StatusNotFound:
		return nil
	}
	return failure("delete", a)
}

// Check sends get for a userName no account has, wanting 404 or 2xx; without get, any answer
// from the URL's host.
func (c *client) Check(ctx context.Context) error {
	if c.get == nil {
		_, err := c.roundTrip(ctx, "check", http.MethodGet, c.base.String(), nil)
		return err
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	a, err := c.send(ctx, c.get, Data{UserName: "scim-operator-check-" + hex.EncodeToString(b)})
	switch {
	case err != nil:
		return err
	case ok(a.status), a.status == http.StatusNotFound:
		return nil
	case a.status == http.StatusTooManyRequests || a.status >= 500,
		a.status == http.StatusUnauthorized || a.status == http.StatusForbidden:
		return failure("get", a)
	}
	return connectors.ConfigError("webhook get answered %d for a user that does not exist, not 404: %v", a.status, failure("get", a))
}

// idOf is the "id" of an account the app answered, or fallback.
func idOf(account any, fallback string) string {
	m, _ := account.(map[string]any)
	switch id := m["id"].(type) {
	case string:
		if id != "" {
			return id
		}
	case json.Number:
		return id.String()
	}
	return fallback
}

// decode parses JSON keeping numbers exact.
func decode(b []byte) (any, bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	return v, true
}
