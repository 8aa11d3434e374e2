package operator_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
)

// tokenWith is a token of p for audience, valid for an hour, with extra claims (azp, roles).
func (p *identityProvider) tokenWith(t *testing.T, audience string, extra map[string]any) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: p.key, KeyID: "k1"}}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jwt.Signed(signer).Claims(jwt.Claims{
		Issuer: p.issuer, Subject: "entra-provisioning", Audience: jwt.Audience{audience},
		IssuedAt: jwt.NewNumericDate(time.Now()), Expiry: jwt.NewNumericDate(time.Now().Add(time.Hour)),
	}).Claims(extra).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// scimTenant creates a ScimTenant named name in ns.
func scimTenant(t *testing.T, ns, name string, spec scimv1.ScimTenantSpec) *scimv1.ScimTenant {
	t.Helper()
	st := &scimv1.ScimTenant{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: spec}
	if err := k8s.Create(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	// Only the oldest ScimTenant of a namespace applies: the one newTenant made goes, so that
	// this one, created now, is the namespace's (and still makes it a tenant).
	old := &scimv1.ScimTenant{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: tenantObjectName}}
	if err := client.IgnoreNotFound(k8s.Delete(context.Background(), old)); err != nil {
		t.Fatal(err)
	}
	return st
}

// waitTenantReady waits until the Ready condition of ScimTenant ns/name has status and reason and
// its message contains every one of mentions, and returns the message.
func waitTenantReady(t *testing.T, ns, name string, status metav1.ConditionStatus, reason string, mentions ...string) string {
	t.Helper()
	var message string
	eventually(t, func() error {
		var st scimv1.ScimTenant
		if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &st); err != nil {
			return err
		}
		c := meta.FindStatusCondition(st.Status.Conditions, scimv1.ConditionReady)
		switch {
		case c == nil:
			return fmt.Errorf("ScimTenant %s/%s has no Ready condition", ns, name)
		case st.Status.ObservedGeneration != st.Generation || c.ObservedGeneration != st.Generation:
			return fmt.Errorf("ScimTenant %s/%s: status of generation %d, want %d", ns, name, st.Status.ObservedGeneration, st.Generation)
		case c.Status != status || c.Reason != reason:
			return fmt.Errorf("ScimTenant %s/%s: Ready %s %s (%s), want %s %s", ns, name, c.Status, c.Reason, c.Message, status, reason)
		}
		for _, m := range mentions {
			if !strings.Contains(c.Message, m) {
				return fmt.Errorf("ScimTenant %s/%s: Ready message %q does not mention %q", ns, name, c.Message, m)
			}
		}
		message = c.Message
		return nil
	})
	return message
}

// usersSeen returns the userNames a token sees.
func usersSeen(t *testing.T, token string) (int, []string) {
	t.Helper()
	res := call(t, token, http.MethodGet, "/Users", nil)
	var names []string
	if res.Status == http.StatusOK {
		for _, r := range res.Body["Resources"].([]any) {
			names = append(names, r.(map[string]any)["userName"].(string))
		}
	}
	return res.Status, names
}

// Tenant B declaring tenant A's (issuer, audience) neither locks A out nor lets B in: the pair
// stays A's, B is told why it is ignored, and B gets it only once A lets go.
func TestIssuerAudienceBelongsToTheFirstTenant(t *testing.T) {
	idp := newIdentityProvider(t)
	nsA, tokenA := newTenant(t)
	nsB, tokenB := newTenant(t)
	call(t, tokenA, http.MethodPost, "/Users", map[string]any{"userName": "in-a"}).Expect(t, http.StatusCreated)
	call(t, tokenB, http.MethodPost, "/Users", map[string]any{"userName": "in-b"}).Expect(t, http.StatusCreated)
	trust := scimv1.ScimTenantSpec{JWTIssuers: []scimv1.JWTIssuer{{Issuer: idp.issuer, Audiences: []string{"app-a"}, JWKSURL: idp.server.URL}}}

	settingsA := scimTenant(t, nsA, "settings", trust)
	entra := idp.token(t, "app-a", time.Now().Add(time.Hour))
	eventually(t, func() error {
		if status, names := usersSeen(t, entra); status != http.StatusOK || len(names) != 1 || names[0] != "in-a" {
			return fmt.Errorf("A's IdP token: %d %v", status, names)
		}
		return nil
	})
	waitTenantReady(t, nsA, "settings", metav1.ConditionTrue, scimv1.ReasonAccepted)

	// Creation times count in seconds and ties go to the namespace that sorts first: make B's
	// ScimTenant later than A's by the clock, whatever the generated namespace names.
	eventually(t, func() error {
		if !time.Now().After(settingsA.CreationTimestamp.Add(time.Second)) {
			return fmt.Errorf("still in the second A's ScimTenant was created in")
		}
		return nil
	})
	scimTenant(t, nsB, "settings", trust) // later: ignored
	waitTenantReady(t, nsB, "settings", metav1.ConditionFalse, scimv1.ReasonIssuerClaimedByOtherTenant, nsA, idp.issuer, "app-a")
	if status, names := usersSeen(t, entra); status != http.StatusOK || len(names) != 1 || names[0] != "in-a" {
		t.Errorf("A's IdP token, once B declared the same issuer and audience: %d %v, want A's users", status, names)
	}
	waitTenantReady(t, nsA, "settings", metav1.ConditionTrue, scimv1.ReasonAccepted)

	// A lets go: the pair is B's now, and B's status says so.
	if err := k8s.Delete(context.Background(), settingsA); err != nil {
		t.Fatal(err)
	}
	waitTenantReady(t, nsB, "settings", metav1.ConditionTrue, scimv1.ReasonAccepted)
	eventually(t, func() error {
		if status, names := usersSeen(t, entra); status != http.StatusOK || len(names) != 1 || names[0] != "in-b" {
			return fmt.Errorf("the IdP token once A's ScimTenant is gone: %d %v, want B's users", status, names)
		}
		return nil
	})
}

