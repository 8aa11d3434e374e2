package helm_test

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"
)

// cluster is a control plane without scim-operator's CRDs, so that the chart installs them.
type cluster struct {
	env        *envtest.Environment
	cfg        *rest.Config
	kubeconfig string // system:masters, for helm
	adminYAML  []byte
	c          client.Client
}

func startCluster(t *testing.T) *cluster {
	t.Helper()
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		t.Fatal("KUBEBUILDER_ASSETS is not set: export KUBEBUILDER_ASSETS=$(hack/envtest-binaries.sh)")
	}
	env := &envtest.Environment{}
	cfg, err := env.Start()
	if err != nil {
		_ = env.Stop()
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	admin, err := env.ControlPlane.AddUser(envtest.User{Name: "admin", Groups: []string{"system:masters"}}, nil)
	must(t, err)
	data, err := admin.KubeConfig()
	must(t, err)
	path := filepath.Join(t.TempDir(), "kubeconfig")
	must(t, os.WriteFile(path, data, 0o600))

	scheme := runtime.NewScheme()
	must(t, clientgoscheme.AddToScheme(scheme))
	must(t, apiextensionsv1.AddToScheme(scheme))
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	must(t, err)
	return &cluster{env: env, cfg: cfg, kubeconfig: path, adminYAML: data, c: c}
}

func (cl *cluster) helm(t *testing.T, args ...string) string {
	t.Helper()
	return mustHelm(t, append(args, "--kubeconfig", cl.kubeconfig)...)
}

// crdNames are the CRDs of config/crd/bases, which the chart must install.
func crdNames(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root, "config", "crd", "bases", "*.yaml"))
	must(t, err)
	var names []string
	for _, f := range files {
		// Files are named <group>_<plural>.yaml; the CRD is <plural>.<group>.
		group, plural, _ := strings.Cut(strings.TrimSuffix(filepath.Base(f), ".yaml"), "_")
		names = append(names, plural+"."+group)
	}
	if len(names) == 0 {
		t.Fatal("no CRDs in config/crd/bases")
	}
	return names
}

func (cl *cluster) crdExists(t *testing.T, name string) bool {
	t.Helper()
	err := cl.c.Get(context.Background(), client.ObjectKey{Name: name}, &apiextensionsv1.CustomResourceDefinition{})
	if err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}
	return err == nil
}

func (cl *cluster) exists(t *testing.T, obj client.Object, namespace, name string) bool {
	t.Helper()
	err := cl.c.Get(context.Background(), client.ObjectKey{Namespace: namespace, Name: name}, obj)
	if err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}
	return err == nil
}

// waitServed waits until the custom resources of CRD name can be listed from the watch cache.
func (cl *cluster) waitServed(t *testing.T, name string) {
	t.Helper()
	var crd apiextensionsv1.CustomResourceDefinition
	must(t, cl.c.Get(context.Background(), client.ObjectKey{Name: name}, &crd))
	dyn, err := dynamic.NewForConfig(cl.cfg)
	must(t, err)
	gvr := schema.GroupVersionResource{Group: crd.Spec.Group, Version: crd.Spec.Versions[0].Name, Resource: crd.Spec.Names.Plural}
	eventually(t, "the watch cache of "+name, time.Minute, func() bool {
		_, err := dyn.Resource(gvr).List(context.Background(), metav1.ListOptions{ResourceVersion: "0", Limit: 1})
		return err == nil
	})
}

func eventually(t *testing.T, what string, timeout time.Duration, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(timeout); !ok(); time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %s", what, timeout)
		}
	}
}

