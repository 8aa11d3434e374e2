package operator_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/internal/tenant"
)

// from sends requests from a loopback address of its own, as a client behind a proxy at that
// address would appear.
type from struct {
	t      *testing.T
	client *http.Client
}

func fromAddr(t *testing.T, ip string) from {
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	return from{t: t, client: &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext}}}
}

// do sends a request with the given headers (name, value, ...) and returns its status and
// Retry-After.
func (f from) do(method, url, contentType, body string, headers ...string) (int, string) {
	f.t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := f.client.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode, res.Header.Get("Retry-After")
}

func (f from) scim(authorization string, headers ...string) (int, string) {
	f.t.Helper()
	return f.do(http.MethodGet, scimURL+"/Users", "application/scim+json", "", append([]string{"Authorization", authorization}, headers...)...)
}

func (f from) token(clientID, secret string) (int, string) {
	f.t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {secret}}
	return f.do(http.MethodPost, strings.TrimSuffix(scimURL, "/scim/v2")+"/oauth2/token", "application/x-www-form-urlencoded", form.Encode())
}

// Behind an Ingress that is not declared a trusted proxy, every client has the Ingress's
// address. An attacker there failing 1,000 times with bearer tokens, Basic passwords and
// client secrets of the good tenant's own user and client gets throttled, while the good
// tenant's identity providers, at the same address, keep being served.
func TestAttackerAtTheSharedProxyLocksNobodyOut(t *testing.T) {
	ns, token := newTenant(t)
	credential(t, ns, "okta-basic", tenant.MethodBasic, map[string]string{"username": "okta", "password": "good-basic-s3cret"})
	credential(t, ns, "oracle-client", tenant.MethodOAuthClient, map[string]string{"client_id": "oracle", "client_secret": "good-client-s3cret"})
	proxy := fromAddr(t, "127.0.0.2")
	eventually(t, func() error {
		if status, _ := proxy.scim(basic("okta", "good-basic-s3cret")); status != http.StatusOK {
			return fmt.Errorf("Basic: %d", status)
		}
		if status, _ := proxy.token("oracle", "good-client-s3cret"); status != http.StatusOK {
			return fmt.Errorf("client credentials: %d", status)
		}
		return nil
	})

	throttled := 0
	for i := range 1000 {
		var status int
		var retryAfter string
		switch i % 10 {
		case 0:
			status, retryAfter = proxy.scim(basic("okta", fmt.Sprintf("guess-%d", i)))
		case 5:
			status, retryAfter = proxy.token("oracle", fmt.Sprintf("guess-%d", i))
		default:
			status, retryAfter = proxy.scim(fmt.Sprintf("Bearer guess-%d", i))
		}
		switch status {
		case http.StatusUnauthorized, http.StatusBadRequest:
		case http.StatusTooManyRequests:
			if retryAfter == "" {
				t.Fatal("429 without Retry-After")
			}
			throttled++
		default:
			t.Fatalf("attempt %d: a wrong credential got %d", i, status)
		}
		if i%50 == 0 {
			if status, _ := proxy.scim("Bearer " + token); status != http.StatusOK {
				t.Fatalf("after %d failures at its address, the good bearer token got %d", i, status)
			}
			if status, _ := proxy.scim(basic("okta", "good-basic-s3cret")); status != http.StatusOK {
				t.Fatalf("after %d failures at its address, the good Basic password got %d", i, status)
			}
			if status, _ := proxy.token("oracle", "good-client-s3cret"); status != http.StatusOK {
				t.Fatalf("after %d failures at its address, the good client secret got %d", i, status)
			}
		}
	}
	if throttled == 0 {
		t.Errorf("1,000 failures from one address were never throttled")
	}
}

// A trusted proxy names the client in X-Forwarded-For: clients behind it are throttled one by
// one, and what a client writes into the header itself, or what an untrusted peer sends,
// names nobody.
func TestTrustedProxyNamesTheClient(t *testing.T) {
	_, token := newTenant(t)
	ingress := fromAddr(t, trustedProxy)
	attacker := "203.0.113.9"
	status := 0
	for range failedAuthBurst + 1 {
		// The attacker's own "1.2.3.4, " is kept by the proxy, which appends what it saw.
		if status, _ = ingress.scim("Bearer guess", "X-Forwarded-For", "1.2.3.4, "+attacker); status == http.StatusTooManyRequests {
			break
		}
	}
	if status != http.StatusTooManyRequests {
		t.Fatalf("%d failures of one client behind the proxy: %d", failedAuthBurst+1, status)
	}
	if status, _ := ingress.scim("Bearer guess", "X-Forwarded-For", "5.6.7.8, "+attacker); status != http.StatusTooManyRequests {
		t.Errorf("the throttled client, claiming another address on the left: %d", status)
	}
	if status, _ := ingress.scim("Bearer guess", "X-Forwarded-For", "198.51.100.7"); status != http.StatusUnauthorized {
		t.Errorf("another client behind the same proxy: %d, want 401", status)
	}
	if status, _ := ingress.scim("Bearer "+token, "X-Forwarded-For", attacker); status != http.StatusOK {
		t.Errorf("a good token from the throttled client's address: %d", status)
	}

	// An untrusted peer's X-Forwarded-For is ignored: a fresh address in every request does
	// not make it a fresh client.
	direct := fromAddr(t, "127.0.0.4")
	for i := range failedAuthBurst + 1 {
		if status, _ = direct.scim("Bearer guess", "X-Forwarded-For", fmt.Sprintf("198.51.100.%d", i%250)); status == http.StatusTooManyRequests {
			break
		}
	}
	if status != http.StatusTooManyRequests {
		t.Errorf("an untrusted peer changing its X-Forwarded-For escaped throttling: %d", status)
	}
}

// A /Bulk request is authenticated and counted against the tenant's limits once: its
// operations run as the request's tenant, not as new requests.
func TestBulkOperationsRunWithTheRequestsAuthentication(t *testing.T) {
	ns, token := newTenant(t)
	settings(t, ns, scimv1.ScimTenantSpec{RateLimit: &scimv1.RateLimit{RequestsPerSecond: ptr.To[int32](1), Burst: 3}})
	var ops []map[string]any
	for i := range 5 {
		ops = append(ops, map[string]any{"method": "POST", "path": "/Users", "bulkId": fmt.Sprint(i), "data": map[string]any{"userName": fmt.Sprintf("bulk-%d", i)}})
	}
	body := map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:BulkRequest"}, "Operations": ops}
	eventually(t, func() error {
		var st scimv1.ScimTenant
		if err := cached.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: tenantObjectName}, &st); err != nil {
			return err
		}
		if st.Spec.RateLimit == nil {
			return fmt.Errorf("the cache does not show the tenant's rate limit yet")
		}
		return nil
	})
	res := call(t, token, http.MethodPost, "/Bulk", body).Expect(t, http.StatusOK)
	for i, op := range res.Body["Operations"].([]any) {
		if status := op.(map[string]any)["status"]; status != "201" {
			t.Errorf("operation %d: %v: %s", i, status, res.Raw)
		}
	}
}
