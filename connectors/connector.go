// Package connectors is the contract between the provisioning controllers and the downstream
// apps: one small interface, in the spirit of Crossplane's external client, and a registry by
// name. Each connector lives in its own sub-package and registers itself; connectors/all wires
// them in. Adding a connector changes no controller.
package connectors

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
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

// Owner is the app an account belongs to. Connectors that can label accounts (a PostgreSQL
// role's comment, an LDAP entry's businessCategory) write it on every account they create
// and touch only accounts labelled with their own app's UID: apps of different tenants may
// share one database or directory, and a userName is unique only within a tenant.
type Owner struct {
	Namespace, Name string
	// UID is the ScimApp's UID: a ScimApp deleted and created again under the same name is
	// another app.
	UID string
	// AdoptExisting is spec.adoptExisting: accounts that no app labelled are taken over.
	AdoptExisting bool
}

// OwnerOf returns the owner that app's connector labels accounts with.
func OwnerOf(app *scimv1.ScimApp) Owner {
	return Owner{Namespace: app.Namespace, Name: app.Name, UID: string(app.UID), AdoptExisting: app.Spec.AdoptExisting}
}

// ErrNotManaged marks an account that exists in the app under the key of a user or group but
// that this app did not make: it is left alone. Retrying succeeds once someone renames or
// removes that account or, for an account no app manages, sets spec.adoptExisting. It is not
// a configuration error: the app itself is fine.
var ErrNotManaged = errors.New("exists, not managed by this app")

// Holder says who manages an account a connector found but does not own.
type Holder int

const (
	// HeldByNobody: the account carries no app's label (made by hand, by another tool, or
	// labelled by a version of scim-operator that did not name the app).
	HeldByNobody Holder = iota
	// HeldByOtherApp: another ScimApp, possibly of another tenant, manages the account.
	HeldByOtherApp
	// HeldAsOtherKind: this app manages the account, but as a group for a user or the reverse.
	HeldAsOtherKind
)

// NotManagedError reports an account that is left alone, in words for the people who read
// the user's provisioning status: what happened and what to do.
type NotManagedError struct {
	// Kind is "user" or "group".
	Kind string
	// Account names the account as the app knows it, e.g. `role "alice"` or a DN.
	Account string
	Holder  Holder
}

func (e *NotManagedError) Error() string {
	rename := "give the user another userName"
	if e.Kind == "group" {
		rename = "give the group another displayName"
	}
	switch e.Holder {
	case HeldByOtherApp:
		return fmt.Sprintf("%s %s: another ScimApp (possibly of another tenant) manages it, so it is "+
			"left alone. To provision this %s here, %s, or remove the account from the app that manages it",
			e.Account, ErrNotManaged, e.Kind, rename)
	case HeldAsOtherKind:
		other := "group"
		if e.Kind == "group" {
			other = "user"
		}
		return fmt.Sprintf("%s %s as a %s: this app manages it for a %s of the same name, so it is left "+
			"alone. To provision this %s here, %s", e.Account, ErrNotManaged, e.Kind, other, e.Kind, rename)
	}
	return fmt.Sprintf("%s %s: no ScimApp manages it (it was made by hand, by another tool, or by an "+
		"older scim-operator), so it is left alone. To provision this %s here, rename or remove that "+
		"account, %s, or set spec.adoptExisting: true on this ScimApp to take over accounts that no app manages",
		e.Account, ErrNotManaged, e.Kind, rename)
}

// Is makes errors.Is(err, ErrNotManaged) true.
func (e *NotManagedError) Is(target error) bool { return target == ErrNotManaged }

// IsNotManaged reports whether err is about an account this app does not manage.
func IsNotManaged(err error) bool { return errors.Is(err, ErrNotManaged) }

// InsecureTransport says why app's connector sends credentials and users unencrypted or to a
// server it does not verify, or "" when it does not.
func InsecureTransport(app *scimv1.ScimApp) string {
	c := app.Spec.Connector
	switch {
	case c.SCIM != nil && c.SCIM.Insecure && strings.HasPrefix(c.SCIM.URL, "http://"):
		return "spec.connector.scim.insecure: the bearer token or password and every user are sent unencrypted over http://"
	case c.Webhook != nil && c.Webhook.Insecure && strings.HasPrefix(c.Webhook.URL, "http://"):
		return "spec.connector.webhook.insecure: the bearer token and every user are sent unencrypted over http://"
	case c.LDAP != nil && c.LDAP.Insecure && !c.LDAP.StartTLS && strings.HasPrefix(c.LDAP.URL, "ldap://"):
		return "spec.connector.ldap.insecure: the bind password and users' passwords are sent unencrypted over ldap:// without startTLS"
	case c.Postgres != nil && c.Postgres.SSLMode == "disable":
		return "spec.connector.postgres.sslMode is disable: the operator's login is sent unencrypted"
	case c.Postgres != nil && c.Postgres.SSLMode == "require":
		return "spec.connector.postgres.sslMode is require: the server's certificate is not verified, so a man in the middle can read the operator's login"
	}
	return ""
}

// RequireTLS refuses an http:// url unless the app set insecure: credentials and users would
// cross the network in clear text. field names the setting, e.g. "spec.connector.scim.url".
func RequireTLS(field string, u *url.URL, insecure bool) error {
	if u.Scheme == "http" && !insecure {
		return ConfigError("%s %q is http://: the app's credentials and every user would travel in clear text; "+
			"use https://, or set insecure: true next to it", field, u.Redacted())
	}
	return nil
}

// PathSegment percent-encodes s as one URL path segment. It refuses "", "." and "..": as a
// segment they are dot segments (RFC 3986, section 5.2.4) that servers and proxies resolve,
// so a userName or an app's id of ".." would address the parent resource (DELETE
// /Users/.. is DELETE of the base URL), and %2E%2E is decoded back to ".." by many.
func PathSegment(s string) (string, error) {
	if s == "" || s == "." || s == ".." {
		return "", fmt.Errorf("%q cannot be a URL path segment: it would address another resource of the app", s)
	}
	return url.PathEscape(s), nil
}

// HasDotSegment reports whether the escaped path p has a segment that is, once decoded,
// "." or "..".
func HasDotSegment(p string) bool {
	for _, seg := range strings.Split(p, "/") {
		if dec, err := url.PathUnescape(seg); err == nil && (dec == "." || dec == "..") || seg == "." || seg == ".." {
			return true
		}
	}
	return false
}

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
