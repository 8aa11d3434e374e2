// Package scimerr is the SCIM error of RFC 7644 §3.12: an HTTP status, an optional scimType and
// a detail message safe to show to the client. Every layer returns these, and only the HTTP
// layer turns them into a response.
package scimerr

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// The scimType values of RFC 7644 §3.12 that this server uses.
const (
	TypeInvalidFilter = "invalidFilter"
	TypeTooMany       = "tooMany"
	TypeUniqueness    = "uniqueness"
	TypeMutability    = "mutability"
	TypeInvalidSyntax = "invalidSyntax"
	TypeInvalidPath   = "invalidPath"
	TypeNoTarget      = "noTarget"
	TypeInvalidValue  = "invalidValue"
	TypeInvalidVers   = "invalidVers"
	TypeSensitive     = "sensitive"
)

// Error is a SCIM error. Detail is returned to the client, so it never holds a secret or an
// internal error text that could.
type Error struct {
	Status   int
	ScimType string
	Detail   string
	// RetryAfter, when set, becomes the Retry-After header of a 429 or 503.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if e.ScimType != "" {
		return fmt.Sprintf("%d %s: %s", e.Status, e.ScimType, e.Detail)
	}
	return fmt.Sprintf("%d: %s", e.Status, e.Detail)
}

// As returns the SCIM error in err's chain, or nil.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// IsNotFound reports whether err is a SCIM 404.
func IsNotFound(err error) bool {
	e := As(err)
	return e != nil && e.Status == http.StatusNotFound
}

// New returns an error with the given status, scimType and formatted detail.
func New(status int, scimType, format string, args ...any) *Error {
	return &Error{Status: status, ScimType: scimType, Detail: fmt.Sprintf(format, args...)}
}

// InvalidSyntax is a 400 for a body or parameter that cannot be parsed.
func InvalidSyntax(format string, args ...any) *Error {
	return New(http.StatusBadRequest, TypeInvalidSyntax, format, args...)
}

// InvalidFilter is a 400 for a filter that cannot be parsed or applied.
func InvalidFilter(format string, args ...any) *Error {
	return New(http.StatusBadRequest, TypeInvalidFilter, format, args...)
}

// InvalidValue is a 400 for a value that is missing, of the wrong type or not allowed.
func InvalidValue(format string, args ...any) *Error {
	return New(http.StatusBadRequest, TypeInvalidValue, format, args...)
}

// Uniqueness is a 409 for a value that another resource of the tenant already holds.
func Uniqueness(format string, args ...any) *Error {
	return New(http.StatusConflict, TypeUniqueness, format, args...)
}

// NotFound is a 404 for a resource that does not exist in the tenant.
func NotFound(format string, args ...any) *Error {
	return New(http.StatusNotFound, "", format, args...)
}

// Unavailable is a retryable 503, for example when the Kubernetes API server cannot be reached.
func Unavailable(retryAfter time.Duration, format string, args ...any) *Error {
	e := New(http.StatusServiceUnavailable, "", format, args...)
	e.RetryAfter = retryAfter
	return e
}