// Only the ScimTenant whose settings apply (the oldest of its namespace) is consulted: a
// second one cannot add trust behind the first one's back.
func TestOnlyTheApplyingScimTenantIsConsulted(t *testing.T) {
	idp := newIdentityProvider(t)
	ns, _ := newTenant(t)
	// Created in the same second or later, "a-settings" comes first either way (ties go by name).
	scimTenant(t, ns, "a-settings", scimv1.ScimTenantSpec{})
	scimTenant(t, ns, "b-extra", scimv1.ScimTenantSpec{JWTIssuers: []scimv1.JWTIssuer{{Issuer: idp.issuer, Audiences: []string{"app"}, JWKSURL: idp.server.URL}}})
	waitTenantReady(t, ns, "b-extra", metav1.ConditionFalse, scimv1.ReasonSuperseded, "a-settings")
	waitTenantReady(t, ns, "a-settings", metav1.ConditionTrue, scimv1.ReasonAccepted)
	call(t, idp.token(t, "app", time.Now().Add(time.Hour)), http.MethodGet, "/Users", nil).Expect(t, http.StatusUnauthorized)
}

func TestIdentityProviderClientAndRoles(t *testing.T) {
	idp := newIdentityProvider(t)
	ns, _ := newTenant(t)
	scimTenant(t, ns, "settings", scimv1.ScimTenantSpec{JWTIssuers: []scimv1.JWTIssuer{{
		Issuer: idp.issuer, Audiences: []string{"app"}, JWKSURL: idp.server.URL,
		AllowedClientIDs: []string{"entra-provisioning-app"}, RequiredRoles: []string{"SCIM.Provision"},
	}}})
	good := idp.tokenWith(t, "app", map[string]any{"azp": "entra-provisioning-app", "roles": []string{"SCIM.Provision"}})
	eventually(t, func() error {
		if res := call(t, good, http.MethodGet, "/Users", nil); res.Status != http.StatusOK {
			return fmt.Errorf("a token of the allowed client with the role: %d %s", res.Status, res.Raw)
		}
		return nil
	})
	call(t, idp.token(t, "app", time.Now().Add(time.Hour)), http.MethodGet, "/Users", nil).Expect(t, http.StatusUnauthorized)
	call(t, idp.tokenWith(t, "app", map[string]any{"azp": "another-app", "roles": []string{"SCIM.Provision"}}), http.MethodGet, "/Users", nil).
		Expect(t, http.StatusUnauthorized)
	res := call(t, idp.tokenWith(t, "app", map[string]any{"appid": "entra-provisioning-app", "roles": []string{"Reader"}}), http.MethodGet, "/Users", nil).
		Expect(t, http.StatusForbidden)
	if h := res.Header.Get("WWW-Authenticate"); !strings.Contains(h, `error="insufficient_scope"`) {
		t.Errorf("a token without the required role: WWW-Authenticate %q, want insufficient_scope", h)
	}
}

// The API server refuses a JWKS URL the operator must not fetch (CEL url() parsing, not a
// prefix check).
func TestJWKSURLValidation(t *testing.T) {
	ns, _ := newTenant(t)
	create := func(i int, jwksURL string) error {
		return k8s.Create(context.Background(), &scimv1.ScimTenant{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("jwks-%d", i)},
			Spec: scimv1.ScimTenantSpec{JWTIssuers: []scimv1.JWTIssuer{{
				Issuer: "https://sts.example.test/", Audiences: []string{"app"}, JWKSURL: jwksURL,
			}}},
		})
	}
	for i, bad := range []string{
		"http://localhost@169.254.169.254/latest/meta-data/",
		"http://localhost.evil.example/keys",
		"http://127.0.0.1.evil.example/keys",
		"http://login.example.com/keys",
		"https://user:pw@login.example.com/keys",
		"https://localhost@169.254.169.254/keys",
		"ftp://login.example.com/keys",
		"not a url",
	} {
		if err := create(i, bad); !apierrors.IsInvalid(err) {
			t.Errorf("jwksURL %q: create = %v, want Invalid", bad, err)
		}
	}
	for i, good := range []string{
		"https://login.microsoftonline.com/common/discovery/v2.0/keys",
		"http://127.0.0.1:8080/keys",
		"http://[::1]:8080/keys",
		"http://localhost/keys",
	} {
		if err := create(100+i, good); err != nil {
			t.Errorf("jwksURL %q: create = %v, want it accepted", good, err)
		}
	}
}
