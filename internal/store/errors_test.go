package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"syscall"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/scim-operator/scim-operator/internal/scimerr"
)

// Every class of error the Kubernetes API and its client return has a deliberate SCIM
// status: the request's fault 4xx, anything worth retrying 503 with Retry-After, and the
// operator's own fault left for the HTTP layer's generic 500 (status 0 here).
func TestEveryAPIErrorClassHasADeliberateStatus(t *testing.T) {
	gr := schema.GroupResource{Group: "scim.scim-operator.io", Resource: "scimusers"}
	status := func(code int32, reason metav1.StatusReason) error {
		return &apierrors.StatusError{ErrStatus: metav1.Status{Status: metav1.StatusFailure, Code: code, Reason: reason, Message: "x"}}
	}
	urlErr := func(err error) error { return &url.Error{Op: "Post", URL: "https://10.0.0.1:6443/apis", Err: err} }
	cases := []struct {
		name string
		err  error
		want int
	}{
		{"not found", apierrors.NewNotFound(gr, "u"), http.StatusNotFound},
		{"already exists", apierrors.NewAlreadyExists(gr, "u"), http.StatusConflict},
		{"invalid", apierrors.NewInvalid(schema.GroupKind{Kind: "ScimUser"}, "u", field.ErrorList{field.Invalid(field.NewPath("spec", "userName"), "", "empty")}), http.StatusBadRequest},
		{"bad request", apierrors.NewBadRequest("no"), http.StatusBadRequest},
		{"too large", apierrors.NewRequestEntityTooLargeError("big"), http.StatusRequestEntityTooLarge},
		{"conflict", apierrors.NewConflict(gr, "u", errors.New("changed")), http.StatusServiceUnavailable},
		{"too many requests", apierrors.NewTooManyRequests("slow down", 1), http.StatusServiceUnavailable},
		{"service unavailable (the server is currently unable to handle the request)", apierrors.NewServiceUnavailable("the server is currently unable to handle the request"), http.StatusServiceUnavailable},
		{"server timeout", apierrors.NewServerTimeout(gr, "create", 1), http.StatusServiceUnavailable},
		{"timeout", apierrors.NewTimeoutError("slow", 1), http.StatusServiceUnavailable},
		{"internal error", apierrors.NewInternalError(errors.New("etcd")), http.StatusServiceUnavailable},
		{"gone", apierrors.NewGone("too old"), http.StatusServiceUnavailable},
		{"resource expired", apierrors.NewResourceExpired("too old"), http.StatusServiceUnavailable},
		{"bad gateway from a proxy", status(http.StatusBadGateway, metav1.StatusReasonUnknown), http.StatusServiceUnavailable},
		{"gateway timeout from a proxy", status(http.StatusGatewayTimeout, metav1.StatusReasonUnknown), http.StatusServiceUnavailable},
		{"unexpected server error", apierrors.NewGenericServerResponse(http.StatusInternalServerError, "POST", gr, "u", "boom", 0, true), http.StatusServiceUnavailable},
		{"response body cut off", fmt.Errorf("unexpected error when reading response body. Please retry. Original error: %w", io.ErrUnexpectedEOF), http.StatusServiceUnavailable},
		{"EOF", urlErr(io.EOF), http.StatusServiceUnavailable},
		{"connection reset", urlErr(&net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}), http.StatusServiceUnavailable},
		{"connection refused", urlErr(&net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}), http.StatusServiceUnavailable},
		{"broken pipe", fmt.Errorf("write: %w", syscall.EPIPE), http.StatusServiceUnavailable},
		{"http2 GOAWAY", urlErr(errors.New(`http2: server sent GOAWAY and closed the connection; LastStreamID=7, ErrCode=NO_ERROR, debug=""`)), http.StatusServiceUnavailable},
		{"http2 connection lost", urlErr(errors.New("http2: client connection lost")), http.StatusServiceUnavailable},
		{"closed connection", fmt.Errorf("read: %w", net.ErrClosed), http.StatusServiceUnavailable},
		{"deadline", fmt.Errorf("failed to wait for cache: %w", context.DeadlineExceeded), http.StatusServiceUnavailable},
		{"canceled", context.Canceled, http.StatusServiceUnavailable},
		{"forbidden (the operator's RBAC)", apierrors.NewForbidden(gr, "u", errors.New("rbac")), 0},
		{"unauthorized (the operator's credentials)", apierrors.NewUnauthorized("token"), 0},
		{"method not supported", apierrors.NewMethodNotSupported(gr, "patch"), 0},
		{"a bug", errors.New("no kind is registered for the type"), 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := fromAPI(c.err)
			e := scimerr.As(got)
			switch {
			case c.want == 0 && e != nil:
				t.Errorf("%v: became SCIM %d, want the error itself (a logged 500)", c.err, e.Status)
			case c.want == 0:
			case e == nil:
				t.Errorf("%v: not a SCIM error (500), want %d", c.err, c.want)
			case e.Status != c.want:
				t.Errorf("%v: %d, want %d", c.err, e.Status, c.want)
			case c.want == http.StatusServiceUnavailable && e.RetryAfter <= 0:
				t.Errorf("%v: 503 without Retry-After", c.err)
			}
		})
	}
}
