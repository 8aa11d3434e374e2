package servingcert

import (
	"context"
	"crypto/tls"
	"errors"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestReloadsWhenSecretChanges(t *testing.T) {
	const name = "serving-reload"
	a, b := newTestCert(t, "a"), newTestCert(t, "b")
	client := trusting(a, b)

	// Neighbours the field selector and namespace must keep out of the cache.
	elsewhere := "servingcert-elsewhere"
	if _, err := k8s.CoreV1().Namespaces().Create(context.Background(),
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: elsewhere}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	putSecret(t, namespace, name+"-other", b.certPEM, b.keyPEM)
	putSecret(t, elsewhere, name, b.certPEM, b.keyPEM)

	putSecret(t, namespace, name, a.certPEM, a.keyPEM)
	r, logs := startReloader(t, name)
	eventually(t, func() error {
		if !r.Ready() {
			return errors.New("not Ready")
		}
		return nil
	})
	if keys, want := r.informer.GetStore().ListKeys(), []string{namespace + "/" + name}; !slices.Equal(keys, want) {
		t.Errorf("informer cached %v, want only %v", keys, want)
	}
	url, _ := serve(t, r)
	expectServes(t, url, client, a)
	if logs.count("Loaded serving certificate", a.x509.SerialNumber.Text(16), "127.0.0.1") != 1 {
		t.Errorf("no log of certificate A's serial and SANs in:\n%s", logs.all())
	}

	putSecret(t, namespace, name, b.certPEM, b.keyPEM)
	expectServes(t, url, client, b)
	if logs.count("Loaded serving certificate", b.x509.SerialNumber.Text(16)) != 1 {
		t.Errorf("no log of certificate B's serial in:\n%s", logs.all())
	}

	// Invalid content is refused: B stays, and each refusal is logged as an error.
	invalid := []struct{ name, crt, key, why string }{
		{"garbage", "not a certificate", string(b.keyPEM), "failed to find any PEM data"},
		{"mismatch", string(a.certPEM), string(b.keyPEM), "private key does not match public key"},
	}
	for i, tc := range invalid {
		putSecret(t, namespace, name, []byte(tc.crt), []byte(tc.key))
		eventually(t, func() error {
			if logs.count("Invalid serving certificate Secret", `"error"=`) != i+1 {
				return errors.New("no error logged for the " + tc.name + " update")
			}
			return nil
		})
		if logs.count("Invalid serving certificate Secret", tc.why) != 1 {
			t.Errorf("%s: the error does not say %q:\n%s", tc.name, tc.why, logs.all())
		}
		if err := serves(url, client, b); err != nil {
			t.Errorf("after the %s update: %v", tc.name, err)
		}
	}

	deleteSecret(t, namespace, name)
	eventually(t, func() error {
		if logs.count("Warning: serving certificate Secret was deleted") != 1 {
			return errors.New("no warning logged for the deletion")
		}
		return nil
	})
	if err := serves(url, client, b); err != nil {
		t.Errorf("after deletion: %v", err)
	}
	if !r.Ready() {
		t.Error("not Ready after deletion, though the last good certificate is still served")
	}

	// The watch carries on: a recreated Secret is picked up.
	putSecret(t, namespace, name, a.certPEM, a.keyPEM)
	expectServes(t, url, client, a)

	keyBody := strings.Split(string(b.keyPEM), "\n")[1]
	if all := logs.all(); strings.Contains(all, "PRIVATE KEY") || strings.Contains(all, keyBody) {
		t.Errorf("key material logged:\n%s", all)
	}
}

func TestRefusesTLSBelow12(t *testing.T) {
	const name = "serving-tls-versions"
	a := newTestCert(t, "a")
	putSecret(t, namespace, name, a.certPEM, a.keyPEM)
	r, _ := startReloader(t, name)
	if got := r.TLSConfig().MinVersion; got != tls.VersionTLS12 {
		t.Errorf("MinVersion = %x, want TLS 1.2", got)
	}
	url, _ := serve(t, r)
	expectServes(t, url, trusting(a), a)

	tls12 := trusting(a)
	tls12.MaxVersion = tls.VersionTLS12
	if err := serves(url, tls12, a); err != nil {
		t.Errorf("TLS 1.2 client: %v", err)
	}
	tls11 := trusting(a)
	tls11.MinVersion, tls11.MaxVersion = tls.VersionTLS10, tls.VersionTLS11
	if _, err := probe(url, tls11); err == nil || !strings.Contains(err.Error(), "protocol version") {
		t.Errorf("TLS 1.1 client: err = %v, want a protocol version alert", err)
	}
}

func TestNotReadyUntilSecretExists(t *testing.T) {
	const name = "serving-later"
	a := newTestCert(t, "a")
	r, _ := startReloader(t, name)
	if err := r.Start(context.Background()); err == nil {
		t.Error("a second Start did not fail")
	}
	if r.Ready() {
		t.Fatal("Ready without a Secret")
	}
	url, errLog := serve(t, r)
	if _, err := probe(url, trusting(a)); err == nil {
		t.Fatal("handshake succeeded without a certificate")
	}
	eventually(t, func() error {
		if !strings.Contains(errLog.String(), "no serving certificate loaded yet from Secret default/"+name) {
			return errors.New("the server did not report why the handshake failed: " + errLog.String())
		}
		return nil
	})

	putSecret(t, namespace, name, a.certPEM, a.keyPEM)
	eventually(t, func() error {
		if !r.Ready() {
			return errors.New("not Ready after the Secret was created")
		}
		return nil
	})
	expectServes(t, url, trusting(a), a)
}

func TestNewNeedsNamespaceAndName(t *testing.T) {
	for _, args := range [][2]string{{"", "x"}, {"x", ""}} {
		if _, err := New(cfg, args[0], args[1], (&logs{}).logger()); err == nil {
			t.Errorf("New(%q, %q) did not fail", args[0], args[1])
		}
	}
}

func TestNeedLeaderElection(t *testing.T) {
	if (&Reloader{}).NeedLeaderElection() {
		t.Error("NeedLeaderElection() = true: only the leader would serve HTTPS")
	}
}
