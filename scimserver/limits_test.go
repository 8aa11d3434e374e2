package scimserver

import (
	"net/http"
	"testing"

	"k8s.io/utils/ptr"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/internal/scimerr"
)

func expect429(t *testing.T, what string, err error) {
	t.Helper()
	e := scimerr.As(err)
	if e == nil || e.Status != http.StatusTooManyRequests || e.RetryAfter <= 0 {
		t.Errorf("%s: %v, want 429 with Retry-After", what, err)
	}
}

// A tenant that sets nothing gets the server's default limits.
func TestTenantLimitsDefaultIsOn(t *testing.T) {
	l := &tenantLimits{defaults: DefaultTenantLimits}
	var err error
	for range DefaultTenantLimits.Burst + 1 {
		var admitted *tenantLimiter
		if admitted, err = l.acquire("quiet", nil); err != nil {
			break
		}
		admitted.release()
	}
	expect429(t, "a burst over the default", err)
	if _, err := l.acquire("other", nil); err != nil {
		t.Errorf("another tenant was limited: %v", err)
	}
}

func TestTenantLimitsInFlight(t *testing.T) {
	l := &tenantLimits{defaults: DefaultTenantLimits}
	setting := &scimv1.RateLimit{RequestsPerSecond: ptr.To[int32](0), MaxInFlight: ptr.To[int32](2)}
	a, err := l.acquire("t", setting)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.acquire("t", setting); err != nil {
		t.Fatal(err)
	}
	_, err = l.acquire("t", setting)
	expect429(t, "a third request in flight", err)
	if _, err := l.acquire("u", setting); err != nil {
		t.Errorf("another tenant: %v", err)
	}
	a.release()
	if _, err := l.acquire("t", setting); err != nil {
		t.Errorf("after one was answered: %v", err)
	}
}

// 0 turns a limit off, in the tenant's setting or in the server's defaults.
func TestTenantLimitsOff(t *testing.T) {
	off := &scimv1.RateLimit{RequestsPerSecond: ptr.To[int32](0), MaxInFlight: ptr.To[int32](0)}
	for name, c := range map[string]struct {
		defaults TenantLimits
		setting  *scimv1.RateLimit
	}{
		"by the tenant":   {DefaultTenantLimits, off},
		"by the operator": {TenantLimits{}, nil},
	} {
		l := &tenantLimits{defaults: c.defaults}
		for i := range 10_000 {
			if _, err := l.acquire("busy", c.setting); err != nil {
				t.Fatalf("%s: request %d: %v", name, i, err)
			}
		}
	}
}
