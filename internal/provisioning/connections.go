// Package provisioning brings apps in line with the tenant's users and groups through their
// connectors: which app receives whom, what state each account should be in, and the per-app
// results written to status. The reconcilers in controllers/ call it.
package provisioning

import (
	"context"
	"fmt"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/connectors"
	"github.com/scim-operator/scim-operator/internal/secretaccess"
)

// connections keeps one connector client per app and generation, so that a reconcile does not
// reconnect (a PostgreSQL or LDAP connection is costly); a new generation of the app, or a
// configuration error, replaces it.
type connections struct {
	mu      sync.Mutex
	clients map[types.UID]connection
}

type connection struct {
	generation int64
	client     connectors.Client
}

func (c *connections) get(ctx context.Context, app *scimv1.ScimApp, secrets connectors.Secrets) (connectors.Client, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if conn, ok := c.clients[app.UID]; ok && conn.generation == app.Generation {
		return conn.client, nil
	} else if ok {
		_ = conn.client.Close()
		delete(c.clients, app.UID)
	}
	name := app.Spec.Connector.Name()
	connector, ok := connectors.Lookup(name)
	if !ok {
		return nil, connectors.ConfigError("no connector %q in this build (have %v)", name, connectors.Names())
	}
	cl, err := connector.Connect(ctx, app, secrets)
	if err != nil {
		return nil, err
	}
	if c.clients == nil {
		c.clients = map[types.UID]connection{}
	}
	c.clients[app.UID] = connection{generation: app.Generation, client: cl}
	return cl, nil
}

// forget drops the client of an app, for example after its credentials were refused.
func (c *connections) forget(app *scimv1.ScimApp) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if conn, ok := c.clients[app.UID]; ok {
		_ = conn.client.Close()
		delete(c.clients, app.UID)
	}
}

// secretReader reads the Secrets an app references, directly from the API server (the
// operator's cache holds only credential Secrets), and only those the app may use: an app's
// author may not be allowed to read the Secrets of its namespace, and a connector sends what it
// reads to an address that author chose.
type secretReader struct {
	reader client.Reader
	app    *scimv1.ScimApp
}

func (s secretReader) Get(ctx context.Context, ref scimv1.SecretKeyRef) ([]byte, error) {
	var secret corev1.Secret
	if err := s.reader.Get(ctx, types.NamespacedName{Namespace: s.app.Namespace, Name: ref.Name}, &secret); err != nil {
		return nil, fmt.Errorf("secret %s: %w", ref.Name, err)
	}
	if !secretaccess.MayRead(&secret, s.app) {
		return nil, connectors.ConfigError("%v", &secretaccess.NotUsableError{Secret: ref.Name, Owner: "ScimApp"})
	}
	value, ok := secret.Data[ref.Key]
	if !ok {
		return nil, connectors.ConfigError("secret %s has no key %q", ref.Name, ref.Key)
	}
	return value, nil
}
