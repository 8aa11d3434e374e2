package ldap_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/connectors"
	"github.com/scim-operator/scim-operator/internal/testapps/proc"
)

// outcome classifies an error the way the operator does.
func outcome(err error) string {
	switch {
	case err == nil:
		return "ok"
	case connectors.IsConfig(err):
		return "config"
	}
	return "transient"
}

func TestCheck(t *testing.T) {
	port, err := proc.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	down := fmt.Sprintf("ldap://127.0.0.1:%d/", port)
	cases := []struct {
		name, reason string
		edit         func(*scimv1.LDAPConnector)
		password     string
		connect      string // outcome of Connect
		check        string // outcome of Check, when Connect succeeded
	}{
		{name: "ok", reason: "the root DN with its password reaches an existing usersDN and groupsDN",
			password: adminPW, connect: "ok", check: "ok"},
		{name: "wrong password", reason: "refused credentials cannot heal by retrying, so they are a configuration error",
			password: "wrong", connect: "ok", check: "config"},
		{name: "unknown bind DN", reason: "a bind DN that does not exist is refused like a wrong password",
			edit: func(s *scimv1.LDAPConnector) { s.BindDN = "cn=nobody," + suffix }, password: adminPW, connect: "ok", check: "config"},
		{name: "missing usersDN", reason: "a usersDN that does not exist is a configuration error",
			edit: func(s *scimv1.LDAPConnector) { s.UsersDN = "ou=nowhere," + suffix }, password: adminPW, connect: "ok", check: "config"},
		{name: "missing groupsDN", reason: "a groupsDN that is set but does not exist is a configuration error",
			edit: func(s *scimv1.LDAPConnector) { s.GroupsDN = "ou=nogroups," + suffix }, password: adminPW, connect: "ok", check: "config"},
		{name: "no groupsDN", reason: "groupsDN is optional: without it only users are checked",
			edit: func(s *scimv1.LDAPConnector) { s.GroupsDN = "" }, password: adminPW, connect: "ok", check: "ok"},
		{name: "server down", reason: "a directory that cannot be reached may come back, so the error is transient",
			edit: func(s *scimv1.LDAPConnector) { s.URL = down }, password: adminPW, connect: "ok", check: "transient"},
		{name: "bad URL", reason: "a URL that is not ldap:// or ldaps:// is a configuration error",
			edit: func(s *scimv1.LDAPConnector) { s.URL = "http://127.0.0.1/" }, password: adminPW, connect: "config"},
		{name: "bad usersDN", reason: "a usersDN that is not a DN is a configuration error",
			edit: func(s *scimv1.LDAPConnector) { s.UsersDN = "people" }, password: adminPW, connect: "config"},
		{name: "empty password", reason: "an empty bind password would be an anonymous bind, so it is refused up front",
			password: "", connect: "config"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := connect(t, tc.edit, tc.password)
			if got := outcome(err); got != tc.connect {
				t.Fatalf("Connect: %s (%v), want %s: %s", got, err, tc.connect, tc.reason)
			}
			if err != nil {
				return
			}
			if err := c.Check(context.Background()); outcome(err) != tc.check {
				got := outcome(err)
				t.Errorf("Check: %s (%v), want %s: %s", got, err, tc.check, tc.reason)
			}
		})
	}
}

// TestCallErrors checks how user and group calls fail when the directory or the client
// cannot serve them.
func TestCallErrors(t *testing.T) {
	port, err := proc.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	down := func(s *scimv1.LDAPConnector) { s.URL = fmt.Sprintf("ldap://127.0.0.1:%d/", port) }
	noGroups := func(s *scimv1.LDAPConnector) { s.GroupsDN = "" }
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	cases := []struct {
		name, reason string
		edit         func(*scimv1.LDAPConnector)
		call         func(c connectors.Client) error
		want         string
	}{{
		name: "server down", reason: "an unreachable directory is a transient error for every call", edit: down, want: "transient",
		call: func(c connectors.Client) error {
			_, err := c.ObserveUser(context.Background(), person("e-down"))
			return err
		},
	}, {
		name: "cancelled context", reason: "a cancelled context stops the call instead of waiting on the directory", want: "transient",
		call: func(c connectors.Client) error { _, err := c.CreateUser(cancelled, person("e-cancel")); return err },
	}, {
		name: "closed client", reason: "a closed client refuses calls", want: "transient",
		call: func(c connectors.Client) error {
			_ = c.Close()
			_, err := c.ObserveUser(context.Background(), person("e-closed"))
			return err
		},
	}, {
		name: "groups without groupsDN", reason: "provisioning groups needs groupsDN, which only the app's spec can add",
		edit: noGroups, want: "config",
		call: func(c connectors.Client) error {
			_, err := c.CreateGroup(context.Background(), group("e-nogroups"))
			return err
		},
	}, {
		name: "mapping a protected attribute", reason: "attributeMapping may not overwrite the marker or the disabled flag", want: "config",
		call: func(c connectors.Client) error {
			u := person("e-mapping", func(u *connectors.User) { u.Attributes = map[string]string{"Description": "x"} })
			_, err := c.CreateUser(context.Background(), u)
			return err
		},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fresh(t, userDN("e-cancel"), userDN("e-mapping"))
			c, err := connect(t, tc.edit, adminPW)
			if err != nil {
				t.Fatal(err)
			}
			if err := tc.call(c); outcome(err) != tc.want {
				got := outcome(err)
				t.Errorf("got %s (%v), want %s: %s", got, err, tc.want, tc.reason)
			}
		})
	}
}

// TestConcurrentCalls runs several workers on one client, as the operator does, under -race.
func TestConcurrentCalls(t *testing.T) {
	const workers, perWorker = 8, 4
	var names []string
	for w := range workers {
		for i := range perWorker {
			names = append(names, userDN(fmt.Sprintf("c-%d-%d", w, i)))
		}
	}
	fresh(t, append(names, groupDN("c-group"))...)
	ctx, c := context.Background(), mustConnect(t)
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				u := person(fmt.Sprintf("c-%d-%d", w, i))
				if _, err := c.CreateUser(ctx, u); err != nil {
					errs <- err
					return
				}
				if obs, err := c.ObserveUser(ctx, u); err != nil || !obs.UpToDate {
					errs <- fmt.Errorf("observe %s: %+v, %v", u.UserName, obs, err)
					return
				}
				// Every worker also races on one shared group: creation must stay idempotent.
				if _, err := c.CreateGroup(ctx, group("c-group", u.UserName)); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestIdleConnectionDropped checks that a pooled connection the server closed while idle is
// replaced rather than failing the next call.
func TestIdleConnectionDropped(t *testing.T) {
	fresh(t, userDN("i-idle"))
	ctx, c := context.Background(), mustConnect(t)
	if _, err := c.CreateUser(ctx, person("i-idle")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(idleTimeout + time.Second)
	if obs, err := c.ObserveUser(ctx, person("i-idle")); err != nil || !obs.Exists {
		t.Errorf("ObserveUser after the server dropped the idle connection: %+v, %v", obs, err)
	}
}
