// Package helm_test checks the Helm chart against a real API server: lint, schema, server-side
// dry runs of what it renders, install/upgrade/uninstall, and the operator itself running with
// nothing but the chart's RBAC. It also builds the container image into an OCI layout.
package helm_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-logr/logr"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/scim-operator/scim-operator/internal/testenv"
)

var (
	root     = testenv.RepoRoot()
	chart    = filepath.Join(root, "charts", "scim-operator")
	helmBin  string
	helmHome string
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	// The chart is part of the product: a missing helm is a failure, not a reason to skip.
	cmd := exec.Command(filepath.Join(root, "hack", "helm", "helm.sh"))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		fmt.Fprintln(os.Stderr, "building helm with hack/helm/helm.sh:", err)
		return 1
	}
	helmBin = strings.TrimSpace(string(out))
	// envtest logs through controller-runtime; its messages are not this test's.
	log.SetLogger(logr.Discard())
	// Keep helm's repositories, cache and plugins out of the user's home.
	if helmHome, err = os.MkdirTemp("", "scim-operator-helm-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(helmHome)
	code := m.Run()
	if manager.path != "" {
		_ = os.RemoveAll(filepath.Dir(manager.path))
	}
	return code
}

// helm runs the helm CLI from the repository's root and returns its standard output; standard
// error is in the error.
func helm(args ...string) (string, error) {
	cmd := exec.Command(helmBin, args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(),
		"HELM_CONFIG_HOME="+filepath.Join(helmHome, "config"),
		"HELM_CACHE_HOME="+filepath.Join(helmHome, "cache"),
		"HELM_DATA_HOME="+filepath.Join(helmHome, "data"),
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("helm %s: %w\n%s%s", strings.Join(args, " "), err, stderr.String(), stdout.String())
	}
	return stdout.String(), nil
}

func mustHelm(t *testing.T, args ...string) string {
	t.Helper()
	out, err := helm(args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
