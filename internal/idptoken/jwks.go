package idptoken

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

const (
	// refreshInterval bounds how long a key the provider withdrew keeps being trusted.
	refreshInterval = 10 * time.Minute
	// minRefetchInterval bounds fetches: a token naming an unknown key id is attacker-controlled
	// input, and must not turn us into a load generator against the provider.
	minRefetchInterval = 30 * time.Second
	fetchTimeout       = 10 * time.Second
	maxJWKSBytes       = 1 << 20
)

// keyCache holds the signing keys of each JWKS URL.
type keyCache struct {
	client *http.Client
	now    func() time.Time

	mu   sync.Mutex
	sets map[string]*keySet
}

// keySet is the state of one JWKS URL. Guarded by keyCache.mu.
type keySet struct {
	keys      []jose.JSONWebKey // public signing keys of the last good fetch
	fetched   time.Time         // when keys were fetched
	attempted time.Time         // when the last fetch started, good or not
	err       error             // why the last fetch failed; nil if it did not
	done      chan struct{}     // while a fetch runs: closed when it ends
}

func newKeyCache(client *http.Client, now func() time.Time) *keyCache {
	return &keyCache{client: client, now: now, sets: map[string]*keySet{}}
}

// key returns the key of url's set that a token with header kid and alg names, fetching the set
// when it is unknown or old, at most once per minRefetchInterval. Concurrent callers share one
// fetch; a caller whose ctx ends stops waiting, but the fetch goes on for the others.
func (c *keyCache) key(ctx context.Context, url, kid, alg string) (*jose.JSONWebKey, error) {
	for {
		c.mu.Lock()
		s := c.sets[url]
		if s == nil {
			s = &keySet{}
			c.sets[url] = s
		}
		now := c.now()
		k := s.find(kid, alg)
		if k != nil && now.Sub(s.fetched) < refreshInterval {
			c.mu.Unlock()
			return k, nil
		}
		if s.done == nil && (s.attempted.IsZero() || now.Sub(s.attempted) >= minRefetchInterval) {
			s.attempted = now
			s.done = make(chan struct{})
			// The fetch outlives this caller's cancellation: others may be waiting on it.
			go c.fetch(context.WithoutCancel(ctx), url, s)
		}
		done, lastErr := s.done, s.err
		c.mu.Unlock()

		if done == nil {
			switch {
			case k != nil:
				return k, nil // old, but refreshing is not allowed yet
			case lastErr != nil:
				return nil, fmt.Errorf("%w: %w", ErrKeysUnavailable, lastErr)
			default:
				return nil, fmt.Errorf("%w: no key of the provider's key set matches the token's kid", ErrInvalidToken)
			}
		}
		select {
		case <-done:
			// Look again: this fetch counts as the attempt, so the loop ends next time round.
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: %w", ErrKeysUnavailable, ctx.Err())
		}
	}
}

// find returns the key a token names, or nil. A token without kid is accepted only from a
// provider with a single key, where it is unambiguous.
func (s *keySet) find(kid, alg string) *jose.JSONWebKey {
	if kid == "" && len(s.keys) != 1 {
		return nil
	}
	for i := range s.keys {
		k := &s.keys[i]
		if (kid == "" || k.KeyID == kid) && (k.Algorithm == "" || k.Algorithm == alg) {
			return k
		}
	}
	return nil
}

// fetch loads url's key set into s and ends the fetch s.done announces. A failed fetch keeps
// the keys of the last good one.
func (c *keyCache) fetch(ctx context.Context, url string, s *keySet) {
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	keys, err := c.get(ctx, url)

	c.mu.Lock()
	defer c.mu.Unlock()
	s.err = err
	if err == nil {
		s.keys, s.fetched = keys, c.now()
	}
	close(s.done)
	s.done = nil
}

// get downloads and parses the JSON Web Key Set at url.
func (c *keyCache) get(ctx context.Context, url string) ([]jose.JSONWebKey, error) {
	// The CRD refuses such URLs too; this also covers objects stored before it did.
	if err := CheckJWKSURL(url); err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("JWKS URL %q: %w", url, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, err // names the URL, never with a password
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetching JWKS %s: status %d", url, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading JWKS %s: %w", url, err)
	}
	if len(body) > maxJWKSBytes {
		return nil, fmt.Errorf("JWKS %s is larger than %d bytes", url, maxJWKSBytes)
	}
	keys, err := parseKeySet(body)
	if err != nil {
		return nil, fmt.Errorf("JWKS %s: %w", url, err)
	}
	return keys, nil
}

// parseKeySet returns the public signing keys of a JSON Web Key Set. Keys are decoded one by
// one so that a key of a type go-jose does not know (providers add new ones) does not hide
// the others; symmetric and private keys are dropped, never used.
func parseKeySet(body []byte) ([]jose.JSONWebKey, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, errors.New("not a JSON Web Key Set")
	}
	var keys []jose.JSONWebKey
	for _, raw := range set.Keys {
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(raw); err != nil {
			continue
		}
		if !k.Valid() || !k.IsPublic() || (k.Use != "" && k.Use != "sig") {
			continue
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, errors.New("no usable public signing key")
	}
	return keys, nil
}
