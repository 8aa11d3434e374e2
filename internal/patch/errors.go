package patch

import (
	"net/http"

	"github.com/scim-operator/scim-operator/internal/scimerr"
)

func invalidPath(format string, args ...any) *scimerr.Error {
	return scimerr.New(http.StatusBadRequest, scimerr.TypeInvalidPath, format, args...)
}

func noTarget(format string, args ...any) *scimerr.Error {
	return scimerr.New(http.StatusBadRequest, scimerr.TypeNoTarget, format, args...)
}

func mutability(format string, args ...any) *scimerr.Error {
	return scimerr.New(http.StatusBadRequest, scimerr.TypeMutability, format, args...)
}

// atOperation prefixes an error with the index of the operation that caused it, so a client
// sending hundreds of operations can find the one that failed.
func atOperation(i int, err error) error {
	e := scimerr.As(err)
	if e == nil {
		return scimerr.InvalidSyntax("Operations[%d]: %s", i, err.Error())
	}
	return scimerr.New(e.Status, e.ScimType, "Operations[%d]: %s", i, e.Detail)
}
