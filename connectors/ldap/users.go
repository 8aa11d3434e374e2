package ldap

import (
	"cmp"
	"context"
	"errors"
	"maps"
	"slices"
	"strings"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/scim-operator/scim-operator/connectors"
)

var userClasses = []string{"top", "person", "organizationalPerson", "inetOrgPerson"}

// protectedAttrs cannot be set through attributeMapping: the connector owns them.
var protectedAttrs = []string{"objectClass", "uid", "userPassword", markerAttr, disabledAttr}

// userPlan is what the connector wants of u's entry.
type userPlan struct {
	key   key
	attrs map[string][]string // by attribute name; no values means absent
	u     connectors.User
	owner connectors.Owner
}

func (c *client) planUser(u connectors.User) (userPlan, error) {
	if u.UserName == "" {
		return userPlan{}, errors.New("ldap: user has no userName")
	}
	attrs := map[string][]string{
		"cn":          {cmp.Or(u.DisplayName, u.UserName)},
		"sn":          {cmp.Or(u.FamilyName, u.UserName)},
		"givenName":   values(u.GivenName),
		"mail":        values(u.Email),
		"displayName": values(u.DisplayName),
	}
	for name, v := range u.Attributes {
		if slices.ContainsFunc(protectedAttrs, func(p string) bool { return strings.EqualFold(p, name) }) {
			return userPlan{}, connectors.ConfigError("ldap: attributeMapping cannot set %s: the connector manages it", name)
		}
		maps.DeleteFunc(attrs, func(k string, _ []string) bool { return strings.EqualFold(k, name) })
		attrs[name] = values(v)
	}
	return userPlan{key: userKey(c.cfg.usersDN, u.UserName), attrs: attrs, u: u, owner: c.owner}, nil
}

func userKey(usersDN, userName string) key {
	return key{parent: usersDN, class: "inetOrgPerson", attr: "uid", value: userName}
}

func values(v string) []string {
	if v == "" {
		return nil
	}
	return []string{v}
}

// read lists the attributes to fetch: userPassword is often unreadable, and then absent.
func (p userPlan) read() []string {
	return append(slices.Sorted(maps.Keys(p.attrs)), disabledAttr, "userPassword")
}

func (p userPlan) password() (string, bool) {
	if p.u.Password == nil || *p.u.Password == "" {
		return "", false
	}
	return *p.u.Password, true
}

func (p userPlan) add() *goldap.AddRequest {
	req := goldap.NewAddRequest(p.key.dn(), nil)
	req.Attribute("objectClass", userClasses)
	req.Attribute("uid", []string{p.u.UserName})
	for _, name := range slices.Sorted(maps.Keys(p.attrs)) {
		if len(p.attrs[name]) > 0 {
			req.Attribute(name, p.attrs[name])
		}
	}
	req.Attribute(markerAttr, []string{markerValue(p.owner)})
	if pw, ok := p.password(); !p.u.Active {
		req.Attribute(disabledAttr, []string{disabledValue})
	} else if ok {
		req.Attribute("userPassword", []string{hashPassword(pw)})
	}
	return req
}

// modify lists the changes that bring e in line. Observing, a password that cannot be
// verified counts as up to date (rewriting it on every resync would churn the directory);
// updating, it is written again.
func (p userPlan) modify(e *goldap.Entry, observing bool) *goldap.ModifyRequest {
	req := goldap.NewModifyRequest(e.DN, nil)
	adopt(req, e, p.owner)
	for _, name := range slices.Sorted(maps.Keys(p.attrs)) {
		if !sameValues(e.GetEqualFoldAttributeValues(name), p.attrs[name]) {
			req.Replace(name, p.attrs[name])
		}
	}
	disabled := hasValue(e, disabledAttr, disabledValue)
	stored := e.GetEqualFoldAttributeValues("userPassword")
	pw, known := p.password()
	match, verified := checkPassword(stored, pw)
	switch {
	case !p.u.Active:
		if !disabled {
			req.Add(disabledAttr, []string{disabledValue})
		}
		if !disabled || len(stored) > 0 {
			req.Replace("userPassword", nil) // removes it, and is no error when absent
		}
	case disabled:
		req.Delete(disabledAttr, []string{disabledValue})
		if known {
			req.Replace("userPassword", []string{hashPassword(pw)})
		}
	case known && !match && (verified || !observing):
		req.Replace("userPassword", []string{hashPassword(pw)})
	}
	return req
}

