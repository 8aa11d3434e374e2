// Package webhook provisions users into a custom app through its own HTTP API: each event
// sends one request whose path and JSON body are Go text/template templates over Data. It
// registers itself as the "webhook" connector.
//
// Behaviour worth knowing:
//
//   - Body templates write values with the json function, {"name": {{json .UserName}}}, so
//     that quotes and newlines in a value stay valid JSON. A rendered body that is not JSON is a
//     configuration error; Connect renders every template once with hostile values, so that a
//     template that writes "{{.UserName}}" is refused before it meets such a user.
//   - Path templates see every value percent-encoded (only RFC 3986's unreserved characters
//     stay), so /users/{{.UserName}} is one path segment and ?q={{.Email}} one query value. A
//     rendered path may not change the URL's scheme or host.
//   - A request's method is POST when unset, as the API documents, get and delete included.
//   - Observe needs get: 2xx means the account exists, and its id is the "id" of the JSON
//     answer, or else the userName; 404 means absent. A search answering a JSON list finds no
//     account when it is empty and the account when it has one. The account is UpToDate when
//     the answer holds every field of the body that UpdateUser would send, with the same
//     values. Without
//     get, Observe reports the account absent every time, so the app must treat create as an
//     upsert; a 409 answering a create counts as success.
//   - UpdateUser sends disable for an inactive user when it is set, update otherwise, and
//     create (as an upsert) when update is unset. A user created inactive gets create, then
//     disable when it is set. Data.AppID is the app's id of the account in update, disable and
//     delete.
//   - DeleteUser sends delete, and a 404 means it is gone already; without delete it is a
//     configuration error, raised only when an account is to be deleted.
//   - Groups are not supported: their methods return a configuration error.
//   - 401 and 403 are configuration errors; 5xx, 429 and network errors are transient.
//   - Check sends get for a userName no account has and wants 404 or 2xx; without get, it
//     wants any HTTP answer from the URL's host.
package webhook
