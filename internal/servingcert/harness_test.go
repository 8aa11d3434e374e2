package servingcert

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// startReloader runs a Reloader for Secret name until the test ends, then checks that Start
// returned and left no goroutine behind. Use one per test, so the check sees only its own.
func startReloader(t *testing.T, name string) (*Reloader, *logs) {
	t.Helper()
	l := &logs{}
	r, err := New(cfg, namespace, name, l.logger())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Start: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Start did not return after its context ended")
		}
		checkNoGoroutines(t)
	})
	eventually(t, func() error {
		if !r.informer.HasSynced() {
			return errors.New("informer not synced")
		}
		return nil
	})
	return r, l
}

// checkNoGoroutines fails if goroutines of the informer, its watch or the Reloader remain.
func checkNoGoroutines(t *testing.T) {
	t.Helper()
	eventually(t, func() error {
		buf := make([]byte, 1<<20)
		for {
			n := runtime.Stack(buf, true)
			if n < len(buf) {
				buf = buf[:n]
				break
			}
			buf = make([]byte, 2*len(buf))
		}
		for g := range strings.SplitSeq(string(buf), "\n\n") {
			if strings.Contains(g, "k8s.io/client-go/tools/cache.") ||
				strings.Contains(g, "k8s.io/apimachinery/pkg/watch.") ||
				strings.Contains(g, "servingcert.(*Reloader)") {
				return fmt.Errorf("goroutine left running:\n%s", g)
			}
		}
		return nil
	})
}

// serve runs an HTTPS server with r.TLSConfig() on 127.0.0.1. It uses its own listener rather
// than httptest, whose StartTLS sets Certificates, which would bypass GetCertificate.
// It returns the URL and the server's error log, where refused handshakes are reported.
func serve(t *testing.T, r *Reloader) (string, *syncBuffer) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	errLog := &syncBuffer{}
	srv := &http.Server{
		Handler:           http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") }),
		ErrorLog:          log.New(errLog, "", 0),
		ReadHeaderTimeout: 5 * time.Second,
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(tls.NewListener(ln, r.TLSConfig()))
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		<-done
	})
	return "https://" + ln.Addr().String() + "/", errLog
}

// probe makes one request on a new connection and returns the certificate the server presented.
func probe(url string, cfg *tls.Config) (*x509.Certificate, error) {
	tr := &http.Transport{TLSClientConfig: cfg, DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: 5 * time.Second}).Get(url)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.TLS.PeerCertificates[0], nil
}

// trusting is a client configuration that accepts exactly the given self-signed certificates.
func trusting(certs ...testCert) *tls.Config {
	pool := x509.NewCertPool()
	for _, c := range certs {
		pool.AddCert(c.x509)
	}
	return &tls.Config{RootCAs: pool}
}

// expectServes waits until new connections to url see want.
func expectServes(t *testing.T, url string, client *tls.Config, want testCert) {
	t.Helper()
	eventually(t, func() error { return serves(url, client, want) })
}

func serves(url string, client *tls.Config, want testCert) error {
	got, err := probe(url, client)
	if err != nil {
		return err
	}
	if !got.Equal(want.x509) {
		return fmt.Errorf("served certificate %q (serial %x), want %q (serial %x)",
			got.Subject.CommonName, got.SerialNumber, want.x509.Subject.CommonName, want.x509.SerialNumber)
	}
	return nil
}

// eventually retries check for up to 10 s.
func eventually(t *testing.T, check func() error) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// putSecret creates or updates the kubernetes.io/tls Secret namespace/name.
func putSecret(t *testing.T, ns, name string, crt, key []byte) {
	t.Helper()
	ctx := context.Background()
	data := map[string][]byte{corev1.TLSCertKey: crt, corev1.TLSPrivateKeyKey: key}
	s, err := k8s.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		s = &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Type:       corev1.SecretTypeTLS,
			Data:       data,
		}
		_, err = k8s.CoreV1().Secrets(ns).Create(ctx, s, metav1.CreateOptions{})
		// Leave the API server clean so that tests can run again (-count).
		t.Cleanup(func() {
			err := k8s.CoreV1().Secrets(ns).Delete(context.Background(), name, metav1.DeleteOptions{})
			if err != nil && !apierrors.IsNotFound(err) {
				t.Error(err)
			}
		})
	case err == nil:
		s.Data = data
		_, err = k8s.CoreV1().Secrets(ns).Update(ctx, s, metav1.UpdateOptions{})
	}
	if err != nil {
		t.Fatal(err)
	}
}

func deleteSecret(t *testing.T, ns, name string) {
	t.Helper()
	if err := k8s.CoreV1().Secrets(ns).Delete(context.Background(), name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines to write while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
