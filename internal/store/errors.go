package store

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/scim-operator/scim-operator/internal/scimerr"
)

// retryAfter is what a client is told to wait when the API server cannot answer.
const retryAfter = 2 * time.Second

// fromAPI turns an error of the Kubernetes API into a SCIM error, each class deliberately:
//
//   - the request's own fault (not found, exists, invalid, too large, bad request): 4xx;
//   - the API server is away, overloaded, restarting or lost the connection mid-request, or a
//     concurrent writer won (conflict), or the cache did not catch up in time: 503 with
//     Retry-After, which identity providers retry;
//   - the operator's own fault (its RBAC refused, a type the API server does not serve, a
//     bug): returned as it is, for the HTTP layer to log and answer with a generic 500.
func fromAPI(err error) error {
	if err == nil || scimerr.As(err) != nil {
		return err
	}
	switch {
	case apierrors.IsNotFound(err):
		return scimerr.NotFound("resource not found")
	case apierrors.IsAlreadyExists(err):
		return scimerr.Uniqueness("the resource already exists")
	case apierrors.IsInvalid(err):
		return scimerr.InvalidValue("%s", invalidDetail(err))
	case apierrors.IsBadRequest(err):
		return scimerr.InvalidValue("the resource is invalid")
	case apierrors.IsRequestEntityTooLargeError(err):
		return scimerr.New(http.StatusRequestEntityTooLarge, "", "the resource is too large to store")
	case retryable(err):
		return scimerr.Unavailable(retryAfter, "the Kubernetes API server is unavailable; retry later")
	}
	return err
}

// retryable reports whether err means the same request may succeed later: the API server
// said so, answered with a server error, or the connection to it failed or broke off.
func retryable(err error) bool {
	if apierrors.IsTooManyRequests(err) || apierrors.IsServiceUnavailable(err) || apierrors.IsServerTimeout(err) ||
		apierrors.IsTimeout(err) || apierrors.IsInternalError(err) || apierrors.IsConflict(err) ||
		apierrors.IsGone(err) || apierrors.IsResourceExpired(err) || apierrors.IsUnexpectedServerError(err) {
		return true
	}
	var status apierrors.APIStatus
	if errors.As(err, &status) && status.Status().Code >= http.StatusInternalServerError {
		return true // a 5xx without a known reason, such as a proxy's 502 or 504
	}
	var netErr net.Error
	if errors.As(err, &netErr) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed) {
		return true
	}
	// Errors that client-go and net/http return as text only: an HTTP/2 connection the API
	// server closed (GOAWAY on shutdown) or a response body cut off.
	msg := err.Error()
	for _, s := range []string{"GOAWAY", "http2: client connection lost", "connection reset by peer",
		"unexpected error when reading response body", "use of closed network connection", "server closed idle connection"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
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

// FromAPI is fromAPI for the HTTP layer: an error that reached it without being turned into a
// SCIM error still gets its deliberate status.
func FromAPI(err error) error { return fromAPI(err) }
