package helm_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"

	"github.com/scim-operator/scim-operator/internal/testenv"
)

func TestLint(t *testing.T) {
	mustHelm(t, "lint", chart)
	mustHelm(t, "lint", "--strict", chart)
	mustHelm(t, "lint", "--strict", chart, "--set", "watchNamespaces={scim,acme}", "--set", "ingress.enabled=true",
		"--set", "certificate.enabled=true", "--set", "certificate.issuerRef.name=ca")
}

// The chart's CRDs and RBAC rules are generated from config/: running the generator again
// changes nothing, so nobody edited them by hand and `make manifests` was run.
func TestChartIsInSyncWithConfig(t *testing.T) {
	copyDir := filepath.Join(t.TempDir(), "scim-operator")
	cp := exec.Command("cp", "-r", chart, copyDir)
	if out, err := cp.CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	sync := exec.Command(filepath.Join(root, "hack", "helm", "sync-crds.sh"), copyDir)
	if out, err := sync.CombinedOutput(); err != nil {
		t.Fatalf("sync-crds.sh: %v: %s", err, out)
	}
	diff := exec.Command("diff", "-r", chart, copyDir)
	if out, err := diff.CombinedOutput(); err != nil {
		t.Fatalf("the chart differs from config/ (run `make manifests`):\n%s", out)
	}
}

// values.schema.json refuses what Helm would otherwise ignore silently.
func TestSchemaRejectsTyposAndWrongTypes(t *testing.T) {
	for _, tc := range []struct {
		reason string
		set    []string
		want   string
	}{
		{"a misspelt top-level key", []string{"--set", "replicaCont=3"}, "replicaCont"},
		{"a misspelt nested key", []string{"--set", "tenant.namepsace=acme"}, "namepsace"},
		{"a misspelt key two levels down", []string{"--set", "certificate.issuerRef.nmae=ca"}, "nmae"},
		{"a string where a number belongs", []string{"--set", "replicaCount=two"}, "replicaCount"},
		{"a string where a boolean belongs", []string{"--set-string", "crds.keep=yes"}, "keep"},
		{"an unknown pull policy", []string{"--set", "image.pullPolicy=Sometimes"}, "pullPolicy"},
		{"a namespace name Kubernetes refuses", []string{"--set", "watchNamespaces={Acme}"}, "watchNamespaces"},
		{"a trusted proxy that is no address", []string{"--set", "scim.trustedProxies={ingress-nginx}"}, "trustedProxies"},
		{"a negative tenant limit", []string{"--set", "scim.tenantLimits.maxInFlight=-1"}, "maxInFlight"},
	} {
		t.Run(tc.reason, func(t *testing.T) {
			_, err := helm(append([]string{"template", "x", chart}, tc.set...)...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("helm template %v: %v; want a schema error naming %q", tc.set, err, tc.want)
			}
		})
	}
	// Combinations the schema cannot express fail with a message that says what to do.
	_, err := helm("template", "x", chart, "--set", "watchNamespaces={acme}")
	if err == nil || !strings.Contains(err.Error(), "not in watchNamespaces") {
		t.Errorf("a tenant outside the watched namespaces: %v", err)
	}
	_, err = helm("template", "x", chart, "--set", "certificate.enabled=true")
	if err == nil || !strings.Contains(err.Error(), "issuerRef.name") {
		t.Errorf("a certificate without an issuer: %v", err)
	}
}

// The Deployment hands the trusted proxies and the per-tenant default limits to the manager;
// 0 turns a limit off and must reach it as 0, not be dropped.
func TestDeploymentPassesProxiesAndTenantLimits(t *testing.T) {
	out := mustHelm(t, "template", "scim", chart, "--namespace", "scim-operator", "--show-only", "templates/deployment.yaml",
		"--set", "scim.trustedProxies={10.244.0.0/16,192.168.1.7}", "--set", "scim.tenantLimits.maxInFlight=0")
	for _, want := range []string{"--trusted-proxies=10.244.0.0/16,192.168.1.7", "--tenant-requests-per-second=100",
		"--tenant-burst=200", "--tenant-max-in-flight=0"} {
		if !strings.Contains(out, want) {
			t.Errorf("the Deployment has no %s:\n%s", want, out)
		}
	}
}

