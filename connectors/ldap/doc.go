// Package ldap provisions users as inetOrgPerson entries and groups as groupOfNames entries in
// an LDAP directory (spec.connector.ldap of a ScimApp). It registers itself as "ldap".
//
// Users are uid=<userName>,<usersDN> with cn (displayName, else userName), sn (familyName,
// else userName: sn is required), givenName, mail, displayName and the attributes of the
// app's attributeMapping, whose keys are LDAP attribute names (objectClass, uid, userPassword,
// businessCategory and description are the connector's own: mapping one is a configuration
// error). The ExternalID is the entry's DN. A password is written as a salted SHA-1 ({SSHA})
// userPassword, a scheme every OpenLDAP understands without modules, never in clear text.
//
// Lookups search one level under usersDN or groupsDN by objectClass and key (uid or cn), with
// the key filter-escaped and RDN values DN-escaped, so both DNs may even be one entry.
//
// Ownership: every entry the connector creates carries its app's marker
//
//	businessCategory: managed-by: scim-operator app <ScimApp UID> (<namespace>/<name>)
//
// An entry with the same key but without that value belongs to someone else (another app,
// possibly of another tenant sharing the directory, or no app): the connector never changes
// or deletes it, and the calls that meet it return a connectors.NotManagedError (ErrConflict).
// With spec.adoptExisting, entries with no app's marker (none, or the bare
// "managed-by: scim-operator" of older versions) and those of an earlier app of the same
// namespace and name are adopted: their marker is replaced with the app's.
//
// Deactivation: inetOrgPerson has no disabled flag, so a disabled user gets
//
//	description: disabled by scim-operator
//
// and loses its userPassword, which makes every simple bind fail on a plain OpenLDAP with no
// extra schema or overlay. Reactivation removes that value and writes the password again
// when the identity provider supplied one; without a known password the account is enabled
// but cannot bind until a password arrives.
//
// Empty groups: groupOfNames requires at least one member, so a group with no members holds
// its own DN as the only member. That placeholder grants nobody anything, and Observe and
// UpdateGroup treat it as "no members".
//
// UpToDate compares the attributes written (cn, sn, givenName, mail, displayName and the
// mapped ones), the active state and, for groups, the member set. The password counts only
// where the bind DN can read userPassword and the value is {SSHA} or clear text: a changed
// password then shows as drift. A bind DN that may write but not read userPassword (a common
// ACL) works too; UpdateUser then rewrites the known password, as it cannot compare it.
//
// Connections: a client keeps a few bound connections for its concurrent callers, and
// replaces one the server dropped. Bad credentials, a missing usersDN or groupsDN, or a bind
// DN without the rights it needs are configuration errors; a server that cannot be reached
// is a transient error. ldaps:// verifies the server against the system's roots and the url's
// host name; so does ldap:// with startTLS, which upgrades each connection before the bind.
// A plain ldap:// url sends the bind password and users' passwords in clear text: it needs
// insecure: true.
package ldap
