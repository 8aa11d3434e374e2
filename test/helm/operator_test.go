package helm_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/client-go/tools/clientcmd"
)

// operator is cmd/manager running as a process with the arguments of the chart's Deployment,
// authenticated as the chart's service account: what it can do is what the chart grants.
type operator struct {
	cmd       *exec.Cmd
	out       *syncBuffer
	scimURL   string
	namespace string
	cl        *cluster
	done      chan struct{}
}

func startOperatorAs(t *testing.T, cl *cluster, deploy *appsv1.Deployment, https bool) *operator {
	t.Helper()
	pod := deploy.Spec.Template.Spec
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(pod.Containers))
	}
	ns := deploy.Namespace
	kubeconfig := impersonatingKubeconfig(t, cl, "system:serviceaccount:"+ns+":"+pod.ServiceAccountName, ns)

	scimAddr, healthAddr := freeAddr(t), freeAddr(t)
	var args []string
	for _, a := range pod.Containers[0].Args {
		// What the kubelet and the pod network do in a cluster: expand the downward-API variable,
		// and give each listener an address of its own.
		a = strings.ReplaceAll(a, "$(POD_NAMESPACE)", ns)
		switch {
		case strings.HasPrefix(a, "--scim-bind-address="):
			a = "--scim-bind-address=" + scimAddr
		case strings.HasPrefix(a, "--metrics-bind-address="):
			a = "--metrics-bind-address=0"
		case strings.HasPrefix(a, "--health-probe-bind-address="):
			a = "--health-probe-bind-address=" + healthAddr
		}
		args = append(args, a)
	}
	// In a pod, the Lease's namespace comes from the service-account mount.
	args = append(args, "--leader-election-namespace="+ns)

	cmd := exec.Command(managerBinary(t), args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	must(t, cmd.Start())
	op := &operator{cmd: cmd, out: out, namespace: ns, cl: cl, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(op.done) }()
	t.Cleanup(func() {
		op.stop(t)
		if t.Failed() {
			t.Logf("operator output (args %v):\n%s", args, out.String())
		}
	})
	scheme := "http"
	if https {
		scheme = "https"
	}
	op.scimURL = scheme + "://" + scimAddr + "/scim/v2"

	// Ready means the caches synced (list/watch allowed everywhere it looks) and, with TLS, the
	// certificate was read.
	hc := &http.Client{Timeout: 2 * time.Second}
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(300 * time.Millisecond) {
		select {
		case <-op.done:
			t.Fatalf("the operator exited:\n%s", out.String())
		default:
		}
		if code, _, err := get(hc, "http://"+healthAddr+"/readyz", ""); err == nil && code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the operator is not ready after 90s:\n%s", out.String())
		}
	}
	return op
}

// checkServes: the tenant's token from the chart lists and creates users, and the replica won
// the leader election (so the controllers run).
func (o *operator) checkServes(t *testing.T, token string) {
	t.Helper()
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // the test's self-signed certificate
	}}
	// The token Secret reaches the operator's cache a moment after start.
	eventually(t, "the chart's token accepted", 30*time.Second, func() bool {
		code, _, err := get(hc, o.scimURL+"/Users", token)
		return err == nil && code == http.StatusOK
	})
	req, err := http.NewRequest(http.MethodPost, o.scimURL+"/Users",
		strings.NewReader(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada@example.com","active":true}`))
	must(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/scim+json")
	res, err := hc.Do(req)
	must(t, err)
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Errorf("POST /Users: %d", res.StatusCode)
	}
	eventually(t, "the leader-election Lease held", 60*time.Second, func() bool { return leaseHeld(t, o.cl, o.namespace) })
	if strings.Contains(o.out.String(), "forbidden") {
		t.Errorf("the operator was refused something:\n%s", o.out.String())
	}
}

func (o *operator) stop(t *testing.T) {
	t.Helper()
	select {
	case <-o.done:
		return
	default:
	}
	_ = o.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-o.done:
	case <-time.After(20 * time.Second):
		_ = o.cmd.Process.Kill()
		<-o.done
	}
}

// impersonatingKubeconfig is the admin's kubeconfig acting as the service account, as the
// token mounted into the pod would.
func impersonatingKubeconfig(t *testing.T, cl *cluster, user, namespace string) string {
	t.Helper()
	cfg, err := clientcmd.Load(cl.adminYAML)
	must(t, err)
	for _, auth := range cfg.AuthInfos {
		auth.Impersonate = user
		auth.ImpersonateGroups = []string{"system:serviceaccounts", "system:serviceaccounts:" + namespace, "system:authenticated"}
	}
	path := filepath.Join(t.TempDir(), "kubeconfig")
	must(t, clientcmd.WriteToFile(*cfg, path))
	return path
}

var manager struct {
	once sync.Once
	path string
	err  error
	out  []byte
}

// managerBinary builds cmd/manager once per test binary.
func managerBinary(t *testing.T) string {
	t.Helper()
	manager.once.Do(func() {
		dir, err := os.MkdirTemp("", "scim-operator-manager-")
		if err != nil {
			manager.err = err
			return
		}
		manager.path = filepath.Join(dir, "manager")
		cmd := exec.Command("go", "build", "-o", manager.path, "./cmd/manager")
		cmd.Dir = root
		manager.out, manager.err = cmd.CombinedOutput()
	})
	if manager.err != nil {
		t.Fatalf("building cmd/manager: %v\n%s", manager.err, manager.out)
	}
	return manager.path
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer ln.Close()
	return ln.Addr().String()
}

// selfSigned returns a certificate and key for 127.0.0.1, PEM-encoded.
func selfSigned(t *testing.T) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "scim-operator"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	must(t, err)
	keyDER, err := x509.MarshalECPrivateKey(key)
	must(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
}

// get fetches url with an optional bearer token and returns the status code and body.
func get(c *http.Client, url, token string) (int, string, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return 0, "", err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	var body bytes.Buffer
	_, _ = body.ReadFrom(res.Body)
	return res.StatusCode, body.String(), nil
}

// syncBuffer collects a process's output while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