// Everything the chart renders, in each mode, is accepted by a real API server (server-side dry
// run with strict field validation, as `kubectl apply --dry-run=server` does).
func TestRenderedManifestsPassServerSideDryRun(t *testing.T) {
	env, cfg, err := testenv.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = env.Stop() }()
	ctx := context.Background()
	installStandInCRDs(t, cfg)
	apply := dryRunApplier(t, cfg)
	for _, ns := range []string{"scim-operator", "scim", "acme"} {
		createNamespace(t, cfg, ns)
	}
	// The check is not vacuous: a field the API does not know is refused.
	bogus := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Service",
		"metadata": map[string]any{"name": "bogus", "namespace": "scim-operator"},
		"spec":     map[string]any{"ports": []any{map[string]any{"port": int64(80)}}, "selectr": map[string]any{}},
	}}
	if err := apply(ctx, bogus); err == nil || !strings.Contains(err.Error(), "selectr") {
		t.Fatalf("a Service with an unknown field passed the dry run: %v", err)
	}

	for _, tc := range []struct {
		name      string
		args      []string
		wantKinds []string
	}{
		{"defaults", nil, []string{
			"CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "ServiceAccount",
			"Deployment", "Service", "PodDisruptionBudget", "Namespace", "Secret",
		}},
		{"namespaced with ingress, certificate, monitoring and network policy", []string{
			"--set", "watchNamespaces={scim,acme}",
			"--set", "ingress.enabled=true", "--set", "ingress.className=nginx",
			"--set", "certificate.enabled=true", "--set", "certificate.issuerRef.name=ca",
			"--set", "certificate.issuerRef.kind=ClusterIssuer",
			"--set", "serviceMonitor.enabled=true", "--set", "networkPolicy.enabled=true",
			"--set-json", `networkPolicy.scim.from=[{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"ingress-nginx"}}}]`,
			"--set", "tenant.token=0123456789abcdef0123456789abcdef",
			"--set", "extraArgs={--zap-log-level=debug}",
			"--set", "scim.trustedProxies={10.244.0.0/16}", "--set", "scim.tenantLimits.requestsPerSecond=0",
		}, []string{
			"Role", "RoleBinding", "Ingress", "Certificate", "ServiceMonitor", "NetworkPolicy", "Deployment",
		}},
		{"one replica, no CRDs, no tenant, existing TLS Secret", []string{
			"--set", "replicaCount=1", "--set", "crds.enabled=false", "--set", "tenant.create=false",
			"--set", "tls.secretName=serving", "--set", "scim.publicURL=https://scim.example.com/scim/v2",
		}, []string{"Deployment", "Service"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := mustHelm(t, append([]string{"template", "scim", chart, "--namespace", "scim-operator"}, tc.args...)...)
			objs := decodeManifests(t, out)
			kinds := map[string]int{}
			for _, o := range objs {
				kinds[o.GetKind()]++
				if err := apply(ctx, o); err != nil {
					t.Errorf("%s %s/%s: %v", o.GetKind(), o.GetNamespace(), o.GetName(), err)
				}
			}
			for _, k := range tc.wantKinds {
				if kinds[k] == 0 {
					t.Errorf("no %s rendered; got %v", k, kinds)
				}
			}
			if tc.name == "one replica, no CRDs, no tenant, existing TLS Secret" {
				for _, k := range []string{"CustomResourceDefinition", "PodDisruptionBudget", "Secret", "Namespace"} {
					if kinds[k] != 0 {
						t.Errorf("%s rendered: %v", k, kinds)
					}
				}
			}
		})
	}
}

