package ldap_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/connectors"
	scimldap "github.com/scim-operator/scim-operator/connectors/ldap"
	"github.com/scim-operator/scim-operator/internal/testapps/slapd"
)

// testPKI writes a CA and a server certificate for 127.0.0.1 signed by it, and returns the
// CA as a pool and the files of the server's certificate and key.
func testPKI(t *testing.T) (roots *x509.CertPool, certFile, keyFile string) {
	t.Helper()
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	caKey, srvKey := newKey(), newKey()
	now := time.Now()
	ca := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "scim-operator test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:    x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &srvKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(srvKey)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key")
	for file, block := range map[string]*pem.Block{certFile: {Type: "CERTIFICATE", Bytes: leafDER}, keyFile: {Type: "PRIVATE KEY", Bytes: keyDER}} {
		if err := os.WriteFile(file, pem.EncodeToMemory(block), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	roots = x509.NewCertPool()
	roots.AddCert(caCert)
	return roots, certFile, keyFile
}

// TestStartTLS runs against a slapd with a certificate the test made: with startTLS the
// connector upgrades ldap:// to TLS before binding and verifies the certificate (a directory
// whose CA it does not trust is refused), and provisions as over ldaps://.
func TestStartTLS(t *testing.T) {
	roots, certFile, keyFile := testPKI(t)
	tlsSrv, err := slapd.Start(slapd.Options{TLSCertFile: certFile, TLSKeyFile: keyFile})
	if err != nil {
		t.Fatalf("slapd with TLS: %v", err)
	}
	t.Cleanup(func() { _ = tlsSrv.Stop() })
	startTLS := func(s *scimv1.LDAPConnector) { s.URL, s.StartTLS = tlsSrv.URL(), true }
	ctx := context.Background()

	t.Run("untrusted certificate", func(t *testing.T) {
		c, err := connect(t, startTLS, adminPW)
		if err != nil {
			t.Fatalf("Connect: %v", err)
		}
		if err := c.Check(ctx); err == nil {
			t.Fatal("Check bound to a directory whose certificate no trusted CA signed")
		}
	})

	t.Run("trusted certificate", func(t *testing.T) {
		t.Cleanup(scimldap.TrustRoots(roots))
		c, err := connect(t, startTLS, adminPW)
		if err != nil {
			t.Fatalf("Connect: %v", err)
		}
		if err := c.Check(ctx); err != nil {
			t.Fatalf("Check over StartTLS: %v\n%s", err, tlsSrv.Output())
		}
		if _, err := c.CreateUser(ctx, person("tls-user")); err != nil {
			t.Fatalf("CreateUser over StartTLS: %v", err)
		}
		if _, err := c.ObserveUser(ctx, person("tls-user")); err != nil {
			t.Fatalf("ObserveUser over StartTLS: %v", err)
		}
	})
}

// TestPlaintextNeedsInsecure: an ldap:// url without startTLS would send the bind password in
// clear text; the connector refuses it unless the app says insecure, and refuses startTLS on
// ldaps://, where it means nothing.
func TestPlaintextNeedsInsecure(t *testing.T) {
	for name, tc := range map[string]struct {
		edit    func(*scimv1.LDAPConnector)
		wantErr bool
	}{
		"ldap:// alone":          {func(s *scimv1.LDAPConnector) { s.Insecure = false }, true},
		"ldap:// with insecure":  {func(s *scimv1.LDAPConnector) { s.Insecure = true }, false},
		"ldap:// with startTLS":  {func(s *scimv1.LDAPConnector) { s.Insecure, s.StartTLS = false, true }, false},
		"ldaps:// with startTLS": {func(s *scimv1.LDAPConnector) { s.URL, s.StartTLS = "ldaps://127.0.0.1:636", true }, true},
		"ldaps:// alone":         {func(s *scimv1.LDAPConnector) { s.URL, s.Insecure = "ldaps://127.0.0.1:636", false }, false},
		"ldap:// without a host": {func(s *scimv1.LDAPConnector) { s.URL = "ldap:///dc=example" }, true},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := connect(t, tc.edit, adminPW)
			if tc.wantErr != (err != nil) || (err != nil && !connectors.IsConfig(err)) {
				t.Errorf("Connect: %v; want a configuration error: %v", err, tc.wantErr)
			}
		})
	}
}
