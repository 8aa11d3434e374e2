package ldap

import (
	"context"
	"errors"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/scim-operator/scim-operator/connectors"
)

const groupClass = "groupOfNames"

var groupClasses = []string{"top", groupClass}

// groupPlan is what the connector wants of g's entry.
type groupPlan struct {
	key     key
	members []string // member DNs, without the placeholder
	owner   connectors.Owner
}

func (c *client) planGroup(g connectors.Group) (groupPlan, error) {
	if c.cfg.groupsDN == "" {
		return groupPlan{}, connectors.ConfigError("ldap: groupsDN is not set; it is needed to provision groups")
	}
	if g.DisplayName == "" {
		return groupPlan{}, errors.New("ldap: group has no displayName")
	}
	members := make([]string, len(g.Members))
	for i, m := range g.Members {
		members[i] = userKey(c.cfg.usersDN, m).dn()
	}
	return groupPlan{key: key{parent: c.cfg.groupsDN, class: groupClass, attr: "cn", value: g.DisplayName}, members: members, owner: c.owner}, nil
}

var groupRead = []string{"member"}

// memberValues are the member values of the group at dn: groupOfNames needs one, so an empty
// group holds its own DN.
func (p groupPlan) memberValues(dn string) []string {
	if len(p.members) == 0 {
		return []string{dn}
	}
	return p.members
}

func (p groupPlan) upToDate(e *goldap.Entry) bool {
	own, _ := ownershipOf(p.owner, e)
	return own == owns && sameDN(e.DN, p.key.dn()) && sameMembers(e.GetEqualFoldAttributeValues("member"), p.memberValues(e.DN))
}

func sameMembers(a, b []string) bool {
	norm := func(dns []string) []string {
		out := make([]string, len(dns))
		for i, dn := range dns {
			out[i] = normDN(dn)
		}
		return out
	}
	return sameValues(norm(a), norm(b))
}

// ensure creates the entry when e is nil, else renames it and sets its members exactly.
func (p groupPlan) ensure(conn *goldap.Conn, e *goldap.Entry) (string, error) {
	if e == nil {
		req := goldap.NewAddRequest(p.key.dn(), nil)
		req.Attribute("objectClass", groupClasses)
		req.Attribute("cn", []string{p.key.value})
		req.Attribute("member", p.memberValues(p.key.dn()))
		req.Attribute(markerAttr, []string{markerValue(p.owner)})
		err := conn.Add(req)
		if !goldap.IsErrorWithCode(err, goldap.LDAPResultEntryAlreadyExists) {
			return p.key.dn(), err
		}
		if e, err = find(conn, p.owner, p.key, groupRead); err != nil {
			return "", err
		} else if e == nil {
			return "", conflictAt(p.key.class, p.key.dn())
		}
	}
	if err := rename(conn, e, p.key); err != nil {
		return "", err
	}
	req := goldap.NewModifyRequest(e.DN, nil)
	adopt(req, e, p.owner)
	if want := p.memberValues(e.DN); !sameMembers(e.GetEqualFoldAttributeValues("member"), want) {
		req.Replace("member", want)
	}
	if len(req.Changes) > 0 {
		if err := conn.Modify(req); err != nil {
			return "", err
		}
	}
	return externalID(e, p.key), nil
}

// ObserveGroup finds the entry by displayName.
func (c *client) ObserveGroup(ctx context.Context, g connectors.Group) (connectors.Observation, error) {
	p, err := c.planGroup(g)
	if err != nil {
		return connectors.Observation{}, err
	}
	var obs connectors.Observation
	err = c.pool.do(ctx, "observe group "+g.DisplayName, func(conn *goldap.Conn) error {
		e, err := find(conn, p.owner, p.key, groupRead)
		if e != nil {
			obs = connectors.Observation{Exists: true, ExternalID: externalID(e, p.key), UpToDate: p.upToDate(e)}
		}
		return err
	})
	return obs, err
}

// CreateGroup adds the entry, or brings an existing managed one in line.
func (c *client) CreateGroup(ctx context.Context, g connectors.Group) (string, error) {
	p, err := c.planGroup(g)
	if err != nil {
		return "", err
	}
	var id string
	err = c.pool.do(ctx, "create group "+g.DisplayName, func(conn *goldap.Conn) error {
		e, err := find(conn, p.owner, p.key, groupRead)
		if err != nil {
			return err
		}
		id, err = p.ensure(conn, e)
		return err
	})
	return id, err
}

// UpdateGroup renames the entry when the displayName changed and sets its members exactly;
// it creates the entry when it went away.
func (c *client) UpdateGroup(ctx context.Context, g connectors.Group, externalID string) error {
	p, err := c.planGroup(g)
	if err != nil {
		return err
	}
	return c.pool.do(ctx, "update group "+g.DisplayName, func(conn *goldap.Conn) error {
		e, err := resolve(conn, p.owner, p.key, externalID, groupRead)
		if err != nil {
			return err
		}
		_, err = p.ensure(conn, e)
		return err
	})
}

// DeleteGroup deletes the entry; a missing one is not an error.
func (c *client) DeleteGroup(ctx context.Context, g connectors.Group, externalID string) error {
	p, err := c.planGroup(g)
	if err != nil {
		return err
	}
	return c.pool.do(ctx, "delete group "+g.DisplayName, func(conn *goldap.Conn) error {
		return remove(conn, p.owner, p.key, externalID)
	})
}
