package scimserver

import (
	"fmt"
	"net/netip"
	"testing"
	"time"
)

func TestFailedLoginsThrottleOneKeyOnly(t *testing.T) {
	f := newFailedLogins(3, 1, 1024)
	now := time.Unix(1000, 0)
	f.now = func() time.Time { return now }
	key := f.failureKey("192.0.2.1", "basic:alice")
	for i := range 3 {
		if _, over := f.failed(key); over {
			t.Fatalf("failure %d of a burst of 3 throttled", i+1)
		}
	}
	wait, over := f.failed(key)
	if !over || wait != time.Second {
		t.Fatalf("4th failure: over %v, wait %v", over, wait)
	}
	if _, over := f.failed(f.failureKey("192.0.2.1", "basic:bob")); over {
		t.Error("another user at the same address was throttled")
	}
	now = now.Add(time.Second)
	if _, over := f.failed(key); over {
		t.Error("not forgiven one failure a second later")
	}
}

// An attacker sending from ever new IPv6 addresses, or ever new user names, fills the table
// up to its bound and no further.
func TestFailedLoginsStayBounded(t *testing.T) {
	const maxKeys = 4096
	f := newFailedLogins(20, 1, maxKeys)
	base := netip.MustParseAddr("2001:db8::")
	for i := range 200_000 {
		b := base.As16()
		b[6], b[7], b[15] = byte(i>>16), byte(i>>8), byte(i) // a new /64 each time
		f.failed(f.failureKey(addrGroup(netip.AddrFrom16(b)), fmt.Sprint("basic:", i)))
	}
	if n := f.size(); n > maxKeys {
		t.Errorf("%d keys remembered, bound %d", n, maxKeys)
	}
	// The least recently failing are forgotten, the latest are kept.
	last := f.failureKey("198.51.100.1", "")
	for range 20 {
		f.failed(last)
	}
	for i := range 1000 {
		f.failed(f.failureKey("203.0.113.1", fmt.Sprint(i)))
	}
	if _, over := f.failed(last); !over {
		t.Error("a key that failed recently was forgotten")
	}
}

// Many clients failing at once never wait on one lock: a data race or a deadlock here shows
// under -race.
func TestFailedLoginsConcurrent(t *testing.T) {
	f := newFailedLogins(5, 1, 256)
	done := make(chan struct{})
	for g := range 8 {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range 2000 {
				f.failed(f.failureKey(fmt.Sprint(g), fmt.Sprint(i%300)))
			}
		}()
	}
	for range 8 {
		<-done
	}
	if n := f.size(); n > 256 {
		t.Errorf("%d keys, bound 256", n)
	}
}
