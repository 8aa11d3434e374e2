// Package connectors is the contract between the provisioning controllers and the downstream
// apps: one small interface, in the spirit of Crossplane's external client, and a registry by
// name. Each connector lives in its own sub-package and registers itself; connectors/all wires
// them in. Adding a connector changes no controller.
package connectors

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
)

// User is what a connector receives of a ScimUser.
type User struct {
	// ID is the SCIM id (the ScimUser's name).
	ID string
	// UserName is the stable key an account is found by in the app: Observe must find the
	// account by it, so a crash between creating an account and recording it never
	// duplicates or orphans the account.
	UserName   string
	ExternalID string
	// Active is false for a user that is deactivated; the connector disables the account.
	Active      bool
	DisplayName string
	GivenName   string
	FamilyName  string
	// Email is the primary (or first) email.
	Email string
	// Attributes are the app fields of the app's attributeMapping, with their values.
	Attributes map[string]string
	// Password is the password the identity provider set, when it set one.
	Password *string
}

// Group is what a connector receives of a ScimGroup.
type Group struct {
	ID string
	// DisplayName is the stable key a group is found by in the app.
	DisplayName string
	ExternalID  string
	// Members are the userNames of the members the app receives, sorted.
	Members []string
}

// Observation is what an app holds for a user or group.
type Observation struct {
	// Exists says whether the app has the account or group.
	Exists bool
	// ExternalID is the app's identifier for it (a downstream SCIM id, a role name, a DN).
	ExternalID string
	// UpToDate says whether it matches the User or Group observed, including active state and,
	// for a group, its members.
	UpToDate bool
}

// Client talks to one app. Every call is idempotent: creating what exists, or deleting what
// does not, is not an error.
type Client interface {
	// ObserveUser finds u's account by u.UserName.
	ObserveUser(ctx context.Context, u User) (Observation, error)
	// CreateUser creates u's account, disabled when !u.Active, and returns its ExternalID.
	CreateUser(ctx context.Context, u User) (externalID string, err error)
	// UpdateUser brings the account in line with u, enabling or disabling it per u.Active.
	UpdateUser(ctx context.Context, u User, externalID string) error
	// DeleteUser deletes the account.
	DeleteUser(ctx context.Context, u User, externalID string) error

	// ObserveGroup finds g by g.DisplayName.
	ObserveGroup(ctx context.Context, g Group) (Observation, error)
	// CreateGroup creates g with its members and returns its ExternalID.
	CreateGroup(ctx context.Context, g Group) (externalID string, err error)
	// UpdateGroup brings g's name and members in line.
	UpdateGroup(ctx context.Context, g Group, externalID string) error
	// DeleteGroup deletes g.
	DeleteGroup(ctx context.Context, g Group, externalID string) error

	// Check verifies that the app is reachable and the credentials work.
	Check(ctx context.Context) error
	// Close releases connections.
	Close() error
}

// Secrets reads keys of Secrets in the app's namespace.
type Secrets interface {
	Get(ctx context.Context, ref scimv1.SecretKeyRef) ([]byte, error)
}

// Connector makes clients for apps of one kind.
type Connector interface {
	Connect(ctx context.Context, app *scimv1.ScimApp, secrets Secrets) (Client, error)
}

// ErrConfig marks an error of the app's configuration: retrying without a change cannot help,
// so the app is reported Stalled rather than retried.
var ErrConfig = errors.New("invalid configuration")

// ConfigError returns an error that IsConfig recognises.
func ConfigError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(format, args...))
}

// IsConfig reports whether err is a configuration error.
func IsConfig(err error) bool { return errors.Is(err, ErrConfig) }

var (
	mu       sync.RWMutex
	registry = map[string]Connector{}
)

// Register makes a connector available under name (the ScimApp connector field: scim,
// postgres, ldap, webhook). Registering a name twice is a programming error.
func Register(name string, c Connector) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := registry[name]; dup {
		panic("connectors: " + name + " registered twice")
	}
	registry[name] = c
}

// Lookup returns the connector registered under name.
func Lookup(name string) (Connector, bool) {
	mu.RLock()
	defer mu.RUnlock()
	c, ok := registry[name]
	return c, ok
}

// Names lists the registered connectors.
func Names() []string {
	mu.RLock()
	defer mu.RUnlock()
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
