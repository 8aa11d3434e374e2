package operator_test

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
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

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/internal/operator"
	"github.com/scim-operator/scim-operator/internal/operatortest"
	"github.com/scim-operator/scim-operator/internal/scimtest"
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
	// cached is the operator's own client: reads come from its informer cache.
	cached client.Client
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
	// 127.0.0.3 plays an Ingress controller; every other peer is a client itself.
	scimOpts.TrustedProxies = []netip.Prefix{netip.MustParsePrefix(trustedProxy + "/32")}
	// Tests drive their tenants faster than an identity provider would; a test of the limits
	// sets them in its ScimTenant.
	scimOpts.TenantLimits = scimserver.TenantLimits{}
	// One member per shard past the first 64: a group of a few hundred members goes through
	// the shard counts a 100,000-member group does (TestGroupOutgrowsItsShards).
	op, stop, err := operatortest.Start(cfg, operator.Options{SCIM: scimOpts, Audit: &audit, MembersPerShard: membersPerShard})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	scimURL = op.SCIMURL()
	cached = op.Manager.GetClient()
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

// trustedProxy is the address the operator trusts to name clients in X-Forwarded-For.
const trustedProxy = "127.0.0.3"

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

// tenantObjectName names the ScimTenant that newTenant creates.
const tenantObjectName = "tenant"

// newTenant creates a namespace, its ScimTenant and a bearer-token Secret, and returns the
// namespace and the token.
func newTenant(t *testing.T) (namespace, token string) {
	t.Helper()
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "tenant-"}}
	if err := k8s.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	if err := k8s.Create(ctx, &scimv1.ScimTenant{ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: tenantObjectName}}); err != nil {
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
		if resp.Status != http.StatusOK {
			return fmt.Errorf("status %d", resp.Status)
		}
		return nil
	})
	return ns.Name, token
}

type response = scimtest.Response

// call sends a SCIM request with a bearer token; body is encoded as JSON unless it is a string.
func call(t *testing.T, token, method, path string, body any) response {
	t.Helper()
	return scimtest.Call(t, scimURL, token, method, path, body)
}

func clientInNamespace(ns string) client.ListOption { return client.InNamespace(ns) }

// callWithHeader is call with one more request header, such as If-Match.
func callWithHeader(t *testing.T, token, method, path string, body any, header, value string) response {
	t.Helper()
	return scimtest.Call(t, scimURL, token, method, path, body, header, value)
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
