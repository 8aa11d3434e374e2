package scimserver

import (
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/internal/scimerr"
)

// TenantLimits are the limits of a tenant whose ScimTenant does not set them; 0 turns a limit
// off. Each tenant has its own: one tenant using up its share slows down no other.
type TenantLimits struct {
	// RequestsPerSecond is the sustained request rate; over it: 429 with Retry-After.
	RequestsPerSecond int
	// Burst is how many requests may arrive at once.
	Burst int
	// MaxInFlight is how many requests are served at once; one more gets 429 with Retry-After.
	MaxInFlight int
}

// tenantLimits applies each tenant's rate and concurrency limits: its rateLimit setting, or
// the server's defaults for what the setting leaves out. A tenant's state is rebuilt when its
// limits change.
type tenantLimits struct {
	defaults TenantLimits
	byTenant sync.Map // namespace → *tenantLimiter
}

type tenantLimiter struct {
	limits   TenantLimits
	limiter  *rate.Limiter // nil: no rate limit
	inFlight atomic.Int64
}

// effective are the limits of a tenant with setting (nil: none).
func (l *tenantLimits) effective(setting *scimv1.RateLimit) TenantLimits {
	eff := l.defaults
	if setting == nil {
		return eff
	}
	if setting.RequestsPerSecond != nil {
		eff.RequestsPerSecond = int(*setting.RequestsPerSecond)
		eff.Burst = eff.RequestsPerSecond
	}
	if setting.Burst > 0 {
		eff.Burst = int(setting.Burst)
	}
	if setting.MaxInFlight != nil {
		eff.MaxInFlight = int(*setting.MaxInFlight)
	}
	return eff
}

// acquire admits one request of the tenant of namespace ns, or returns a 429 saying when to
// retry. An admitted request is released when it is answered.
func (l *tenantLimits) acquire(ns string, setting *scimv1.RateLimit) (*tenantLimiter, error) {
	limits := l.effective(setting)
	var current *tenantLimiter
	if v, ok := l.byTenant.Load(ns); ok {
		current = v.(*tenantLimiter)
	}
	if current == nil || current.limits != limits {
		current = &tenantLimiter{limits: limits}
		if limits.RequestsPerSecond > 0 {
			current.limiter = rate.NewLimiter(rate.Limit(limits.RequestsPerSecond), max(limits.Burst, 1))
		}
		l.byTenant.Store(ns, current)
	}
	if current.limiter != nil {
		r := current.limiter.Reserve()
		if delay := r.Delay(); delay > 0 {
			r.Cancel()
			return nil, tooManyRequests(delay, "the tenant's request rate limit is exceeded")
		}
	}
	if limits.MaxInFlight > 0 && current.inFlight.Add(1) > int64(limits.MaxInFlight) {
		current.inFlight.Add(-1)
		return nil, tooManyRequests(time.Second, "the tenant has too many requests in progress")
	}
	return current, nil
}

// release ends a request that acquire admitted.
func (t *tenantLimiter) release() {
	if t.limits.MaxInFlight > 0 {
		t.inFlight.Add(-1)
	}
}

func tooManyRequests(wait time.Duration, detail string) *scimerr.Error {
	e := scimerr.New(http.StatusTooManyRequests, "", "%s", detail)
	e.RetryAfter = max(wait, time.Second)
	return e
}