// ensure creates the entry when e is nil, else renames and modifies it; it returns the DN.
func (p userPlan) ensure(conn *goldap.Conn, e *goldap.Entry) (string, error) {
	if e == nil {
		err := conn.Add(p.add())
		if !goldap.IsErrorWithCode(err, goldap.LDAPResultEntryAlreadyExists) {
			return p.key.dn(), err
		}
		// Created meanwhile by another worker, or an entry at that DN the search missed.
		if e, err = find(conn, p.owner, p.key, p.read()); err != nil {
			return "", err
		} else if e == nil {
			return "", conflictAt(p.key.class, p.key.dn())
		}
	}
	if err := rename(conn, e, p.key); err != nil {
		return "", err
	}
	if req := p.modify(e, false); len(req.Changes) > 0 {
		if err := conn.Modify(req); err != nil {
			return "", err
		}
	}
	return externalID(e, p.key), nil
}

// ObserveUser finds the entry by userName.
func (c *client) ObserveUser(ctx context.Context, u connectors.User) (connectors.Observation, error) {
	p, err := c.planUser(u)
	if err != nil {
		return connectors.Observation{}, err
	}
	var obs connectors.Observation
	err = c.pool.do(ctx, "observe user "+u.UserName, func(conn *goldap.Conn) error {
		e, err := find(conn, p.owner, p.key, p.read())
		if e != nil {
			upToDate := sameDN(e.DN, p.key.dn()) && len(p.modify(e, true).Changes) == 0
			obs = connectors.Observation{Exists: true, ExternalID: externalID(e, p.key), UpToDate: upToDate}
		}
		return err
	})
	return obs, err
}

// CreateUser adds the entry, or brings an existing managed one in line.
func (c *client) CreateUser(ctx context.Context, u connectors.User) (string, error) {
	p, err := c.planUser(u)
	if err != nil {
		return "", err
	}
	var id string
	err = c.pool.do(ctx, "create user "+u.UserName, func(conn *goldap.Conn) error {
		e, err := find(conn, p.owner, p.key, p.read())
		if err != nil {
			return err
		}
		id, err = p.ensure(conn, e)
		return err
	})
	return id, err
}

// UpdateUser brings the entry in line, renaming it when the userName changed and creating
// it when it went away.
func (c *client) UpdateUser(ctx context.Context, u connectors.User, externalID string) error {
	p, err := c.planUser(u)
	if err != nil {
		return err
	}
	return c.pool.do(ctx, "update user "+u.UserName, func(conn *goldap.Conn) error {
		e, err := resolve(conn, p.owner, p.key, externalID, p.read())
		if err != nil {
			return err
		}
		_, err = p.ensure(conn, e)
		return err
	})
}

// DeleteUser deletes the entry; a missing one is not an error.
func (c *client) DeleteUser(ctx context.Context, u connectors.User, externalID string) error {
	p, err := c.planUser(u)
	if err != nil {
		return err
	}
	return c.pool.do(ctx, "delete user "+u.UserName, func(conn *goldap.Conn) error {
		return remove(conn, p.owner, p.key, externalID)
	})
}

// remove deletes app o's entry of k (or one it adopts); a missing one is not an error.
func remove(conn *goldap.Conn, o connectors.Owner, k key, externalID string) error {
	e, err := resolve(conn, o, k, externalID, nil)
	if e == nil || err != nil {
		return err
	}
	err = conn.Del(goldap.NewDelRequest(e.DN, nil))
	if goldap.IsErrorWithCode(err, goldap.LDAPResultNoSuchObject) {
		return nil
	}
	return err
}
