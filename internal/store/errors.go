package store

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/scim-operator/scim-operator/internal/scimerr"
)

// retryAfter is what a client is told to wait when the API server cannot answer.
const retryAfter = 2 * time.Second

// fromAPI turns an error of the Kubernetes API into a SCIM error. Errors that mean "try again"
// become 503 with Retry-After; an unexpected error is returned as it is, for the HTTP layer to
// log and answer with a generic 500.
func fromAPI(err error) error {
	if err == nil || scimerr.As(err) != nil {
		return err
	}
	var netErr net.Error
	switch {
	case apierrors.IsNotFound(err):
		return scimerr.NotFound("resource not found")
	case apierrors.IsAlreadyExists(err):
		return scimerr.Uniqueness("the resource already exists")
	case apierrors.IsInvalid(err):
		return scimerr.InvalidValue("%s", invalidDetail(err))
	case apierrors.IsRequestEntityTooLargeError(err):
		return scimerr.New(http.StatusRequestEntityTooLarge, "", "the resource is too large to store")
	case apierrors.IsTooManyRequests(err), apierrors.IsServiceUnavailable(err), apierrors.IsServerTimeout(err),
		apierrors.IsTimeout(err), apierrors.IsInternalError(err), apierrors.IsConflict(err),
		errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr):
		return scimerr.Unavailable(retryAfter, "the Kubernetes API server is unavailable; retry later")
	}
	return err
}

// invalidDetail lists the fields the API server rejected, named as SCIM names them.
func invalidDetail(err error) string {
	var status apierrors.APIStatus
	if !errors.As(err, &status) || status.Status().Details == nil || len(status.Status().Details.Causes) == 0 {
		return "the resource is invalid"
	}
	var parts []string
	for _, c := range status.Status().Details.Causes {
		field := strings.TrimPrefix(strings.TrimPrefix(c.Field, "spec"), ".")
		if field == "" {
			parts = append(parts, c.Message)
			continue
		}
		parts = append(parts, field+": "+c.Message)
	}
	return strings.Join(parts, "; ")
}
