// Package patch implements SCIM PATCH (RFC 7644 §3.5.2) over resource documents: resources as
// JSON-decoded maps, the way the server returns them. ParseRequest reads a PatchOp message,
// ParsePath reads one "path", and Apply runs the operations on a copy of a document, all or
// none. The server then re-validates the result with its strict decoder and stores it.
//
// Beyond the RFC, the engine accepts what Microsoft Entra ID and Okta really send (see
// docs/idp-quirks.md): capitalised ops (E1), booleans as strings (E2), a remove of "members"
// with a value that lists the members to remove (E3), dotted and URN-qualified keys in a value
// without path (E4), null sub-attributes (E5), a manager given as a plain string (E9), a
// replace through a filter that matches nothing (E11), an empty Operations list (E12), and
// read-only attributes echoed in a value without path (K3).
//
// Choices where the RFC leaves room:
//   - A value without path behaves as one operation per key, with the key as path. Keys that
//     name read-only attributes (id, meta, groups, manager.displayName) and "schemas" are
//     ignored, because clients echo what they read. Keys that name no attribute are kept in
//     the document as given, so the strict decoder rejects them with its usual message and a
//     more lenient server could still accept them; keys that are URNs of extensions this
//     resource type does not define are kept as opaque objects so custom extensions round-trip.
//   - A path that names a read-only attribute is an error (mutability), not ignored: the client
//     asked for that exact change.
//   - null means unassigned (RFC 7643 §2.5): replace with null unassigns, add of null changes
//     nothing, and null sub-attributes in new values are dropped.
//   - Replacing a complex value merges the sub-attributes given (RFC 7644 §3.5.2.3); replacing
//     a multi-valued attribute without filter replaces the whole list.
//   - Two values of a multi-valued attribute are the same when every sub-attribute the client
//     gave is equal in the existing value; for attributes whose "value" is immutable (members)
//     the value alone identifies the record. Adding a value that is already there changes
//     nothing, which keeps the retries of Entra and Okta idempotent.
//   - A path "emails.value" (sub-attribute of a multi-valued attribute, no filter) addresses
//     that sub-attribute in every value.
package patch
