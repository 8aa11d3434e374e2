package operator_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/internal/tenant"
)

// credential creates a credential Secret of the given method in namespace ns.
func credential(t *testing.T, ns, name, method string, data map[string]string) *corev1.Secret {
	t.Helper()
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{tenant.CredentialLabel: method}},
		StringData: data,
	}
	if err := k8s.Create(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	return s
}

// settings sets the spec of the ScimTenant of ns, creating it if ns is not a tenant yet.
func settings(t *testing.T, ns string, spec scimv1.ScimTenantSpec) {
	t.Helper()
	ctx := context.Background()
	st := &scimv1.ScimTenant{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: tenantObjectName}}
	if _, err := controllerutil.CreateOrUpdate(ctx, k8s, st, func() error { st.Spec = spec; return nil }); err != nil {
		t.Fatal(err)
	}
}

func basic(user, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
}

// as sends a request with the given Authorization header.
func as(t *testing.T, authorization, method, path string, body any) response {
	t.Helper()
	return callWithHeader(t, "", method, path, body, "Authorization", authorization)
}

func TestHTTPBasic(t *testing.T) {
	ns, token := newTenant(t)
	credential(t, ns, "oracle-basic", tenant.MethodBasic, map[string]string{"username": "oracle", "password": "s3cret-basic"})
	eventually(t, func() error {
		if res := as(t, basic("oracle", "s3cret-basic"), http.MethodGet, "/Users", nil); res.Status != http.StatusOK {
			return fmt.Errorf("good Basic credentials: %d", res.Status)
		}
		return nil
	})
	res := as(t, basic("oracle", "wrong"), http.MethodGet, "/Users", nil).Expect(t, http.StatusUnauthorized)
	if !strings.Contains(res.Header.Get("WWW-Authenticate"), "Basic") {
		t.Errorf("WWW-Authenticate %q", res.Header.Get("WWW-Authenticate"))
	}
	as(t, basic("nobody", "s3cret-basic"), http.MethodGet, "/Users", nil).Expect(t, http.StatusUnauthorized)
	as(t, "Basic !!!", http.MethodGet, "/Users", nil).Expect(t, http.StatusUnauthorized)
	_ = token
}

