package controllers

import (
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/connectors"
	"github.com/scim-operator/scim-operator/internal/provisioning"
)

// How often an app's health is checked while something is wrong with it. A Ready app whose
// users all succeed is checked once per resyncPeriod; an unreachable one after 1, 2, 4, then
// every unreachableCheckCap seconds, so that it is Ready again within that bound of answering
// (and its pending users retried at once, see appChanged); a Ready app whose users fail every
// failingUsersCheck, which finds an outage within seconds of the first failures.
const (
	unreachableCheckCap = 5 * time.Second
	failingUsersCheck   = 5 * time.Second
)

// appHealth remembers when each app was last checked and how that went. It is kept in memory
// by the leader: after a restart every app is checked at once.
type appHealth struct {
	mu     sync.Mutex
	checks map[types.NamespacedName]appCheck
}

type appCheck struct {
	uid         types.UID
	generation  int64
	at          time.Time
	unreachable int // checks in a row that failed with other than a configuration error
	next        time.Time
}

// due reports whether app should be checked now: never checked in its generation, its next
// check has come, or users failed since the last check and that was failingUsersCheck ago.
func (h *appHealth) due(app *scimv1.ScimApp, failedSinceCheck bool, now time.Time) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	c, ok := h.checks[appKey(app)]
	switch {
	case !ok || c.uid != app.UID || c.generation != app.Generation:
		return true
	case !now.Before(c.next):
		return true
	}
	return failedSinceCheck && !now.Before(c.at.Add(failingUsersCheck))
}

// lastCheck is when app was last checked, zero if never.
func (h *appHealth) lastCheck(app *scimv1.ScimApp) time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.checks[appKey(app)].at
}

// checked records a check of app and schedules the next one: see the constants above. A
// configuration error is not retried before the resync period: something has to change
// (the ScimApp's generation, which makes a check due at once).
func (h *appHealth) checked(app *scimv1.ScimApp, err error, usersFailing bool, now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.checks == nil {
		h.checks = map[types.NamespacedName]appCheck{}
	}
	c := h.checks[appKey(app)]
	c.uid, c.generation, c.at = app.UID, app.Generation, now
	resync := provisioning.ResyncPeriod([]scimv1.ScimApp{*app})
	switch {
	case err != nil && !connectors.IsConfig(err):
		c.unreachable++
		c.next = now.Add(min(time.Second<<min(c.unreachable-1, 8), unreachableCheckCap, resync))
	case err != nil:
		c.unreachable = 0
		c.next = now.Add(resync)
	default:
		c.unreachable = 0
		c.next = now.Add(resync)
		if usersFailing {
			c.next = now.Add(min(failingUsersCheck, resync))
		}
	}
	h.checks[appKey(app)] = c
}

// untilNext is how long until app should be looked at again, given whether users failed
// since its last check.
func (h *appHealth) untilNext(app *scimv1.ScimApp, failedSinceCheck bool, now time.Time) time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	c, ok := h.checks[appKey(app)]
	if !ok {
		return 0
	}
	next := c.next
	if failedSinceCheck {
		next = minTime(next, c.at.Add(failingUsersCheck))
	}
	return max(next.Sub(now), 100*time.Millisecond)
}

func (h *appHealth) forget(app types.NamespacedName) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.checks, app)
}

func appKey(app *scimv1.ScimApp) types.NamespacedName {
	return types.NamespacedName{Namespace: app.Namespace, Name: app.Name}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
