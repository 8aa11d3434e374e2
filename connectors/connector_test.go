package connectors

import (
	"errors"
	"strings"
	"testing"
)

func TestPathSegment(t *testing.T) {
	for in, want := range map[string]string{"alice": "alice", "a b": "a%20b", "a/b": "a%2Fb", "...": "...", ".a": ".a"} {
		if got, err := PathSegment(in); err != nil || got != want {
			t.Errorf("PathSegment(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", ".", ".."} {
		if got, err := PathSegment(in); err == nil {
			t.Errorf("PathSegment(%q) = %q; want an error", in, got)
		}
	}
}

func TestHasDotSegment(t *testing.T) {
	for p, want := range map[string]bool{
		"/api/users/alice": false, "/api/users/...": false, "/api/users/.x": false,
		"/api/users/..": true, "/api/users/./disable": true, "/api/users/%2e%2E": true, "/api/users/%2E/x": true,
	} {
		if got := HasDotSegment(p); got != want {
			t.Errorf("HasDotSegment(%q) = %v, want %v", p, got, want)
		}
	}
}

// TestNotManagedErrorWords: the message says what happened and what to do, and the error is
// recognised as not managed, never as a configuration error.
func TestNotManagedErrorWords(t *testing.T) {
	for holder, hint := range map[Holder]string{
		HeldByNobody:    "set spec.adoptExisting: true",
		HeldByOtherApp:  "another ScimApp",
		HeldAsOtherKind: "for a group of the same name",
	} {
		err := error(&NotManagedError{Kind: "user", Account: `role "alice"`, Holder: holder})
		msg := err.Error()
		if !strings.HasPrefix(msg, `role "alice" exists, not managed by this app`) || !strings.Contains(msg, hint) ||
			!strings.Contains(msg, "To provision this user here") {
			t.Errorf("holder %d: %q", holder, msg)
		}
		if !IsNotManaged(err) || IsConfig(err) || !errors.Is(err, ErrNotManaged) {
			t.Errorf("holder %d: IsNotManaged %v, IsConfig %v", holder, IsNotManaged(err), IsConfig(err))
		}
	}
}