// tokenRequest posts to the operator's OAuth token endpoint.
func tokenRequest(t *testing.T, clientID, clientSecret string, form url.Values) (int, map[string]any) {
	t.Helper()
	tokenURL := strings.TrimSuffix(scimURL, "/scim/v2") + "/oauth2/token"
	req, _ := http.NewRequest(http.MethodPost, tokenURL, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(clientID, clientSecret)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(res.Body).Decode(&body)
	return res.StatusCode, body
}

func TestOAuthTokenEndpoint(t *testing.T) {
	ns, _ := newTenant(t)
	_, otherToken := newTenant(t)
	other := call(t, otherToken, http.MethodPost, "/Users", map[string]any{"userName": "not-yours"}).Expect(t, http.StatusCreated).Body["id"].(string)
	client := credential(t, ns, "oracle-client", tenant.MethodOAuthClient, map[string]string{
		"client_id": "oracle-app", "client_secret": "client-s3cret", "username": "svc", "password": "owner-s3cret",
	})

	var access string
	eventually(t, func() error {
		status, body := tokenRequest(t, "oracle-app", "client-s3cret", url.Values{"grant_type": {"client_credentials"}})
		if status != http.StatusOK {
			return fmt.Errorf("client_credentials: %d %v", status, body)
		}
		access, _ = body["access_token"].(string)
		if body["token_type"] != "Bearer" || body["expires_in"] == nil || access == "" {
			return fmt.Errorf("token response %v", body)
		}
		return nil
	})
	call(t, access, http.MethodGet, "/Users", nil).Expect(t, http.StatusOK)
	call(t, access, http.MethodPost, "/Users", map[string]any{"userName": "via-oauth"}).Expect(t, http.StatusCreated)
	call(t, access, http.MethodGet, "/Users/"+other, nil).Expect(t, http.StatusNotFound)

	status, body := tokenRequest(t, "oracle-app", "client-s3cret", url.Values{"grant_type": {"password"}, "username": {"svc"}, "password": {"owner-s3cret"}})
	if status != http.StatusOK {
		t.Fatalf("password grant: %d %v", status, body)
	}
	call(t, body["access_token"].(string), http.MethodGet, "/Users", nil).Expect(t, http.StatusOK)

	for reason, c := range map[string]struct {
		id, secret string
		form       url.Values
		status     int
		errCode    string
	}{
		"a wrong client secret":  {"oracle-app", "nope", url.Values{"grant_type": {"client_credentials"}}, 401, "invalid_client"},
		"an unknown client":      {"someone", "client-s3cret", url.Values{"grant_type": {"client_credentials"}}, 401, "invalid_client"},
		"a wrong owner password": {"oracle-app", "client-s3cret", url.Values{"grant_type": {"password"}, "username": {"svc"}, "password": {"x"}}, 400, "invalid_grant"},
		"an unsupported grant":   {"oracle-app", "client-s3cret", url.Values{"grant_type": {"authorization_code"}}, 400, "unsupported_grant_type"},
	} {
		if status, body := tokenRequest(t, c.id, c.secret, c.form); status != c.status || body["error"] != c.errCode {
			t.Errorf("%s: %d %v, want %d %s", reason, status, body, c.status, c.errCode)
		}
	}
	call(t, access+"x", http.MethodGet, "/Users", nil).Expect(t, http.StatusUnauthorized)

	// Deleting the client's Secret revokes the tokens it obtained.
	if err := k8s.Delete(context.Background(), client); err != nil {
		t.Fatal(err)
	}
	eventually(t, func() error {
		if res := call(t, access, http.MethodGet, "/Users", nil); res.Status != http.StatusUnauthorized {
			return fmt.Errorf("token of a deleted client: %d", res.Status)
		}
		return nil
	})
}

// accessToken obtains a token of the client_credentials grant, waiting for the cache to know
// the client's current secret.
func accessToken(t *testing.T, clientID, clientSecret string) string {
	t.Helper()
	var access string
	eventually(t, func() error {
		status, body := tokenRequest(t, clientID, clientSecret, url.Values{"grant_type": {"client_credentials"}})
		if status != http.StatusOK {
			return fmt.Errorf("client_credentials: %d %v", status, body)
		}
		access, _ = body["access_token"].(string)
		return nil
	})
	return access
}

// A token dies with the secret that obtained it: rotating the client's secret in place, or
// deleting its Secret and creating it again under the same name with the same secret,
// revokes the tokens issued before.
func TestOAuthTokensDieWithTheirClientSecret(t *testing.T) {
	ctx := context.Background()
	ns, _ := newTenant(t)
	clientID := "rotating-" + ns
	secret := credential(t, ns, "rotating-client", tenant.MethodOAuthClient, map[string]string{"client_id": clientID, "client_secret": "first-s3cret"})
	first := accessToken(t, clientID, "first-s3cret")
	call(t, first, http.MethodGet, "/Users", nil).Expect(t, http.StatusOK)

	// Rotated in place: once the new secret works, the tokens of the old one do not.
	secret.StringData = map[string]string{"client_secret": "second-s3cret"}
	if err := k8s.Update(ctx, secret); err != nil {
		t.Fatal(err)
	}
	second := accessToken(t, clientID, "second-s3cret")
	call(t, first, http.MethodGet, "/Users", nil).Expect(t, http.StatusUnauthorized)
	call(t, second, http.MethodGet, "/Users", nil).Expect(t, http.StatusOK)

	// Deleted and created again, same name and secret: a new Secret, whose tokens are its own.
	if err := k8s.Delete(ctx, secret); err != nil {
		t.Fatal(err)
	}
	recreated := credential(t, ns, "rotating-client", tenant.MethodOAuthClient, map[string]string{"client_id": clientID, "client_secret": "second-s3cret"})
	eventually(t, func() error {
		var seen corev1.Secret
		if err := cached.Get(ctx, client.ObjectKeyFromObject(recreated), &seen); err != nil {
			return err
		}
		if seen.UID != recreated.UID {
			return fmt.Errorf("the cache still holds the deleted Secret")
		}
		return nil
	})
	call(t, second, http.MethodGet, "/Users", nil).Expect(t, http.StatusUnauthorized)
	call(t, accessToken(t, clientID, "second-s3cret"), http.MethodGet, "/Users", nil).Expect(t, http.StatusOK)
}

// identityProvider signs JWTs and serves its JWKS, as Entra ID does.
type identityProvider struct {
	key    *rsa.PrivateKey
	server *httptest.Server
	issuer string
}

func newIdentityProvider(t *testing.T) *identityProvider {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	idp := &identityProvider{key: key}
	jwks := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}}
	idp.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(jwks)
	}))
	t.Cleanup(idp.server.Close)
	idp.issuer = "https://sts.example.test/" + t.Name() + "/"
	return idp
}

