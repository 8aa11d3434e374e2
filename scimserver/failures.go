package scimserver

import (
	"container/list"
	"hash/maphash"
	"math"
	"sync"
	"time"
)

// failedLogins counts failed authentications per key (a client address, with the user name or
// client id it tried when there is one) in a token bucket: burst failures, refilled at perSec.
//
// It never refuses anything itself: the server checks credentials first and asks failed only
// when they are wrong, so a valid credential is served whoever else fails from the same
// address. A key that is over its budget gets 429 with Retry-After instead of 401.
//
// Memory is bounded: at most maxKeys keys, spread over shards that each forget their least
// recently failed key when full. Forgetting can only forgive a failing client early; since
// valid credentials never depend on this table, an attacker flooding it with fresh keys
// locks nobody out. Each request locks one shard, and nothing is ever scanned.
type failedLogins struct {
	shards []failureShard
	seed   maphash.Seed
	perSec float64
	burst  float64
	now    func() time.Time
}

const failureShards = 64

type failureShard struct {
	mu      sync.Mutex
	entries map[uint64]*list.Element // of *failureBucket
	recent  list.List                // most recently failed first
	max     int
}

type failureBucket struct {
	key    uint64
	tokens float64
	at     time.Time
}

func newFailedLogins(burst int, perSecond float64, maxKeys int) *failedLogins {
	f := &failedLogins{shards: make([]failureShard, failureShards), seed: maphash.MakeSeed(),
		perSec: perSecond, burst: float64(burst), now: time.Now}
	perShard := max(maxKeys/failureShards, 1)
	for i := range f.shards {
		f.shards[i].entries = map[uint64]*list.Element{}
		f.shards[i].max = perShard
	}
	return f
}

// failureKey names what a failure counts against. Keys are hashed: a client chooses the user
// name it sends, and its length must not cost memory.
func (f *failedLogins) failureKey(addr, identity string) uint64 {
	var h maphash.Hash
	h.SetSeed(f.seed)
	h.WriteString(addr)
	h.WriteByte(0)
	h.WriteString(identity)
	return h.Sum64()
}

// failed records one failure of key. When the key has no failure left in its budget it
// returns how long until it has one again, and true.
func (f *failedLogins) failed(key uint64) (time.Duration, bool) {
	s := &f.shards[key%failureShards]
	now := f.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	var b *failureBucket
	if e, ok := s.entries[key]; ok {
		s.recent.MoveToFront(e)
		b = e.Value.(*failureBucket)
		b.tokens = min(f.burst, b.tokens+now.Sub(b.at).Seconds()*f.perSec)
		b.at = now
	} else {
		if len(s.entries) >= s.max {
			oldest := s.recent.Back()
			s.recent.Remove(oldest)
			delete(s.entries, oldest.Value.(*failureBucket).key)
		}
		b = &failureBucket{key: key, tokens: f.burst, at: now}
		s.entries[key] = s.recent.PushFront(b)
	}
	if b.tokens < 1 {
		return time.Duration(math.Ceil((1-b.tokens)/f.perSec)) * time.Second, true
	}
	b.tokens--
	return 0, false
}

// size is the number of keys remembered.
func (f *failedLogins) size() int {
	n := 0
	for i := range f.shards {
		s := &f.shards[i]
		s.mu.Lock()
		n += len(s.entries)
		s.mu.Unlock()
	}
	return n
}
