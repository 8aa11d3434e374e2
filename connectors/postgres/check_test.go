package postgres

import (
	"context"
	"strings"
	"testing"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/connectors"
	"github.com/scim-operator/scim-operator/internal/testapps/proc"
)

func TestConnect(t *testing.T) {
	valid := scimv1.PostgresConnector{Host: "127.0.0.1", Username: "u", Password: pwRef}
	cases := map[string]struct {
		reason  string
		app     *scimv1.ScimApp
		secrets connectors.Secrets
		wantErr errKind
	}{
		"Valid": {
			reason:  "Valid settings make a client without dialling the server.",
			app:     postgresApp(valid),
			secrets: fakeSecrets{pwRef: "pw"},
		},
		"NoPostgresSettings": {
			reason:  "An app without spec.connector.postgres is misconfigured.",
			app:     &scimv1.ScimApp{},
			secrets: fakeSecrets{pwRef: "pw"},
			wantErr: configError,
		},
		"MissingHost": {
			reason:  "A missing host is misconfigured.",
			app:     postgresApp(scimv1.PostgresConnector{Username: "u", Password: pwRef}),
			secrets: fakeSecrets{pwRef: "pw"},
			wantErr: configError,
		},
		"MissingUsername": {
			reason:  "A missing username is misconfigured.",
			app:     postgresApp(scimv1.PostgresConnector{Host: "127.0.0.1", Password: pwRef}),
			secrets: fakeSecrets{pwRef: "pw"},
			wantErr: configError,
		},
		"UnreadablePassword": {
			reason:  "A password Secret key that cannot be read is misconfigured.",
			app:     postgresApp(valid),
			secrets: fakeSecrets{},
			wantErr: configError,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c, err := Connector{}.Connect(context.Background(), tc.app, tc.secrets)
			if k := kindOf(err); k != tc.wantErr {
				t.Fatalf("%s\nConnect: got %v (%v), want %v", tc.reason, k, err, tc.wantErr)
			}
			if c != nil {
				_ = c.Close()
			}
		})
	}
}

func TestCheck(t *testing.T) {
	downPort, err := proc.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		reason   string
		user     string
		password string
		port     int
		wantErr  errKind
	}{
		"CreateRole": {
			reason:   "A login role with CREATEROLE can manage roles.",
			user:     operatorUser,
			password: operatorPassword,
		},
		"Superuser": {
			reason:   "A superuser can manage roles.",
			user:     "postgres",
			password: superPassword,
		},
		"NoCreateRole": {
			reason:   "A login role without CREATEROLE cannot manage roles: a configuration error.",
			user:     weakUser,
			password: weakPassword,
			wantErr:  configError,
		},
		"WrongPassword": {
			reason:   "A rejected password is a configuration error.",
			user:     operatorUser,
			password: "wrong",
			wantErr:  configError,
		},
		"ServerDown": {
			reason:   "A server that does not answer is a transient error, retried.",
			user:     operatorUser,
			password: operatorPassword,
			port:     downPort,
			wantErr:  otherError,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			port := srv.Port()
			if tc.port != 0 {
				port = tc.port
			}
			c, err := connectAs(t, tc.user, tc.password, port)
			if err != nil {
				t.Fatalf("Connect: %v", err)
			}
			err = c.Check(context.Background())
			if k := kindOf(err); k != tc.wantErr {
				t.Fatalf("%s\nCheck: got %v (%v), want %v", tc.reason, k, err, tc.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), tc.password) {
				t.Errorf("%s\nCheck error shows the password: %v", tc.reason, err)
			}
		})
	}
}

func TestServerDownIsTransient(t *testing.T) {
	port, err := proc.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	c, err := connectAs(t, operatorUser, operatorPassword, port)
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	ctx := context.Background()
	u := connectors.User{ID: "x", UserName: "down_user", Active: true}
	g := connectors.Group{ID: "x", DisplayName: "down_group"}
	calls := map[string]func() error{
		"ObserveUser":  func() error { _, err := c.ObserveUser(ctx, u); return err },
		"CreateUser":   func() error { _, err := c.CreateUser(ctx, u); return err },
		"UpdateUser":   func() error { return c.UpdateUser(ctx, u, u.UserName) },
		"DeleteUser":   func() error { return c.DeleteUser(ctx, u, u.UserName) },
		"ObserveGroup": func() error { _, err := c.ObserveGroup(ctx, g); return err },
		"CreateGroup":  func() error { _, err := c.CreateGroup(ctx, g); return err },
		"UpdateGroup":  func() error { return c.UpdateGroup(ctx, g, g.DisplayName) },
		"DeleteGroup":  func() error { return c.DeleteGroup(ctx, g, g.DisplayName) },
	}
	for name, call := range calls {
		if k := kindOf(call()); k != otherError {
			t.Errorf("%s with the server down: got %v, want %v, so that it is retried", name, k, otherError)
		}
	}
}

// TestSSLModeDefaultsToVerifyFull: with sslMode omitted the connector insists on TLS with a
// verified certificate, so against the test server (no TLS) Check fails instead of logging in
// in clear text, as libpq's default (prefer) would.
func TestSSLModeDefaultsToVerifyFull(t *testing.T) {
	app := postgresApp(scimv1.PostgresConnector{Host: "127.0.0.1", Port: int32(srv.Port()), Username: operatorUser, Password: pwRef})
	c, err := Connector{}.Connect(context.Background(), app, fakeSecrets{pwRef: operatorPassword})
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	defer c.Close()
	if err := c.Check(context.Background()); err == nil {
		t.Fatal("Check logged in without TLS although sslMode was omitted")
	}
}
