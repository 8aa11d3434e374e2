package operator_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/scim-operator/scim-operator/internal/operator"
	"github.com/scim-operator/scim-operator/internal/operatortest"
	"github.com/scim-operator/scim-operator/internal/tenant"
	"github.com/scim-operator/scim-operator/internal/testenv"
	"github.com/scim-operator/scim-operator/scimserver"
)

// The whole operator runs once for the package, against a real API server, and tests talk to
// it over HTTP as an identity provider would.
var (
	k8s     client.Client
	cfg     *rest.Config
	scimURL string
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	env, c, err := testenv.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = env.Stop() }()
	cfg = c

	audit := funcr.New(auditRecords.add, funcr.Options{})
	scimOpts := scimserver.DefaultOptions
	// Every test connects from 127.0.0.1 and many wait for a new credential with failing
	// requests; the throttling test uses its own address.
	scimOpts.FailedAuthBurst = failedAuthBurst
	op, stop, err := operatortest.Start(cfg, operator.Options{SCIM: scimOpts, Audit: &audit})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	scimURL = op.SCIMURL()
	scheme := operator.Scheme()
	if err := apiextensionsv1.AddToScheme(scheme); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	k8s, err = client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	code := m.Run()
	if err := stop(); err != nil {
		fmt.Fprintln(os.Stderr, "operator stopped with:", err)
	}
	return code
}

const failedAuthBurst = 500

// auditRecords collects what the operator writes to its audit log.
var auditRecords records

type records struct {
	mu    sync.Mutex
	lines []string
}

func (r *records) add(_, args string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, args)
}

func (r *records) containing(s string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, l := range r.lines {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return out
}

// newTenant creates a namespace with a bearer-token Secret and returns both.
func newTenant(t *testing.T) (namespace, token string) {
	t.Helper()
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "tenant-"}}
	if err := k8s.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	token = "token-" + ns.Name
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: ns.Name, Name: "idp-token",
			Labels: map[string]string{tenant.CredentialLabel: tenant.MethodBearer},
		},
		Data: map[string][]byte{tenant.TokenKey: []byte(token)},
	}
	if err := k8s.Create(ctx, secret); err != nil {
		t.Fatal(err)
	}
	// The token works once the operator's cache has the Secret.
	eventually(t, func() error {
		resp := call(t, token, http.MethodGet, "/Users", nil)
		if resp.status != http.StatusOK {
			return fmt.Errorf("status %d", resp.status)
		}
		return nil
	})
	return ns.Name, token
}

// response is a SCIM response: status, headers and the decoded JSON body.
type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

// call sends a SCIM request with a bearer token; body is encoded as JSON unless it is a string.
func call(t *testing.T, token, method, path string, body any) response {
	t.Helper()
	return callWithHeader(t, token, method, path, body, "", "")
}

func clientInNamespace(ns string) client.ListOption { return client.InNamespace(ns) }

// callWithHeader is call with one more request header, such as If-Match.
func callWithHeader(t *testing.T, token, method, path string, body any, header, value string) response {
	t.Helper()
	var reader io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		reader = bytes.NewBufferString(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		reader = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, scimURL+path, reader)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", scimserver.ContentType)
	if header != "" {
		req.Header.Set(header, value)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := response{status: res.StatusCode, header: res.Header, raw: raw}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out.body); err != nil {
			t.Fatalf("%s %s: response is not a JSON object: %v: %s", method, path, err, raw)
		}
	}
	return out
}

// expect fails the test unless the response has the given status.
func (r response) expect(t *testing.T, status int) response {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.raw)
	}
	return r
}

// eventually retries check until it passes or ten seconds have gone by: controllers and
// caches converge asynchronously.
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
