package postgres

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/scim-operator/scim-operator/connectors"
)

// TestPasswordTravelsAsSCRAMVerifier: the server receives a SCRAM-SHA-256 verifier, never the
// password. With the session's password_encryption at md5 and every statement logged, the
// role still gets a SCRAM verifier (4096 iterations, a random 16-byte salt), the password is
// nowhere in the server's log, and the user logs in with it. A password that looks like an
// MD5 hash is a password, not a hash.
func TestPasswordTravelsAsSCRAMVerifier(t *testing.T) {
	ctx := context.Background()
	adminExec(t, "ALTER ROLE "+operatorUser+" SET password_encryption = 'md5'")
	adminExec(t, "ALTER ROLE "+operatorUser+" SET log_statement = 'all'")
	t.Cleanup(func() {
		adminExec(t, "ALTER ROLE "+operatorUser+" RESET password_encryption")
		adminExec(t, "ALTER ROLE "+operatorUser+" RESET log_statement")
	})
	passwords := map[string]string{
		"sc_plain":   "never-in-the-log-7c1e",
		"sc_md5like": "md5" + strings.Repeat("0123456789abcdef", 2), // what md5 verifiers look like
		"sc_unicode": "Ünïcødé-pässwörd-never-logged",
	}
	c := operator(t) // a new pool: its sessions take the settings above
	for name, pw := range passwords {
		dropLater(t, name)
		if _, err := c.CreateUser(ctx, connectors.User{ID: name, UserName: name, Active: true, Password: ptr(pw)}); err != nil {
			t.Fatalf("CreateUser(%s): %v", name, err)
		}
		checkLogins(t, name, []attempt{{pw, loginOK}, {pw + "x", loginBadPass}})
	}
	// The same password twice: an ALTER, and another salt.
	if err := c.UpdateUser(ctx, connectors.User{ID: "sc_plain", UserName: "sc_plain", Active: true, Password: ptr(passwords["sc_plain"])}, "sc_plain"); err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	checkLogins(t, "sc_plain", []attempt{{passwords["sc_plain"], loginOK}})

	salts := map[string]bool{}
	for name := range passwords {
		var stored string
		if err := admin.QueryRow(ctx, "SELECT rolpassword FROM pg_authid WHERE rolname = $1", name).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		// SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>
		rest, ok := strings.CutPrefix(stored, "SCRAM-SHA-256$4096:")
		salt, _, _ := strings.Cut(rest, "$")
		raw, err := base64.StdEncoding.DecodeString(salt)
		if !ok || err != nil || len(raw) != 16 {
			t.Errorf("pg_authid of %s holds %.30q..., want a SCRAM-SHA-256 verifier of 4096 iterations and a 16-byte salt", name, stored)
		}
		if salts[salt] {
			t.Errorf("salt %s used twice", salt)
		}
		salts[salt] = true
	}
	log := srv.Log()
	if !strings.Contains(log, "SCRAM-SHA-256$4096:") {
		t.Fatal("the server log holds no CREATE ROLE statement: log_statement did not apply, so this test proves nothing")
	}
	for name, pw := range passwords {
		if strings.Contains(log, pw) {
			t.Errorf("the password of %s is in the server's log", name)
		}
	}
}

// TestSCRAMVerifierFormat: one password and salt give one verifier, in PostgreSQL's form;
// each call draws a new salt. (That the server accepts the verifier is
// TestPasswordTravelsAsSCRAMVerifier's logins.)
func TestSCRAMVerifierFormat(t *testing.T) {
	salt := []byte("0123456789abcdef")
	a := scramVerifierWithSalt("pencil", salt, 4096)
	b := scramVerifierWithSalt("pencil", salt, 4096)
	if a != b {
		t.Fatalf("the same password and salt give two verifiers: %q, %q", a, b)
	}
	if !strings.HasPrefix(a, "SCRAM-SHA-256$4096:"+base64.StdEncoding.EncodeToString(salt)+"$") {
		t.Errorf("verifier %q is not in PostgreSQL's form", a)
	}
	if scramVerifier("pencil") == scramVerifier("pencil") {
		t.Error("two verifiers of one password share a salt")
	}
}
