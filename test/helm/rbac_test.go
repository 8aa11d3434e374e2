package helm_test

import (
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// secretWrites are the verbs that change or remove a Secret.
var secretWrites = []string{"create", "update", "patch", "delete", "deletecollection", "*"}

// writesSecrets reports whether a rule lets its subject change Secrets.
func writesSecrets(r rbacv1.PolicyRule) bool {
	core := slices.Contains(r.APIGroups, "") || slices.Contains(r.APIGroups, "*")
	secrets := slices.Contains(r.Resources, "secrets") || slices.Contains(r.Resources, "*")
	return core && secrets && slices.ContainsFunc(r.Verbs, func(v string) bool { return slices.Contains(secretWrites, v) })
}

// The operator can create, change or delete Secrets only in tenant namespaces (and create its
// token-signing key in its own): never in every namespace, kube-system included, unless a
// value asks for it.
func TestChartGrantsNoClusterWideSecretWrites(t *testing.T) {
	const release = "scim-operator"
	for _, tc := range []struct {
		reason       string
		args         []string
		writableIn   []string
		clusterWrite bool
	}{
		{"defaults: the first tenant's namespace only", nil, []string{"scim"}, false},
		{"more tenant namespaces in cluster mode", []string{"--set", "rbac.secretWriteNamespaces={acme,beta}"}, []string{"acme", "beta", "scim"}, false},
		{"namespaced mode: the watched namespaces", []string{"--set", "watchNamespaces={scim,acme}"}, []string{"acme", "scim"}, false},
		{"no first tenant: nowhere", []string{"--set", "tenant.create=false"}, nil, false},
		{"the opt-in to cluster-wide writes", []string{"--set", "rbac.clusterWideSecretWrites=true"}, []string{"scim"}, true},
	} {
		t.Run(tc.reason, func(t *testing.T) {
			out := mustHelm(t, append([]string{"template", release, chart, "--namespace", release}, tc.args...)...)
			var writable []string
			clusterWrite := false
			for _, o := range decodeManifests(t, out) {
				switch o.GetKind() {
				case "ClusterRole":
					var role rbacv1.ClusterRole
					must(t, runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &role))
					if slices.ContainsFunc(role.Rules, writesSecrets) {
						clusterWrite = true
						if !tc.clusterWrite {
							t.Errorf("ClusterRole %s grants Secret writes in every namespace: %+v", role.Name, role.Rules)
						}
					}
				case "Role":
					var role rbacv1.Role
					must(t, runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &role))
					for _, r := range role.Rules {
						if !writesSecrets(r) {
							continue
						}
						if role.Namespace == release {
							// The token-signing key, created on first start.
							if !slices.Equal(r.Verbs, []string{"create"}) {
								t.Errorf("Role %s/%s: Secret verbs %v in the operator's own namespace; want create only", role.Namespace, role.Name, r.Verbs)
							}
							continue
						}
						writable = append(writable, role.Namespace)
					}
				}
			}
			sort.Strings(writable)
			if !slices.Equal(writable, tc.writableIn) {
				t.Errorf("Secret writes granted in %v; want %v", writable, tc.writableIn)
			}
			if clusterWrite != tc.clusterWrite {
				t.Errorf("cluster-wide Secret writes: %v; want %v", clusterWrite, tc.clusterWrite)
			}
		})
	}
}

// config/rbac (kustomize; role.yaml generated from the +kubebuilder:rbac markers) grants no
// ClusterRole a Secret write either.
func TestConfigGrantsNoClusterWideSecretWrites(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(root, "config", "rbac", "*.yaml"))
	must(t, err)
	for _, f := range files {
		data, err := os.ReadFile(f)
		must(t, err)
		for _, o := range decodeManifests(t, string(data)) {
			if o.GetKind() != "ClusterRole" {
				continue
			}
			var role rbacv1.ClusterRole
			must(t, runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &role))
			for _, r := range role.Rules {
				if writesSecrets(r) {
					t.Errorf("%s: ClusterRole %s grants %v on Secrets in every namespace", strings.TrimPrefix(f, root+"/"), role.Name, r.Verbs)
				}
			}
		}
	}
}
