package scim

import (
	"context"
	"fmt"
	"net/http"
	"sort"

	"github.com/scim-operator/scim-operator/connectors"
)

// members are a group's members as the app knows them.
type members struct {
	// ids are the app's ids of the members it has, sorted.
	ids []string
	// missing counts the members the app has no account for (yet).
	missing int
}

// resolve finds the app's id of each member userName, one filter each: apps support
// `userName eq` far more widely than `or`.
func (c *client) resolve(ctx context.Context, userNames []string) (members, error) {
	var m members
	for _, name := range userNames {
		doc, err := c.find(ctx, "/Users", "userName", name, "id", "userName")
		if err != nil {
			return members{}, fmt.Errorf("finding member %q: %w", name, err)
		}
		if doc == nil {
			m.missing++
			continue
		}
		m.ids = append(m.ids, id(doc))
	}
	sort.Strings(m.ids)
	return m, nil
}

// groupFields are the attributes the connector sets on a group.
func groupFields(g connectors.Group, m members) []field {
	f := field{path: corePath("members"), same: func(got any) bool { return sameMembers(got, m.ids) }}
	if len(m.ids) > 0 {
		values := make([]any, len(m.ids))
		for i, id := range m.ids {
			values[i] = object{"value": id}
		}
		f.want = values
	}
	return []field{
		textField(corePath("displayName"), g.DisplayName),
		textField(corePath("externalId"), externalID(g.ExternalID, g.ID)),
		f,
	}
}

// sameMembers compares the member ids the app holds with ids, as sets.
func sameMembers(got any, ids []string) bool {
	list, _ := got.([]any)
	held := map[string]bool{}
	for _, e := range list {
		m, _ := e.(object)
		v, _ := lookup(m, "value")
		held[text(v)] = true
	}
	if len(held) != len(ids) {
		return false
	}
	for _, id := range ids {
		if !held[id] {
			return false
		}
	}
	return true
}

func (c *client) ObserveGroup(ctx context.Context, g connectors.Group) (connectors.Observation, error) {
	doc, err := c.findGroup(ctx, g.DisplayName)
	if err != nil || doc == nil {
		return connectors.Observation{}, err
	}
	m, err := c.resolve(ctx, g.Members)
	if err != nil {
		return connectors.Observation{}, err
	}
	return connectors.Observation{
		Exists:     true,
		ExternalID: id(doc),
		UpToDate:   m.missing == 0 && len(operations(groupFields(g, m), doc)) == 0,
	}, nil
}

// findGroup finds a group by displayName with its members: an app may leave them out of a
// filtered list, as Microsoft recommends for large groups, but not out of the group itself.
func (c *client) findGroup(ctx context.Context, displayName string) (object, error) {
	doc, err := c.find(ctx, "/Groups", "displayName", displayName)
	if err != nil || doc == nil {
		return doc, err
	}
	if _, ok := lookup(doc, "members"); !ok {
		var full object
		p, err := resourcePath("/Groups", id(doc))
		if err != nil {
			return nil, err
		}
		if err := c.do(ctx, http.MethodGet, p, nil, nil, &full); err != nil {
			return nil, err
		}
		return full, nil
	}
	return doc, nil
}

func (c *client) CreateGroup(ctx context.Context, g connectors.Group) (string, error) {
	m, err := c.resolve(ctx, g.Members)
	if err != nil {
		return "", err
	}
	var created object
	err = c.do(ctx, http.MethodPost, "/Groups", nil, document(groupSchema, groupFields(g, m), ""), &created)
	switch {
	case statusOf(err) == http.StatusConflict:
		doc, ferr := c.findGroup(ctx, g.DisplayName)
		if ferr != nil {
			return "", ferr
		}
		if doc == nil {
			return "", fmt.Errorf("%w, yet it has no group with displayName %q", err, g.DisplayName)
		}
		return id(doc), c.updateGroup(ctx, g, m, id(doc), doc)
	case err != nil:
		return "", err
	case id(created) == "":
		return "", fmt.Errorf("POST /Groups: the app created group %q but answered no id", g.DisplayName)
	}
	return id(created), nil
}

func (c *client) UpdateGroup(ctx context.Context, g connectors.Group, externalID string) error {
	m, err := c.resolve(ctx, g.Members)
	if err != nil {
		return err
	}
	var doc object
	if externalID == "" {
		if doc, err = c.findGroup(ctx, g.DisplayName); err != nil {
			return err
		}
		if doc == nil {
			return fmt.Errorf("the app has no group with displayName %q to update", g.DisplayName)
		}
		externalID = id(doc)
	}
	return c.updateGroup(ctx, g, m, externalID, doc)
}

// updateGroup PUTs g, or PATCHes what differs from doc, the group as the app holds it (read
// when nil).
func (c *client) updateGroup(ctx context.Context, g connectors.Group, m members, externalID string, doc object) error {
	p, err := resourcePath("/Groups", externalID)
	if err != nil {
		return err
	}
	if c.put {
		return c.do(ctx, http.MethodPut, p, nil, document(groupSchema, groupFields(g, m), externalID), nil)
	}
	if doc == nil {
		if err := c.do(ctx, http.MethodGet, p, nil, nil, &doc); err != nil {
			return err
		}
	}
	ops := operations(groupFields(g, m), doc)
	if len(ops) == 0 {
		return nil
	}
	return c.do(ctx, http.MethodPatch, p, nil, patchBody(ops), nil)
}

func (c *client) DeleteGroup(ctx context.Context, g connectors.Group, externalID string) error {
	return c.delete(ctx, "/Groups", "displayName", g.DisplayName, externalID)
}
