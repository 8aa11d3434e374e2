package scimserver

import (
	"net/http"
	"strings"

	"github.com/scim-operator/scim-operator/internal/scimerr"
)

// etagMatches reports whether an If-Match or If-None-Match header value lists etag. Tags are
// compared weakly (RFC 9110 §8.8.3.2): W/"1" matches "1".
func etagMatches(header, etag string) bool {
	if strings.TrimSpace(header) == "*" {
		return true
	}
	want := strings.TrimPrefix(etag, "W/")
	for _, tag := range strings.Split(header, ",") {
		if strings.TrimPrefix(strings.TrimSpace(tag), "W/") == want {
			return true
		}
	}
	return false
}

// ifMatch refuses a write whose If-Match header does not list the resource's current ETag.
func ifMatch(r *http.Request, etag string) error {
	header := r.Header.Get("If-Match")
	if header == "" || etagMatches(header, etag) {
		return nil
	}
	return scimerr.New(http.StatusPreconditionFailed, "", "the resource has changed: its version is now %s", etag)
}

// notModified reports whether a GET can be answered 304 because the client has the current
// version (If-None-Match).
func notModified(r *http.Request, etag string) bool {
	header := r.Header.Get("If-None-Match")
	return header != "" && etagMatches(header, etag)
}