// Install, upgrade and uninstall in cluster mode, with the operator run in between under the
// chart's service account and nothing but the chart's RBAC.
func TestInstallUpgradeUninstall(t *testing.T) {
	cl := startCluster(t)
	ctx := context.Background()
	crds := crdNames(t)

	// crds.keep=false: uninstalling removes the CRDs (and with them every custom resource).
	cl.helm(t, "install", "throwaway", chart, "--namespace", "throwaway", "--create-namespace",
		"--set", "crds.keep=false", "--set", "tenant.namespace=throwaway-tenant")
	for _, name := range crds {
		if !cl.crdExists(t, name) {
			t.Fatalf("CRD %s not installed", name)
		}
		// Deleting a CRD whose watch cache is still starting fails with "storage is
		// (re)initializing" and is retried with a growing backoff; a release that has run for
		// a while never meets that, so wait until the cache serves.
		cl.waitServed(t, name)
	}
	cl.helm(t, "uninstall", "throwaway", "--namespace", "throwaway")
	for _, name := range crds {
		deadline := time.Now().Add(time.Minute)
		for cl.crdExists(t, name) {
			if time.Now().After(deadline) {
				var crd apiextensionsv1.CustomResourceDefinition
				_ = cl.c.Get(ctx, client.ObjectKey{Name: name}, &crd)
				t.Fatalf("CRD %s not deleted with crds.keep=false: deletion %v, finalizers %v, conditions %+v", name, crd.DeletionTimestamp, crd.Finalizers, crd.Status.Conditions)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}

	const ns, release = "scim-operator", "scim-operator"
	notes := cl.helm(t, "install", release, chart, "--namespace", ns, "--create-namespace")
	for _, want := range []string{
		"kubectl -n scim get secret scim-operator-token -o jsonpath='{.data.token}' | base64 -d",
		"kubectl -n scim-operator port-forward service/scim-operator 8443:443",
		"http://localhost:8443/scim/v2",
	} {
		if !strings.Contains(notes, want) {
			t.Errorf("NOTES lack %q:\n%s", want, notes)
		}
	}
	for _, name := range crds {
		var crd apiextensionsv1.CustomResourceDefinition
		must(t, cl.c.Get(ctx, client.ObjectKey{Name: name}, &crd))
		if crd.Annotations["helm.sh/resource-policy"] != "keep" {
			t.Errorf("CRD %s has no keep policy: %v", name, crd.Annotations)
		}
	}
	var deploy appsv1.Deployment
	must(t, cl.c.Get(ctx, client.ObjectKey{Namespace: ns, Name: release}, &deploy))
	if *deploy.Spec.Replicas != 2 {
		t.Errorf("replicas %d, want 2", *deploy.Spec.Replicas)
	}
	checkPodSecurity(t, &deploy)
	if !cl.exists(t, &policyv1.PodDisruptionBudget{}, ns, release) {
		t.Error("no PodDisruptionBudget with 2 replicas")
	}
	checkClusterRoleMatchesConfig(t, cl, release+"-manager")

	var secret corev1.Secret
	must(t, cl.c.Get(ctx, client.ObjectKey{Namespace: "scim", Name: release + "-token"}, &secret))
	token := string(secret.Data["token"])
	if len(token) != 48 || secret.Labels["scim.scim-operator.io/credential"] != "bearer" {
		t.Fatalf("token Secret: %d characters, labels %v", len(token), secret.Labels)
	}

	// The real operator, with the chart's arguments and its service account's permissions.
	op := startOperatorAs(t, cl, &deploy, false)
	op.checkServes(t, token)
	op.stop(t)

	// An upgrade with other values keeps the generated token: rotating it would lock the
	// identity provider out.
	cl.helm(t, "upgrade", release, chart, "--namespace", ns, "--set", "replicaCount=3")
	must(t, cl.c.Get(ctx, client.ObjectKey{Namespace: ns, Name: release}, &deploy))
	if *deploy.Spec.Replicas != 3 {
		t.Errorf("replicas after upgrade %d, want 3", *deploy.Spec.Replicas)
	}
	must(t, cl.c.Get(ctx, client.ObjectKey{Namespace: "scim", Name: release + "-token"}, &secret))
	if string(secret.Data["token"]) != token {
		t.Error("the upgrade rotated the tenant's token")
	}

	cl.helm(t, "uninstall", release, "--namespace", ns)
	for _, name := range crds {
		if !cl.crdExists(t, name) {
			t.Errorf("CRD %s deleted although crds.keep=true", name)
		}
	}
	if !cl.exists(t, &corev1.Namespace{}, "", "scim") {
		t.Error("the tenant namespace was deleted with the release")
	}
	for _, gone := range []struct {
		obj       client.Object
		namespace string
		name      string
	}{
		{&appsv1.Deployment{}, ns, release},
		{&corev1.Service{}, ns, release},
		{&corev1.ServiceAccount{}, ns, release},
		{&corev1.Secret{}, "scim", release + "-token"},
		{&rbacv1.ClusterRole{}, "", release + "-manager"},
		{&rbacv1.ClusterRoleBinding{}, "", release + "-manager"},
		{&rbacv1.Role{}, ns, release + "-leader-election"},
	} {
		if cl.exists(t, gone.obj, gone.namespace, gone.name) {
			t.Errorf("%T %s/%s is still there after uninstall", gone.obj, gone.namespace, gone.name)
		}
	}
}

// Namespaced mode: the operator runs with Roles in its tenant namespaces and in its own, serves
// HTTPS from a Secret it may read by name only, and can do nothing elsewhere.
func TestNamespacedModeRBAC(t *testing.T) {
	cl := startCluster(t)
	ctx := context.Background()
	const ns, release = "ops", "scim-operator"
	for _, name := range []string{ns, "acme", "elsewhere"} {
		must(t, cl.c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}))
	}
	cert, key := selfSigned(t)
	must(t, cl.c.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "serving"},
		Type:       corev1.SecretTypeTLS,
		Data:       map[string][]byte{corev1.TLSCertKey: cert, corev1.TLSPrivateKeyKey: key},
	}))
	cl.helm(t, "install", release, chart, "--namespace", ns,
		"--set", "watchNamespaces={acme}", "--set", "tenant.namespace=acme", "--set", "tls.secretName=serving")

	if cl.exists(t, &rbacv1.ClusterRole{}, "", release+"-manager") {
		t.Error("a ClusterRole in namespaced mode")
	}
	sa := "system:serviceaccount:" + ns + ":" + release
	for _, tc := range []struct {
		reason string
		attrs  authorizationv1.ResourceAttributes
		want   bool
	}{
		{"users of a watched tenant", authorizationv1.ResourceAttributes{Namespace: "acme", Group: "scim.scim-operator.io", Resource: "scimusers", Verb: "list"}, true},
		{"credentials of a watched tenant", authorizationv1.ResourceAttributes{Namespace: "acme", Resource: "secrets", Verb: "watch"}, true},
		{"its leader-election Lease", authorizationv1.ResourceAttributes{Namespace: ns, Group: "coordination.k8s.io", Resource: "leases", Verb: "update"}, true},
		{"users of another namespace", authorizationv1.ResourceAttributes{Namespace: "elsewhere", Group: "scim.scim-operator.io", Resource: "scimusers", Verb: "list"}, false},
		{"Secrets of another namespace", authorizationv1.ResourceAttributes{Namespace: "elsewhere", Resource: "secrets", Verb: "get"}, false},
		{"Secrets of every namespace", authorizationv1.ResourceAttributes{Resource: "secrets", Verb: "list"}, false},
		{"every Secret of its own namespace", authorizationv1.ResourceAttributes{Namespace: ns, Resource: "secrets", Verb: "list"}, false},
		{"another Secret of its own namespace by name", authorizationv1.ResourceAttributes{Namespace: ns, Resource: "secrets", Verb: "get", Name: "someone-elses"}, false},
		{"Leases elsewhere", authorizationv1.ResourceAttributes{Namespace: "elsewhere", Group: "coordination.k8s.io", Resource: "leases", Verb: "create"}, false},
	} {
		sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
			User: sa, Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"},
			ResourceAttributes: &tc.attrs,
		}}
		must(t, cl.c.Create(ctx, sar))
		if sar.Status.Allowed != tc.want {
			t.Errorf("%s: allowed=%v, want %v", tc.reason, sar.Status.Allowed, tc.want)
		}
	}

	var deploy appsv1.Deployment
	must(t, cl.c.Get(ctx, client.ObjectKey{Namespace: ns, Name: release}, &deploy))
	var secret corev1.Secret
	must(t, cl.c.Get(ctx, client.ObjectKey{Namespace: "acme", Name: release + "-token"}, &secret))
	op := startOperatorAs(t, cl, &deploy, true)
	op.checkServes(t, string(secret.Data["token"]))
	op.stop(t)
}

