package scim

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/scim-operator/scim-operator/connectors"
)

// userFields are the attributes the connector sets on u's account; the password is apart,
// for the app never returns it.
func (c *client) userFields(u connectors.User) []field {
	fields := []field{
		textField(corePath("userName"), u.UserName),
		textField(corePath("externalId"), externalID(u.ExternalID, u.ID)),
		textField(corePath("name", "givenName"), u.GivenName),
		textField(corePath("name", "familyName"), u.FamilyName),
		textField(corePath("displayName"), u.DisplayName),
		emailField(u.Email),
		{path: corePath("active"), want: u.Active, same: func(got any) bool {
			b, ok := got.(bool)
			if !ok {
				// An app that does not return active has no inactive users to report.
				return u.Active
			}
			return b == u.Active
		}},
	}
	for _, a := range c.attrs {
		fields = append(fields, textField(a.path, u.Attributes[a.key]))
	}
	return fields
}

// externalID is what the app gets as externalId: the identity provider's when it has one,
// else the operator's SCIM id.
func externalID(fromIdP, scimID string) string {
	if fromIdP != "" {
		return fromIdP
	}
	return scimID
}

// emailField is the one primary work email; it matches when the app's primary (or only, or
// first) email is that address, whatever other emails the app keeps.
func emailField(email string) field {
	f := field{path: corePath("emails"), same: func(got any) bool {
		return strings.EqualFold(primaryEmail(got), email)
	}}
	if email != "" {
		f.want = []any{object{"value": email, "type": "work", "primary": true}}
	}
	return f
}

func primaryEmail(emails any) string {
	list, _ := emails.([]any)
	first := ""
	for i, e := range list {
		m, _ := e.(object)
		v, _ := lookup(m, "value")
		if p, _ := lookup(m, "primary"); p == true {
			return text(v)
		}
		if i == 0 {
			first = text(v)
		}
	}
	return first
}

// withPassword adds the password to a create or PUT body, or to PATCH operations.
func withPassword(u connectors.User, doc object) object {
	if u.Password != nil {
		doc["password"] = *u.Password
	}
	return doc
}

func (c *client) ObserveUser(ctx context.Context, u connectors.User) (connectors.Observation, error) {
	doc, err := c.find(ctx, "/Users", "userName", u.UserName)
	if err != nil || doc == nil {
		return connectors.Observation{}, err
	}
	return connectors.Observation{
		Exists:     true,
		ExternalID: id(doc),
		UpToDate:   len(operations(c.userFields(u), doc)) == 0,
	}, nil
}

func (c *client) CreateUser(ctx context.Context, u connectors.User) (string, error) {
	body := withPassword(u, document(userSchema, c.userFields(u), ""))
	var created object
	err := c.do(ctx, http.MethodPost, "/Users", nil, body, &created)
	switch {
	case statusOf(err) == http.StatusConflict:
		// It exists: a create that was not recorded, or an account made in the app.
		return c.adoptUser(ctx, u, err)
	case err != nil:
		return "", err
	case id(created) == "":
		return "", fmt.Errorf("POST /Users: the app created user %q but answered no id", u.UserName)
	}
	return id(created), nil
}

// adoptUser takes over the account with u's userName that made a create conflict, bringing it
// in line with u.
func (c *client) adoptUser(ctx context.Context, u connectors.User, conflict error) (string, error) {
	doc, err := c.find(ctx, "/Users", "userName", u.UserName)
	if err != nil {
		return "", err
	}
	if doc == nil {
		return "", fmt.Errorf("%w, yet it has no user with userName %q", conflict, u.UserName)
	}
	return id(doc), c.updateUser(ctx, u, id(doc), doc)
}

func (c *client) UpdateUser(ctx context.Context, u connectors.User, externalID string) error {
	if externalID == "" {
		doc, err := c.find(ctx, "/Users", "userName", u.UserName)
		if err != nil {
			return err
		}
		if doc == nil {
			return fmt.Errorf("the app has no user with userName %q to update", u.UserName)
		}
		return c.updateUser(ctx, u, id(doc), doc)
	}
	return c.updateUser(ctx, u, externalID, nil)
}

// updateUser PUTs u, or PATCHes what differs from doc, the account as the app holds it (read
// when nil).
func (c *client) updateUser(ctx context.Context, u connectors.User, externalID string, doc object) error {
	seg, err := resourcePath("/Users", externalID)
	if err != nil {
		return err
	}
	p := seg
	if c.put {
		return c.do(ctx, http.MethodPut, p, nil, withPassword(u, document(userSchema, c.userFields(u), externalID)), nil)
	}
	if doc == nil {
		if err := c.do(ctx, http.MethodGet, p, nil, nil, &doc); err != nil {
			return err
		}
	}
	ops := operations(c.userFields(u), doc)
	if u.Password != nil {
		ops = append(ops, operation{Op: "replace", Path: "password", Value: *u.Password})
	}
	if len(ops) == 0 {
		return nil
	}
	return c.do(ctx, http.MethodPatch, p, nil, patchBody(ops), nil)
}

func (c *client) DeleteUser(ctx context.Context, u connectors.User, externalID string) error {
	return c.delete(ctx, "/Users", "userName", u.UserName, externalID)
}

// delete deletes a resource by its id in the app or, without one, by its key; what is gone
// already is deleted.
func (c *client) delete(ctx context.Context, endpoint, attr, key, externalID string) error {
	if externalID == "" {
		doc, err := c.find(ctx, endpoint, attr, key)
		if err != nil || doc == nil {
			return err
		}
		externalID = id(doc)
	}
	p, err := resourcePath(endpoint, externalID)
	if err != nil {
		return err
	}
	err = c.do(ctx, http.MethodDelete, p, nil, nil, nil)
	if statusOf(err) == http.StatusNotFound {
		return nil
	}
	return err
}
