// Package scim provisions users and groups into an app that speaks SCIM 2.0 (RFC 7643,
// RFC 7644): the operator is the SCIM client, the app the service provider. It registers
// itself as the "scim" connector.
//
// Behaviour worth knowing:
//
//   - Accounts are found by `userName eq "…"` and groups by `displayName eq "…"`, the value
//     written as a JSON string as RFC 7644 §3.4.2.2 asks, so quotes and backslashes stay inside
//     the one literal. Of the resources the app answers, only one whose userName (displayName)
//     is the one asked for counts: an app whose filter matches too much cannot make the
//     connector adopt someone else's account.
//   - externalId is the identity provider's externalId of the user or group when it has one,
//     and else the operator's SCIM id: the app always gets a stable key back to the source.
//   - The connector sends userName, externalId, name.givenName, name.familyName, displayName,
//     one primary work email, active, the attributes of the app's attributeMapping (each key a
//     SCIM attribute path such as "title" or an extension's URN-qualified path), and the
//     password when the identity provider set one. UpToDate compares exactly these, except the
//     password, which a SCIM app never returns; a user without active in the app counts as
//     active.
//   - updateMethod PATCH (the default) reads the resource and patches only the attributes
//     that differ (replace, or remove for a value the user no longer has); PUT replaces the
//     whole resource, so the app may clear attributes the connector does not send.
//   - A group's members are sent as the app's ids of the member users, found by userName.
//     Members the app does not have yet are left out and the group is reported not UpToDate,
//     so that a later pass adds them once their accounts exist.
//   - A 409 answering a create means the resource exists (for example after a crash between
//     creating it and recording its id): the connector finds it by userName (displayName),
//     adopts it and brings it in line. Deleting what is gone (404) succeeds.
//   - 401 and 403 are configuration errors (the credentials), as are a URL that is no SCIM
//     endpoint and an untrusted TLS certificate; 5xx, 429 and network errors are transient.
//   - Check runs the request every Observe depends on, a userName filter on /Users, with the
//     credentials: /ServiceProviderConfig would prove less, as RFC 7644 §4 lets an app serve it
//     without authentication.
package scim