func (p *identityProvider) token(t *testing.T, audience string, expiry time.Time) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: p.key, KeyID: "k1"}}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jwt.Signed(signer).Claims(jwt.Claims{
		Issuer: p.issuer, Subject: "entra-provisioning", Audience: jwt.Audience{audience},
		IssuedAt: jwt.NewNumericDate(time.Now()), Expiry: jwt.NewNumericDate(expiry),
	}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestIdentityProviderJWTs(t *testing.T) {
	idp := newIdentityProvider(t)
	nsA, _ := newTenant(t)
	nsB, _ := newTenant(t)
	settings(t, nsA, scimv1.ScimTenantSpec{JWTIssuers: []scimv1.JWTIssuer{{Issuer: idp.issuer, Audiences: []string{"app-a"}, JWKSURL: idp.server.URL}}})
	settings(t, nsB, scimv1.ScimTenantSpec{JWTIssuers: []scimv1.JWTIssuer{{Issuer: idp.issuer, Audiences: []string{"app-b"}, JWKSURL: idp.server.URL}}})

	tokenA := idp.token(t, "app-a", time.Now().Add(time.Hour))
	eventually(t, func() error {
		if res := call(t, tokenA, http.MethodPost, "/Users", map[string]any{"userName": "from-entra"}); res.Status != http.StatusCreated {
			return fmt.Errorf("IdP token of tenant A: %d %s", res.Status, res.Raw)
		}
		return nil
	})
	// The audience decides the tenant: tenant B's token does not see tenant A's users.
	tokenB := idp.token(t, "app-b", time.Now().Add(time.Hour))
	if res := get(t, tokenB, "/Users", url.Values{"filter": {`userName eq "from-entra"`}}).Expect(t, http.StatusOK); res.Body["totalResults"] != 0.0 {
		t.Errorf("tenant B sees tenant A's user: %s", res.Raw)
	}
	call(t, idp.token(t, "app-c", time.Now().Add(time.Hour)), http.MethodGet, "/Users", nil).Expect(t, http.StatusUnauthorized)
	call(t, idp.token(t, "app-a", time.Now().Add(-time.Hour)), http.MethodGet, "/Users", nil).Expect(t, http.StatusUnauthorized)

	other := newIdentityProvider(t)
	other.issuer = idp.issuer // same issuer name, but keys the tenant does not trust
	call(t, other.token(t, "app-a", time.Now().Add(time.Hour)), http.MethodGet, "/Users", nil).Expect(t, http.StatusUnauthorized)
}

func TestBearerTokensRotateWithoutRestart(t *testing.T) {
	ns, oldToken := newTenant(t)
	credential(t, ns, "new-token", tenant.MethodBearer, map[string]string{"token": "rotated-" + ns})
	eventually(t, func() error {
		if res := call(t, "rotated-"+ns, http.MethodGet, "/Users", nil); res.Status != http.StatusOK {
			return fmt.Errorf("new token: %d", res.Status)
		}
		return nil
	})
	call(t, oldToken, http.MethodGet, "/Users", nil).Expect(t, http.StatusOK)
	if err := k8s.Delete(context.Background(), &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "idp-token"}}); err != nil {
		t.Fatal(err)
	}
	eventually(t, func() error {
		if res := call(t, oldToken, http.MethodGet, "/Users", nil); res.Status != http.StatusUnauthorized {
			return fmt.Errorf("revoked token: %d", res.Status)
		}
		return nil
	})
	call(t, "rotated-"+ns, http.MethodGet, "/Users", nil).Expect(t, http.StatusOK)
}

