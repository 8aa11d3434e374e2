package process_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/scim-operator/scim-operator/internal/operator"
	"github.com/scim-operator/scim-operator/internal/testenv"
)

// selfSigned makes a certificate for 127.0.0.1 with the given serial.
func selfSigned(t *testing.T, serial int64) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "scim-operator"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	must(t, err)
	keyDER, err := x509.MarshalECPrivateKey(key)
	must(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
}

// servedSerial connects with TLS and returns the serial of the certificate the server shows.
func servedSerial(addr string) (int64, error) {
	conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}) //nolint:gosec // we only read the certificate
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].SerialNumber.Int64(), nil
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer ln.Close()
	return ln.Addr().String()
}

// The manager serves HTTPS with the certificate of a Secret, swaps it when the Secret changes,
// and refuses TLS below 1.2.
func TestManagerServesHTTPSFromASecretAndReloadsIt(t *testing.T) {
	env, cfg, err := testenv.Start()
	must(t, err)
	defer func() { _ = env.Stop() }()
	ctx := context.Background()
	k8s, err := client.New(cfg, client.Options{Scheme: operator.Scheme()})
	must(t, err)

	certA, keyA := selfSigned(t, 1001)
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "scim-tls"},
		Type:       corev1.SecretTypeTLS,
		Data:       map[string][]byte{corev1.TLSCertKey: certA, corev1.TLSPrivateKeyKey: keyA},
	}
	must(t, k8s.Create(ctx, secret))

	addr := freePort(t)
	m := startManager(t, buildManager(t), writeKubeconfig(t, env), "--scim-bind-address="+addr, "--tls-secret=default/scim-tls")
	defer func() { _ = m.Process.Kill(); _ = m.Wait() }()

	waitFor(t, func() error {
		serial, err := servedSerial(addr)
		if err == nil && serial != 1001 {
			err = fmt.Errorf("serial %d", serial)
		}
		return err
	})
	// A SCIM request over that TLS connection gets a SCIM answer (401: no credentials).
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certA)
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	res, err := hc.Get("https://" + addr + "/scim/v2/Users")
	must(t, err)
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET /Users over TLS: %d", res.StatusCode)
	}
	// TLS 1.1 is refused.
	if conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true, MaxVersion: tls.VersionTLS11}); err == nil { //nolint:gosec
		conn.Close()
		t.Error("a TLS 1.1 handshake succeeded")
	}

	// Rotation: the new certificate is served without a restart.
	certB, keyB := selfSigned(t, 2002)
	secret.Data = map[string][]byte{corev1.TLSCertKey: certB, corev1.TLSPrivateKeyKey: keyB}
	must(t, k8s.Update(ctx, secret))
	waitFor(t, func() error {
		serial, err := servedSerial(addr)
		if err == nil && serial != 2002 {
			err = fmt.Errorf("serial %d after rotation", serial)
		}
		return err
	})
}

func waitFor(t *testing.T, check func() error) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
