package idptoken

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestCheckJWKSURL(t *testing.T) {
	cases := map[string]struct {
		reason  string
		url     string
		wantErr error
	}{
		"https":             {"a provider publishes its keys over https.", "https://login.microsoftonline.com/common/discovery/keys", nil},
		"http on 127.0.0.1": {"tests serve key sets on loopback.", "http://127.0.0.1:8080/keys", nil},
		"http on ::1":       {"IPv6 loopback is loopback too.", "http://[::1]:8080/keys", nil},
		"http on localhost": {"localhost names loopback.", "http://localhost:8080/keys", nil},
		"http elsewhere": {"over plain http anyone on the path could substitute keys.",
			"http://login.example.com/keys", ErrJWKSURL},
		"user information hiding the host": {"the host is 169.254.169.254, not localhost.",
			"http://localhost@169.254.169.254/latest/meta-data/", ErrJWKSURL},
		"a host starting with localhost": {"localhost.evil.example is a public name.",
			"http://localhost.evil.example/keys", ErrJWKSURL},
		"https with a password": {"a password in the URL would end up in errors and logs.",
			"https://user:pw@login.example.com/keys", ErrJWKSURL},
		"another scheme": {"only http(s) is fetched.", "file:///etc/passwd", ErrJWKSURL},
		"relative":       {"a URL without a host cannot be fetched.", "/keys", ErrJWKSURL},
		"no host":        {"https:// alone names nothing.", "https://", ErrJWKSURL},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := CheckJWKSURL(tc.url)
			if diff := cmp.Diff(tc.wantErr, err, cmpopts.EquateErrors()); diff != "" {
				t.Errorf("%s\nCheckJWKSURL(%q): -want error, +got error:\n%s", tc.reason, tc.url, diff)
			}
		})
	}
}

func TestDialControl(t *testing.T) {
	cases := map[string]struct {
		reason  string
		address string
		refused bool
	}{
		"loopback":            {"tests' key sets are on loopback.", "127.0.0.1:443", false},
		"public":              {"providers are on the internet.", "20.190.128.1:443", false},
		"private":             {"an in-cluster provider (Keycloak, Dex) has a private address.", "10.0.0.7:443", false},
		"metadata":            {"the cloud metadata service hands out credentials.", "169.254.169.254:80", true},
		"link-local":          {"all of 169.254.0.0/16 is link-local.", "169.254.1.2:80", true},
		"IPv6 link-local":     {"fe80::/10 is link-local.", "[fe80::1]:80", true},
		"IPv4-mapped":         {"an IPv4-mapped IPv6 address is the IPv4 address.", "[::ffff:169.254.169.254]:80", true},
		"AWS IPv6 metadata":   {"AWS serves metadata on fd00:ec2::254 too.", "[fd00:ec2::254]:80", true},
		"Alibaba metadata":    {"Alibaba Cloud serves metadata on 100.100.100.200.", "100.100.100.200:80", true},
		"unspecified address": {"0.0.0.0 reaches the machine's own services.", "0.0.0.0:80", true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := dialControl("tcp", tc.address, nil)
			if refused := errors.Is(err, ErrJWKSURL); refused != tc.refused {
				t.Errorf("%s\ndialControl(%q) = %v, want refused=%v", tc.reason, tc.address, err, tc.refused)
			}
		})
	}
}

// verifyWith verifies a good token of key against a key set at url, fetched by client.
func verifyWith(t *testing.T, client *http.Client, key signingKey, url string) error {
	t.Helper()
	v := NewVerifier(client)
	v.now = func() time.Time { return testNow }
	cfg := Config{Issuer: testIssuer, Audiences: []string{testAudience}, JWKSURL: url}
	_, err := v.Verify(context.Background(), sign(t, key, "", goodClaims()), cfg)
	return err
}

func TestJWKSRedirects(t *testing.T) {
	key := newRSAKey(t, "k1")
	keys := newJWKSServer(t, key) // another host: another port of loopback

	mux := http.NewServeMux()
	mux.Handle("/keys", keys.Config.Handler)
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/keys", http.StatusFound) })
	mux.HandleFunc("/elsewhere", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, keys.URL+"/keys", http.StatusFound)
	})
	plain := httptest.NewServer(mux)
	t.Cleanup(plain.Close)
	secure := httptest.NewTLSServer(mux)
	t.Cleanup(secure.Close)
	secureMux := http.NewServeMux()
	secureMux.HandleFunc("/downgrade", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, plain.URL+"/keys", http.StatusFound)
	})
	downgrading := httptest.NewTLSServer(secureMux)
	t.Cleanup(downgrading.Close)
	trusting := func(s *httptest.Server) *http.Client {
		return NewHTTPClient(s.Client().Transport.(*http.Transport).TLSClientConfig)
	}

	if err := verifyWith(t, NewHTTPClient(nil), key, plain.URL+"/moved"); err != nil {
		t.Errorf("a redirect within the provider's host: Verify(...) = %v, want nil", err)
	}
	if err := verifyWith(t, trusting(secure), key, secure.URL+"/moved"); err != nil {
		t.Errorf("a redirect within the provider's https host: Verify(...) = %v, want nil", err)
	}
	before := keys.requests.Load()
	if err := verifyWith(t, NewHTTPClient(nil), key, plain.URL+"/elsewhere"); !errors.Is(err, ErrKeysUnavailable) {
		t.Errorf("a redirect to another host: Verify(...) = %v, want %v", err, ErrKeysUnavailable)
	}
	if err := verifyWith(t, trusting(downgrading), key, downgrading.URL+"/downgrade"); !errors.Is(err, ErrKeysUnavailable) {
		t.Errorf("a redirect from https to http: Verify(...) = %v, want %v", err, ErrKeysUnavailable)
	}
	if got := keys.requests.Load() - before; got != 0 {
		t.Errorf("the key server was reached %d times through refused redirects", got)
	}
}

func TestJWKSNeverFetchedFromMetadataAddresses(t *testing.T) {
	key := newRSAKey(t, "k1")
	for _, url := range []string{
		"https://169.254.169.254/latest/meta-data/iam/security-credentials/",
		"https://[fe80::1]/keys",
		"http://localhost@169.254.169.254/keys",
	} {
		err := verifyWith(t, NewHTTPClient(nil), key, url)
		if !errors.Is(err, ErrJWKSURL) {
			t.Errorf("JWKS URL %s: Verify(...) = %v, want %v", url, err, ErrJWKSURL)
		}
	}
}
