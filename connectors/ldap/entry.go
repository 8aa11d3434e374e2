package ldap

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/scim-operator/scim-operator/connectors"
)

const (
	// markerAttr holds markerValue on every entry the connector created: both inetOrgPerson
	// and groupOfNames allow businessCategory, and the connector never otherwise writes it.
	markerAttr  = "businessCategory"
	markerValue = "managed-by: scim-operator"
	// disabledAttr holds disabledValue on a deactivated user.
	disabledAttr  = "description"
	disabledValue = "disabled by scim-operator"
)

// ErrConflict marks an entry with the key of a user or group that the connector did not
// create; it is never changed or deleted.
var ErrConflict = errors.New("entry exists and is not managed by scim-operator")

// escapeValue escapes an RDN value, so one such as "x,ou=admins" stays one value. EscapeDN
// leaves '=' alone, which RFC 4514 allows but some servers reject.
func escapeValue(value string) string {
	return strings.ReplaceAll(goldap.EscapeDN(value), "=", `\=`)
}

// normDN is a comparable form of dn: parsed, with types and values folded. The attributes
// used in RDNs here (uid, cn) match case-insensitively.
func normDN(dn string) string {
	parsed, err := goldap.ParseDN(dn)
	if err != nil {
		return strings.ToLower(dn)
	}
	return strings.ToLower(parsed.String())
}

func sameDN(a, b string) bool { return normDN(a) == normDN(b) }

// under reports whether dn is a direct child of parent.
func under(dn, parent string) bool {
	d, err1 := goldap.ParseDN(dn)
	p, err2 := goldap.ParseDN(parent)
	return err1 == nil && err2 == nil && len(d.RDNs) == len(p.RDNs)+1 && p.AncestorOfFold(d)
}

func managed(e *goldap.Entry) bool { return hasValue(e, markerAttr, markerValue) }

func hasValue(e *goldap.Entry, attr, value string) bool {
	return slices.ContainsFunc(e.GetEqualFoldAttributeValues(attr), func(v string) bool { return strings.EqualFold(v, value) })
}

func conflict(dn string) error { return fmt.Errorf("ldap: %s: %w", dn, ErrConflict) }

// key says how an entry is found: of objectClass class, by attr=value, directly under
// parent. The class keeps users and groups apart when usersDN and groupsDN are one entry.
type key struct {
	parent, class, attr, value string
}

func (k key) rdn() string { return k.attr + "=" + escapeValue(k.value) }

func (k key) dn() string { return k.rdn() + "," + k.parent }

// find returns the managed entry with k's value (nil when there is none). An unmanaged
// entry with that value is a conflict. The filter value is escaped, so "*" matches only "*".
func find(conn *goldap.Conn, k key, attrs []string) (*goldap.Entry, error) {
	filter := "(&(objectClass=" + k.class + ")(" + k.attr + "=" + goldap.EscapeFilter(k.value) + "))"
	res, err := conn.Search(goldap.NewSearchRequest(k.parent, goldap.ScopeSingleLevel, goldap.NeverDerefAliases,
		0, 0, false, filter, withMarker(attrs), nil))
	if goldap.IsErrorWithCode(err, goldap.LDAPResultNoSuchObject) {
		return nil, connectors.ConfigError("ldap: %s does not exist", k.parent)
	}
	if err != nil {
		return nil, err
	}
	var foreign *goldap.Entry
	for _, e := range res.Entries {
		if managed(e) {
			return e, nil
		}
		foreign = e
	}
	if foreign != nil {
		return nil, conflict(foreign.DN)
	}
	return nil, nil
}

// read returns the entry of class at dn (nil when absent); an unmanaged one is a conflict.
func read(conn *goldap.Conn, dn, class string, attrs []string) (*goldap.Entry, error) {
	res, err := conn.Search(goldap.NewSearchRequest(dn, goldap.ScopeBaseObject, goldap.NeverDerefAliases,
		1, 0, false, "(objectClass="+class+")", withMarker(attrs), nil))
	if goldap.IsErrorWithCode(err, goldap.LDAPResultNoSuchObject) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if len(res.Entries) == 0 {
		return nil, nil
	}
	if e := res.Entries[0]; !managed(e) {
		return nil, conflict(e.DN)
	}
	return res.Entries[0], nil
}

// resolve finds the entry of k: at externalID when that is a child of k's parent (after a
// rename the key no longer finds it), else by k.
func resolve(conn *goldap.Conn, k key, externalID string, attrs []string) (*goldap.Entry, error) {
	if externalID != "" && under(externalID, k.parent) {
		e, err := read(conn, externalID, k.class, attrs)
		if e != nil || err != nil {
			return e, err
		}
	}
	return find(conn, k, attrs)
}

// rename moves e to k's DN when the key changed (a new userName or displayName).
func rename(conn *goldap.Conn, e *goldap.Entry, k key) error {
	if sameDN(e.DN, k.dn()) {
		return nil
	}
	if err := conn.ModifyDN(goldap.NewModifyDNRequest(e.DN, k.rdn(), true, "")); err != nil {
		return err
	}
	e.DN = k.dn()
	return nil
}

// externalID is the DN as the connector spells it when e sits at k's DN, so that Create and
// Observe report the same string whatever escaping the server prefers.
func externalID(e *goldap.Entry, k key) string {
	if sameDN(e.DN, k.dn()) {
		return k.dn()
	}
	return e.DN
}

func withMarker(attrs []string) []string { return append(slices.Clip(attrs), markerAttr) }

// sameValues compares attribute values as sets, ignoring order.
func sameValues(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}
