package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/internal/secretaccess"
)

// provisionTimeout bounds the wait for one account: far above the target (250 ms), so a slow
// run shows as latency rather than as errors.
const provisionTimeout = 30 * time.Second

// provisioning is scenario 6: the time from a SCIM POST until the account exists in a
// downstream SCIM app. It runs in a tenant of its own, so that the app receives only these
// users and not the thousands of the other scenarios.
func (b *bench) provisioning(ctx context.Context) (*Result, error) {
	const ns = "bench-prov"
	token, err := newTenant(ctx, b.k8s, ns)
	if err != nil {
		return nil, err
	}
	app, err := b.startDownstream()
	if err != nil {
		return nil, err
	}
	defer app.close()
	logf("provisioning into %s", app.name())

	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "downstream-token",
			Labels: map[string]string{secretaccess.UsableLabel: "true"}},
		Data: map[string][]byte{"token": []byte(app.token())},
	}
	if err := b.k8s.Create(ctx, secret); err != nil {
		return nil, err
	}
	scimApp := &scimv1.ScimApp{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "downstream"},
		Spec: scimv1.ScimAppSpec{Connector: scimv1.Connectors{SCIM: &scimv1.SCIMConnector{
			URL: app.url(),
			// insecure: the benchmark's downstream app listens on loopback without TLS.
			Insecure:    true,
			BearerToken: &scimv1.SecretKeyRef{Name: "downstream-token", Key: "token"},
		}}},
	}
	if err := b.k8s.Create(ctx, scimApp); err != nil {
		return nil, err
	}
	client := b.scim.withToken(token)
	err = waitFor(ctx, time.Minute, 100*time.Millisecond, func() (bool, error) {
		var a scimv1.ScimApp
		if err := b.k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: "downstream"}, &a); err != nil {
			return false, err
		}
		if !meta.IsStatusConditionTrue(a.Status.Conditions, scimv1.ConditionReady) {
			return false, fmt.Errorf("ScimApp not ready: %+v", a.Status.Conditions)
		}
		// The tenant's token must be in the operator's cache too.
		status, err := client.status(ctx, http.MethodGet, "/Users?count=1")
		return status == http.StatusOK, err
	})
	if err != nil {
		return nil, fmt.Errorf("waiting for the downstream app: %w", err)
	}

	res := b.run(ctx, spec{
		name: "provisioning", scenario: "6", clients: b.cfg.ProvConcurrency, count: b.cfg.ProvUsers,
		desc: "SCIM POST /Users until the account exists in a downstream SCIM app",
	}, func(ctx context.Context, _, i int) error {
		name := fmt.Sprintf("prov%06d@example.com", i)
		exists := app.expect(name)
		body := mustJSON(obj{
			"schemas": []string{schemaUser}, "userName": name, "active": true,
			"name":   obj{"givenName": "Prov", "familyName": fmt.Sprintf("User%06d", i)},
			"emails": []obj{{"primary": true, "value": name, "type": "work"}},
		})
		if err := client.do(ctx, http.MethodPost, "/Users", body, http.StatusCreated, nil); err != nil {
			return err
		}
		select {
		case <-exists:
			return nil
		case <-time.After(provisionTimeout):
			return fmt.Errorf("%s not in the app after %s", name, provisionTimeout)
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	res.Notes = append(res.Notes, "downstream app: "+app.name())
	return res, nil
}

// startDownstream starts the app -downstream asks for: scimmy, a real SCIM implementation,
// when Node.js is there (auto), else the bench's own minimal app.
func (b *bench) startDownstream() (downstreamApp, error) {
	if b.cfg.Downstream != "inprocess" {
		app, err := startScimmyApp()
		if err == nil {
			return app, nil
		}
		if b.cfg.Downstream == "scimmy" {
			return nil, err
		}
		logf("scimmy cannot run here (%v); using the in-process SCIM app", err)
	}
	token := make([]byte, 16)
	_, _ = rand.Read(token)
	return startInProcessApp(hex.EncodeToString(token))
}