// decodeManifests splits helm's output into objects.
func decodeManifests(t *testing.T, manifests string) []*unstructured.Unstructured {
	t.Helper()
	dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(manifests), 4096)
	var objs []*unstructured.Unstructured
	for {
		var m map[string]any
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			return objs
		}
		if err != nil {
			t.Fatalf("decoding rendered manifests: %v", err)
		}
		if len(m) == 0 {
			continue
		}
		objs = append(objs, &unstructured.Unstructured{Object: m})
	}
}

// dryRunApplier server-side applies an object with dryRun=All and strict field validation.
func dryRunApplier(t *testing.T, cfg *rest.Config) func(context.Context, *unstructured.Unstructured) error {
	t.Helper()
	httpClient, err := rest.HTTPClientFor(cfg)
	must(t, err)
	// Dynamic: it discovers the stand-in CRDs installed after it was made.
	mapper, err := apiutil.NewDynamicRESTMapper(cfg, httpClient)
	must(t, err)
	dyn, err := dynamic.NewForConfig(cfg)
	must(t, err)
	return func(ctx context.Context, o *unstructured.Unstructured) error {
		gvk := o.GroupVersionKind()
		var mapping *meta.RESTMapping
		// A CRD installed a moment ago may take a little while to be served.
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(200 * time.Millisecond) {
			var err error
			if mapping, err = mapper.RESTMapping(gvk.GroupKind(), gvk.Version); err == nil {
				break
			} else if time.Now().After(deadline) {
				return err
			}
		}
		body, err := json.Marshal(o.Object)
		if err != nil {
			return err
		}
		res := dyn.Resource(mapping.Resource)
		var ri dynamic.ResourceInterface = res
		if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
			ri = res.Namespace(o.GetNamespace())
		}
		_, err = ri.Patch(ctx, o.GetName(), types.ApplyPatchType, body, metav1.PatchOptions{
			DryRun: []string{metav1.DryRunAll}, FieldManager: "helm-test", Force: ptr.To(true),
			FieldValidation: metav1.FieldValidationStrict,
		})
		return err
	}
}

// installStandInCRDs installs minimal CRDs for the kinds of cert-manager and the Prometheus
// operator the chart can render, with the fields the chart relies on required, so that their
// group, version, kind and scope are checked too.
func installStandInCRDs(t *testing.T, cfg *rest.Config) {
	t.Helper()
	scheme := runtime.NewScheme()
	must(t, apiextensionsv1.AddToScheme(scheme))
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	must(t, err)
	for _, crd := range []struct{ group, kind, plural string }{
		{"cert-manager.io", "Certificate", "certificates"},
		{"monitoring.coreos.com", "ServiceMonitor", "servicemonitors"},
	} {
		required := map[string][]string{"Certificate": {"secretName", "issuerRef"}, "ServiceMonitor": {"selector", "endpoints"}}[crd.kind]
		obj := &apiextensionsv1.CustomResourceDefinition{
			ObjectMeta: metav1.ObjectMeta{Name: crd.plural + "." + crd.group},
			Spec: apiextensionsv1.CustomResourceDefinitionSpec{
				Group: crd.group, Scope: apiextensionsv1.NamespaceScoped,
				Names: apiextensionsv1.CustomResourceDefinitionNames{Kind: crd.kind, Plural: crd.plural, ListKind: crd.kind + "List"},
				Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{
					Name: "v1", Served: true, Storage: true,
					Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
						Type: "object",
						Properties: map[string]apiextensionsv1.JSONSchemaProps{
							"spec": {Type: "object", Required: required, XPreserveUnknownFields: ptr.To(true)},
						},
					}},
				}},
			},
		}
		must(t, c.Create(context.Background(), obj))
	}
}

func createNamespace(t *testing.T, cfg *rest.Config, name string) {
	t.Helper()
	c, err := client.New(cfg, client.Options{})
	must(t, err)
	must(t, client.IgnoreAlreadyExists(c.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}})))
}
