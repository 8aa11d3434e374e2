package servingcert

import (
	"fmt"
	"os"
	"testing"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/scim-operator/scim-operator/internal/testenv"
)

// One real API server for the package: the tests exercise the list/watch and field selector as
// they run in a cluster.
var (
	cfg *rest.Config
	k8s kubernetes.Interface
)

const namespace = "default"

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
	// The API server warns when a kubernetes.io/tls Secret holds bad PEM, which tests do on purpose.
	quiet := rest.CopyConfig(cfg)
	quiet.WarningHandler = rest.NoWarnings{}
	if k8s, err = kubernetes.NewForConfig(quiet); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}