// checkPodSecurity holds the Deployment to the restricted Pod Security Standard.
func checkPodSecurity(t *testing.T, d *appsv1.Deployment) {
	t.Helper()
	pod := d.Spec.Template.Spec
	psc := pod.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser != 65532 ||
		psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("pod securityContext: %+v", psc)
	}
	for _, c := range pod.Containers {
		sc := c.SecurityContext
		if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
			sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
			sc.Capabilities == nil || !reflect.DeepEqual(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) {
			t.Errorf("container %s securityContext: %+v", c.Name, sc)
		}
		if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() {
			t.Errorf("container %s has no resource requests", c.Name)
		}
		if c.LivenessProbe == nil || c.LivenessProbe.HTTPGet == nil || c.LivenessProbe.HTTPGet.Path != "/healthz" ||
			c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet == nil || c.ReadinessProbe.HTTPGet.Path != "/readyz" {
			t.Errorf("container %s probes: %+v %+v", c.Name, c.LivenessProbe, c.ReadinessProbe)
		}
	}
}

// checkClusterRoleMatchesConfig: the chart grants exactly the rules controller-gen generated
// from the +kubebuilder:rbac markers.
func checkClusterRoleMatchesConfig(t *testing.T, cl *cluster, name string) {
	t.Helper()
	var installed rbacv1.ClusterRole
	must(t, cl.c.Get(context.Background(), client.ObjectKey{Name: name}, &installed))
	data, err := os.ReadFile(filepath.Join(root, "config", "rbac", "role.yaml"))
	must(t, err)
	var generated rbacv1.ClusterRole
	must(t, yaml.Unmarshal(data, &generated))
	if !reflect.DeepEqual(installed.Rules, generated.Rules) {
		t.Errorf("ClusterRole %s rules differ from config/rbac/role.yaml:\n%v\n%v", name, installed.Rules, generated.Rules)
	}
}

// leaseHeld reports whether the operator's leader-election Lease in namespace has a holder.
func leaseHeld(t *testing.T, cl *cluster, namespace string) bool {
	t.Helper()
	var lease coordinationv1.Lease
	if !cl.exists(t, &lease, namespace, "scim-operator.scim-operator.io") {
		return false
	}
	return lease.Spec.HolderIdentity != nil && *lease.Spec.HolderIdentity != ""
}