// A token pasted into two tenants authenticates nobody: it must never land in the wrong one.
func TestATokenOfTwoTenantsAuthenticatesNobody(t *testing.T) {
	nsA, _ := newTenant(t)
	nsB, _ := newTenant(t)
	credential(t, nsA, "shared", tenant.MethodBearer, map[string]string{"token": "shared-" + nsA})
	eventually(t, func() error {
		if res := call(t, "shared-"+nsA, http.MethodGet, "/Users", nil); res.Status != http.StatusOK {
			return fmt.Errorf("the token of tenant A alone: %d", res.Status)
		}
		return nil
	})
	credential(t, nsB, "shared", tenant.MethodBearer, map[string]string{"token": "shared-" + nsA})
	eventually(t, func() error {
		if res := call(t, "shared-"+nsA, http.MethodGet, "/Users", nil); res.Status != http.StatusUnauthorized {
			return fmt.Errorf("the token of two tenants: %d", res.Status)
		}
		return nil
	})
}

func TestIsolationOnEveryEndpoint(t *testing.T) {
	_, tokenA := newTenant(t)
	_, tokenB := newTenant(t)
	userA := call(t, tokenA, http.MethodPost, "/Users", map[string]any{"userName": "a-user"}).Expect(t, http.StatusCreated).Body["id"].(string)
	groupA := call(t, tokenA, http.MethodPost, "/Groups", map[string]any{"displayName": "a-group", "members": []any{map[string]any{"value": userA}}}).Expect(t, http.StatusCreated).Body["id"].(string)
	groupB := call(t, tokenB, http.MethodPost, "/Groups", map[string]any{"displayName": "b-group"}).Expect(t, http.StatusCreated).Body["id"].(string)
	addA := patchOps(map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": userA}}})

	cases := []struct {
		method, path string
		body         any
		status       int
	}{
		{http.MethodGet, "/Users/" + userA, nil, 404},
		{http.MethodPut, "/Users/" + userA, map[string]any{"userName": "stolen"}, 404},
		{http.MethodPatch, "/Users/" + userA, patchOps(map[string]any{"op": "replace", "path": "active", "value": false}), 404},
		{http.MethodDelete, "/Users/" + userA, nil, 404},
		{http.MethodGet, "/Groups/" + groupA, nil, 404},
		{http.MethodPut, "/Groups/" + groupA, map[string]any{"displayName": "stolen"}, 404},
		{http.MethodPatch, "/Groups/" + groupA, addA, 404},
		{http.MethodDelete, "/Groups/" + groupA, nil, 404},
		{http.MethodPatch, "/Groups/" + groupB, addA, 400},
		{http.MethodPut, "/Groups/" + groupB, map[string]any{"displayName": "b-group", "members": []any{map[string]any{"value": userA}}}, 400},
		{http.MethodPost, "/Groups", map[string]any{"displayName": "b2", "members": []any{map[string]any{"value": groupA, "type": "Group"}}}, 400},
	}
	for _, c := range cases {
		res := call(t, tokenB, c.method, c.path, c.body)
		if res.Status != c.status {
			t.Errorf("tenant B: %s %s: %d, want %d: %s", c.method, c.path, res.Status, c.status, res.Raw)
		}
	}
	for _, filter := range []string{fmt.Sprintf(`id eq "%s"`, userA), `userName eq "a-user"`, fmt.Sprintf(`members[value eq "%s"]`, userA)} {
		for _, path := range []string{"/Users", "/Groups"} {
			if res := get(t, tokenB, path, url.Values{"filter": {filter}}); res.Status == http.StatusOK && res.Body["totalResults"] != 0.0 {
				t.Errorf("tenant B: %s?filter=%s found %v", path, filter, res.Body["totalResults"])
			}
		}
		search := call(t, tokenB, http.MethodPost, "/.search", map[string]any{"filter": filter})
		if search.Status == http.StatusOK && search.Body["totalResults"] != 0.0 {
			t.Errorf("tenant B: /.search %s found %v", filter, search.Body["totalResults"])
		}
	}
	bulk := call(t, tokenB, http.MethodPost, "/Bulk", bulkOps(0,
		map[string]any{"method": "DELETE", "path": "/Users/" + userA},
		map[string]any{"method": "PATCH", "path": "/Groups/" + groupA, "data": addA},
	)).Expect(t, http.StatusOK)
	for _, op := range bulk.Body["Operations"].([]any) {
		if op.(map[string]any)["status"] != "404" {
			t.Errorf("tenant B's bulk operation on tenant A: %v", op)
		}
	}
	// Tenant A's resources are untouched.
	if u := call(t, tokenA, http.MethodGet, "/Users/"+userA, nil).Expect(t, http.StatusOK); u.Body["userName"] != "a-user" {
		t.Errorf("tenant A's user changed: %s", u.Raw)
	}
	if diff := memberIDs(t, tokenA, groupA); len(diff) != 1 || diff[0] != userA {
		t.Errorf("tenant A's group changed: %v", diff)
	}
	if res := call(t, tokenB, http.MethodGet, "/Schemas", nil).Expect(t, http.StatusOK); res.Body["totalResults"] == nil {
		t.Error("discovery endpoints must still answer")
	}
}

func TestTenantRateLimit(t *testing.T) {
	ns, token := newTenant(t)
	settings(t, ns, scimv1.ScimTenantSpec{RateLimit: &scimv1.RateLimit{RequestsPerSecond: ptr.To[int32](1), Burst: 2}})
	eventually(t, func() error {
		for range 3 {
			if res := call(t, token, http.MethodGet, "/Users", nil); res.Status == http.StatusTooManyRequests {
				if res.Header.Get("Retry-After") == "" || res.Body["status"] != "429" {
					return fmt.Errorf("429 without Retry-After or SCIM body: %v %s", res.Header, res.Raw)
				}
				return nil
			}
		}
		return fmt.Errorf("three requests in a row were not limited")
	})
}

func TestTenantSettings(t *testing.T) {
	ns, token := newTenant(t)
	const allowed = "urn:example:allowed:1.0:User"
	settings(t, ns, scimv1.ScimTenantSpec{ExtensionSchemas: []string{allowed}, MaxPageSize: ptr.To[int32](2)})
	eventually(t, func() error {
		spc := call(t, token, http.MethodGet, "/ServiceProviderConfig", nil).Expect(t, http.StatusOK)
		if spc.Body["filter"].(map[string]any)["maxResults"] != 2.0 {
			return fmt.Errorf("maxResults %v", spc.Body["filter"])
		}
		return nil
	})
	for i := range 3 {
		call(t, token, http.MethodPost, "/Users", map[string]any{"userName": fmt.Sprint("page-", i), allowed: map[string]any{"x": 1}}).Expect(t, http.StatusCreated)
	}
	res := call(t, token, http.MethodPost, "/Users", map[string]any{"userName": "other-ext", "urn:example:other:1.0:User": map[string]any{"x": 1}}).Expect(t, http.StatusBadRequest)
	if res.Body["scimType"] != "invalidValue" {
		t.Errorf("%s", res.Raw)
	}
	if page := get(t, token, "/Users", url.Values{"count": {"10"}}).Expect(t, http.StatusOK); len(page.Body["Resources"].([]any)) != 2 || page.Body["totalResults"] != 3.0 {
		t.Errorf("maxPageSize 2: %s", page.Raw)
	}
}

func TestAuditRecordsEveryWriteWithoutSecrets(t *testing.T) {
	ns, token := newTenant(t)
	id := call(t, token, http.MethodPost, "/Users", oktaCreateUser("audited@example.com")).Expect(t, http.StatusCreated).Body["id"].(string)
	call(t, token, http.MethodPatch, "/Users/"+id, patchOps(map[string]any{"op": "replace", "path": "password", "value": "new-s3cret-pw"})).Expect(t, http.StatusNoContent)
	call(t, token, http.MethodDelete, "/Users/"+id, nil).Expect(t, http.StatusNoContent)
	call(t, token, http.MethodGet, "/Users", nil).Expect(t, http.StatusOK)

	records := auditRecords.containing(`"tenant"="` + ns + `"`)
	if len(records) != 3 {
		t.Fatalf("%d audit records for 3 writes (and a read): %q", len(records), records)
	}
	for i, method := range []string{"POST", "PATCH", "DELETE"} {
		for _, want := range []string{`"method"="` + method + `"`, `"id"="` + id + `"`, `"client"="idp-token"`, `"resource"="Users"`, `"outcome"="success"`, `"time"=`} {
			if !strings.Contains(records[i], want) {
				t.Errorf("record %d lacks %s: %s", i, want, records[i])
			}
		}
	}
	for _, r := range auditRecords.containing("") {
		if strings.Contains(r, "battery") || strings.Contains(r, "new-s3cret-pw") || strings.Contains(r, token) {
			t.Errorf("a secret in the audit log: %s", r)
		}
	}
}
