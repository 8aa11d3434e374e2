package idptoken

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// step is one Verify call of a scenario: after moving the clock by advance, token must give
// wantErr, and the JWKS server must have been asked wantFetches times in all.
type step struct {
	reason      string
	advance     time.Duration
	token       string
	wantErr     error
	wantFetches int32
}

func runSteps(t *testing.T, server *jwksServer, steps []step) {
	t.Helper()
	v, clk := newTestVerifier(server)
	for i, s := range steps {
		clk.Advance(s.advance)
		_, err := v.Verify(context.Background(), s.token, server.config())
		if diff := cmp.Diff(s.wantErr, err, cmpopts.EquateErrors()); diff != "" {
			t.Errorf("step %d: %s\nVerify(...): -want error, +got error:\n%s", i, s.reason, diff)
		}
		if got := server.requests.Load(); got != s.wantFetches {
			t.Errorf("step %d: %s\nJWKS fetches = %d, want %d", i, s.reason, got, s.wantFetches)
		}
	}
}

func TestKeyRotation(t *testing.T) {
	oldKey, newKey := newRSAKey(t, "old"), newRSAKey(t, "new")
	server := newJWKSServer(t, oldKey)
	oldToken, newToken := sign(t, oldKey, "", goodClaims()), sign(t, newKey, "", goodClaims())

	v, clk := newTestVerifier(server)
	verify := func(token string) error {
		_, err := v.Verify(context.Background(), token, server.config())
		return err
	}
	if err := verify(oldToken); err != nil {
		t.Fatalf("a token of the published key: Verify(...) = %v", err)
	}
	server.setKeys(t, newKey) // the provider rotates
	clk.Advance(minRefetchInterval)
	if err := verify(newToken); err != nil {
		t.Errorf("a token of the new key, after the set is refetched: Verify(...) = %v", err)
	}
	if err := verify(oldToken); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("a token of the withdrawn key: Verify(...) = %v, want %v", err, ErrInvalidToken)
	}
	if got := server.requests.Load(); got != 2 {
		t.Errorf("JWKS fetches = %d, want 2: the first load and one refetch for the new kid", got)
	}
}

func TestRefetchRateLimit(t *testing.T) {
	key, stranger := newRSAKey(t, "rsa-1"), newRSAKey(t, "stranger")
	server := newJWKSServer(t, key)
	unknown := sign(t, stranger, "", goodClaims())
	runSteps(t, server, []step{
		{reason: "the first token loads the set.", token: unknown, wantErr: ErrInvalidToken, wantFetches: 1},
		{reason: "an unknown kid 29 s later does not refetch.", advance: 29 * time.Second, token: unknown, wantErr: ErrInvalidToken, wantFetches: 1},
		{reason: "an unknown kid 30 s after the last fetch refetches once.", advance: time.Second, token: unknown, wantErr: ErrInvalidToken, wantFetches: 2},
		{reason: "and not again right away.", token: unknown, wantErr: ErrInvalidToken, wantFetches: 2},
	})
}

func TestPeriodicRefresh(t *testing.T) {
	key := newRSAKey(t, "rsa-1")
	server := newJWKSServer(t, key)
	token := sign(t, key, "", goodClaims()) // valid for an hour
	runSteps(t, server, []step{
		{reason: "the first token loads the set.", token: token, wantFetches: 1},
		{reason: "a known kid within 10 min uses the cache.", advance: 9 * time.Minute, token: token, wantFetches: 1},
		{reason: "after 10 min the set is fetched again.", advance: time.Minute, token: token, wantFetches: 2},
	})
}

func TestFetchFailures(t *testing.T) {
	key := newRSAKey(t, "rsa-1")
	token := sign(t, key, "", goodClaims())
	cases := map[string]struct {
		reason string
		status int
		body   string
	}{
		"server error": {
			reason: "a 5xx from the JWKS URL.",
			status: http.StatusInternalServerError,
			body:   "oops",
		},
		"not JSON": {
			reason: "a page that is not a key set, say a login page.",
			status: http.StatusOK,
			body:   "<html></html>",
		},
		"too large": {
			reason: "a body over 1 MiB is not read to the end.",
			status: http.StatusOK,
			body:   `{"keys":[],"pad":"` + strings.Repeat("x", maxJWKSBytes) + `"}`,
		},
		"no usable key": {
			reason: "a set of symmetric keys only is no set of signing keys.",
			status: http.StatusOK,
			body:   `{"keys":[{"kty":"oct","kid":"rsa-1","k":"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"}]}`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			server := newJWKSServer(t)
			server.respond(tc.status, []byte(tc.body))
			v, _ := newTestVerifier(server)
			_, err := v.Verify(context.Background(), token, server.config())
			if !errors.Is(err, ErrKeysUnavailable) {
				t.Errorf("%s\nVerify(...) = %v, want %v", tc.reason, err, ErrKeysUnavailable)
			}
		})
	}
}

func TestServerDown(t *testing.T) {
	key := newRSAKey(t, "rsa-1")
	token := sign(t, key, "", goodClaims())
	server := newJWKSServer(t, key)
	v, clk := newTestVerifier(server)
	verify := func() error {
		_, err := v.Verify(context.Background(), token, server.config())
		return err
	}

	if err := verify(); err != nil {
		t.Fatalf("while the server is up: Verify(...) = %v", err)
	}
	server.Close()
	clk.Advance(refreshInterval)
	if err := verify(); err != nil {
		t.Errorf("server down, keys due for refresh: Verify(...) = %v, want the last good keys used", err)
	}

	cold, _ := newTestVerifier(server)
	if _, err := cold.Verify(context.Background(), token, server.config()); !errors.Is(err, ErrKeysUnavailable) {
		t.Errorf("server down, no keys ever fetched: Verify(...) = %v, want %v", err, ErrKeysUnavailable)
	}
}

func TestConcurrentVerifyShareOneFetch(t *testing.T) {
	key := newRSAKey(t, "rsa-1")
	server := newJWKSServer(t, key)
	server.mu.Lock()
	server.delay = 50 * time.Millisecond // keep the fetch in flight while the others arrive
	server.mu.Unlock()
	token := sign(t, key, "", goodClaims())
	v, _ := newTestVerifier(server)

	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = v.Verify(context.Background(), token, server.config())
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("call %d: Verify(...) = %v", i, err)
		}
	}
	if got := server.requests.Load(); got != 1 {
		t.Errorf("JWKS fetches = %d, want 1 shared by all calls", got)
	}
}

func TestVerifyCancelledWhileFetching(t *testing.T) {
	key := newRSAKey(t, "rsa-1")
	server := newJWKSServer(t, key)
	server.mu.Lock()
	server.delay = time.Second
	server.mu.Unlock()
	v, _ := newTestVerifier(server)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := v.Verify(ctx, sign(t, key, "", goodClaims()), server.config())
	if !errors.Is(err, ErrKeysUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Verify(...) = %v, want %v wrapping %v", err, ErrKeysUnavailable, context.DeadlineExceeded)
	}
	if elapsed := time.Since(start); elapsed > 500*time.Millisecond {
		t.Errorf("Verify returned after %s: a caller must not wait out a fetch once its context ends", elapsed)
	}
}
