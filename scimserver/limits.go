package scimserver

import (
	"math"
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/internal/scimerr"
)

// tenantLimits applies each tenant's rateLimit setting: one token bucket per tenant, rebuilt
// when the setting changes.
type tenantLimits struct {
	mu       sync.Mutex
	limiters map[string]tenantLimiter
}

type tenantLimiter struct {
	setting scimv1.RateLimit
	limiter *rate.Limiter
}

// allow takes one request from the tenant's bucket, or returns a 429 saying when to retry.
func (l *tenantLimits) allow(ns string, setting *scimv1.RateLimit) error {
	if setting == nil {
		return nil
	}
	l.mu.Lock()
	current, ok := l.limiters[ns]
	if !ok || current.setting != *setting {
		burst := int(setting.Burst)
		if burst == 0 {
			burst = int(setting.RequestsPerSecond)
		}
		current = tenantLimiter{setting: *setting, limiter: rate.NewLimiter(rate.Limit(setting.RequestsPerSecond), burst)}
		if l.limiters == nil {
			l.limiters = map[string]tenantLimiter{}
		}
		l.limiters[ns] = current
	}
	l.mu.Unlock()
	r := current.limiter.Reserve()
	if delay := r.Delay(); delay > 0 {
		r.Cancel()
		return tooManyRequests(delay, "the tenant's request rate limit is exceeded")
	}
	return nil
}

// failedLogins slows down clients that keep presenting bad credentials: after a burst of
// failures from one address, that address is refused with 429 for a while without its
// credentials even being checked, which makes guessing tokens impractical.
type failedLogins struct {
	mu      sync.Mutex
	byAddr  map[string]*rate.Limiter
	perSec  rate.Limit
	burst   int
	maxAddr int
}

func newFailedLogins(burst int, perSecond float64) *failedLogins {
	return &failedLogins{byAddr: map[string]*rate.Limiter{}, perSec: rate.Limit(perSecond), burst: burst, maxAddr: 10000}
}

// check refuses an address that has used up its failures.
func (f *failedLogins) check(r *http.Request) error {
	f.mu.Lock()
	lim := f.byAddr[clientAddr(r)]
	f.mu.Unlock()
	if lim == nil || lim.Tokens() >= 1 {
		return nil
	}
	wait := time.Duration(math.Ceil((1-lim.Tokens())/float64(f.perSec))) * time.Second
	return tooManyRequests(wait, "too many failed authentication attempts from this address")
}

// failed records a failed authentication from the request's address.
func (f *failedLogins) failed(r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	addr := clientAddr(r)
	lim := f.byAddr[addr]
	if lim == nil {
		if len(f.byAddr) >= f.maxAddr {
			f.forgetRecovered()
		}
		lim = rate.NewLimiter(f.perSec, f.burst)
		f.byAddr[addr] = lim
	}
	lim.Allow()
}

// forgetRecovered drops addresses whose bucket has refilled, bounding memory.
func (f *failedLogins) forgetRecovered() {
	for addr, lim := range f.byAddr {
		if lim.Tokens() >= float64(f.burst) {
			delete(f.byAddr, addr)
		}
	}
}

// clientAddr is the peer's IP address. X-Forwarded-For is not trusted: a client could set it.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func tooManyRequests(wait time.Duration, detail string) *scimerr.Error {
	e := scimerr.New(http.StatusTooManyRequests, "", "%s", detail)
	e.RetryAfter = max(wait, time.Second)
	return e
}
