package ldap

import (
	"fmt"
	"slices"
	"strings"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/scim-operator/scim-operator/connectors"
)

const (
	// markerAttr holds the app's marker (see markerValue) on every entry the connector
	// created: both inetOrgPerson and groupOfNames allow businessCategory, and the connector
	// never otherwise writes it.
	markerAttr = "businessCategory"
	// legacyMarker is the marker of older versions, which named no app.
	legacyMarker = "managed-by: scim-operator"
	markerPrefix = legacyMarker + " app "
	// disabledAttr holds disabledValue on a deactivated user.
	disabledAttr  = "description"
	disabledValue = "disabled by scim-operator"
)

// ErrConflict marks an entry with the key of a user or group that this app did not create;
// it is never changed or deleted. It is connectors.ErrNotManaged.
var ErrConflict = connectors.ErrNotManaged

// markerValue names the app that manages an entry:
//
//	managed-by: scim-operator app <uid> (<namespace>/<name>)
//
// Only entries holding the client's own app's value are ever changed or deleted.
func markerValue(o connectors.Owner) string {
	return markerPrefix + o.UID + " (" + o.Namespace + "/" + o.Name + ")"
}

// ownership is what app o may do with an entry.
type ownership int

const (
	owns     ownership = iota // o's marker
	mayAdopt                  // no app's marker, or an earlier app of o's name; adoptExisting
	notOwned                  // left alone; see holder
)

// ownershipOf says whether o owns e, may adopt it, or must leave it alone (and who holds it).
func ownershipOf(o connectors.Owner, e *goldap.Entry) (ownership, connectors.Holder) {
	mine := markerValue(o)
	sameName := " (" + o.Namespace + "/" + o.Name + ")"
	holder, adoptable := connectors.HeldByNobody, o.AdoptExisting
	for _, v := range e.GetEqualFoldAttributeValues(markerAttr) {
		switch {
		case strings.EqualFold(v, mine):
			return owns, 0
		case len(v) > len(markerPrefix) && strings.EqualFold(v[:len(markerPrefix)], markerPrefix):
			holder = connectors.HeldByOtherApp
			adoptable = adoptable && strings.HasSuffix(v, sameName)
		}
	}
	if adoptable {
		return mayAdopt, holder
	}
	return notOwned, holder
}

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

func hasValue(e *goldap.Entry, attr, value string) bool {
	return slices.ContainsFunc(e.GetEqualFoldAttributeValues(attr), func(v string) bool { return strings.EqualFold(v, value) })
}

// conflict reports an entry of class that app o may not touch.
func conflict(class string, e *goldap.Entry, o connectors.Owner) error {
	kind := "user"
	if class == groupClass {
		kind = "group"
	}
	_, holder := ownershipOf(o, e)
	return fmt.Errorf("ldap: %w", &connectors.NotManagedError{Kind: kind, Account: "entry " + e.DN, Holder: holder})
}

// conflictAt reports an entry at dn that a search by key did not find (of another class, or
// hidden from the bind DN): no app of this operator made it.
func conflictAt(class, dn string) error {
	kind := "user"
	if class == groupClass {
		kind = "group"
	}
	return fmt.Errorf("ldap: %w", &connectors.NotManagedError{Kind: kind, Account: "entry " + dn, Holder: connectors.HeldByNobody})
}

// adopt adds to req the changes that make e app o's: its marker, replacing the markers of
// older versions and of an earlier app of the same name. Other businessCategory values stay.
func adopt(req *goldap.ModifyRequest, e *goldap.Entry, o connectors.Owner) {
	if own, _ := ownershipOf(o, e); own == owns {
		return
	}
	for _, v := range e.GetEqualFoldAttributeValues(markerAttr) {
		if len(v) >= len(legacyMarker) && strings.EqualFold(v[:len(legacyMarker)], legacyMarker) {
			req.Delete(markerAttr, []string{v})
		}
	}
	req.Add(markerAttr, []string{markerValue(o)})
}

// key says how an entry is found: of objectClass class, by attr=value, directly under
// parent. The class keeps users and groups apart when usersDN and groupsDN are one entry.
type key struct {
	parent, class, attr, value string
}

func (k key) rdn() string { return k.attr + "=" + escapeValue(k.value) }

func (k key) dn() string { return k.rdn() + "," + k.parent }

// find returns app o's entry with k's value, or one it may adopt (nil when there is none).
// Any other entry with that value is a conflict. The filter value is escaped, so "*" matches
// only "*".
func find(conn *goldap.Conn, o connectors.Owner, k key, attrs []string) (*goldap.Entry, error) {
	filter := "(&(objectClass=" + k.class + ")(" + k.attr + "=" + goldap.EscapeFilter(k.value) + "))"
	res, err := conn.Search(goldap.NewSearchRequest(k.parent, goldap.ScopeSingleLevel, goldap.NeverDerefAliases,
		0, 0, false, filter, withMarker(attrs), nil))
	if goldap.IsErrorWithCode(err, goldap.LDAPResultNoSuchObject) {
		return nil, connectors.ConfigError("ldap: %s does not exist", k.parent)
	}
	if err != nil {
		return nil, err
	}
	var adoptable, foreign *goldap.Entry
	for _, e := range res.Entries {
		switch own, _ := ownershipOf(o, e); own {
		case owns:
			return e, nil
		case mayAdopt:
			adoptable = e
		default:
			foreign = e
		}
	}
	if foreign != nil {
		return nil, conflict(k.class, foreign, o)
	}
	return adoptable, nil
}

// read returns the entry of class at dn (nil when absent); one app o may neither own nor
// adopt is a conflict.
func read(conn *goldap.Conn, o connectors.Owner, dn, class string, attrs []string) (*goldap.Entry, error) {
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
	e := res.Entries[0]
	if own, _ := ownershipOf(o, e); own == notOwned {
		return nil, conflict(class, e, o)
	}
	return e, nil
}

// resolve finds the entry of k: at externalID when that is a child of k's parent (after a
// rename the key no longer finds it), else by k.
func resolve(conn *goldap.Conn, o connectors.Owner, k key, externalID string, attrs []string) (*goldap.Entry, error) {
	if externalID != "" && under(externalID, k.parent) {
		e, err := read(conn, o, externalID, k.class, attrs)
		if e != nil || err != nil {
			return e, err
		}
	}
	return find(conn, o, k, attrs)
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
