package operator_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/scim-operator/scim-operator/internal/testenv"
)

// The samples a user copies from config/samples are accepted by the API server and work:
// the sample user is served through SCIM with the sample token, in its group.
func TestSamplesWork(t *testing.T) {
	order := []string{"tenant.yaml", "scim_v1alpha1_scimtenant.yaml", "scim_v1alpha1_scimuser.yaml",
		"scim_v1alpha1_scimgroup.yaml", "scim_v1alpha1_scimgroupmembershard.yaml",
		"scim_v1alpha1_scimapp_scim.yaml", "scim_v1alpha1_scimapp_postgres.yaml",
		"scim_v1alpha1_scimapp_ldap.yaml", "scim_v1alpha1_scimapp_webhook.yaml"}
	for _, file := range order {
		data, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "config", "samples", file))
		if err != nil {
			t.Fatal(err)
		}
		dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
		for {
			var obj unstructured.Unstructured
			if err := dec.Decode(&obj.Object); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			if len(obj.Object) == 0 {
				continue
			}
			if err := k8s.Create(context.Background(), &obj); err != nil {
				t.Fatalf("%s: %s %s: %v", file, obj.GetKind(), obj.GetName(), err)
			}
		}
	}
	// The sample apps point at services that do not exist here: they are accepted, checked,
	// and reported not Ready, without blocking SCIM.
	const sampleToken = "replace-me-with-a-long-random-token"
	eventually(t, func() error {
		res := call(t, sampleToken, http.MethodGet, "/Users/ada", nil)
		if res.Status != http.StatusOK {
			return errors.New(string(res.Raw))
		}
		groups, _ := res.Body["groups"].([]any)
		if res.Body["userName"] != "ada@example.com" || len(groups) != 1 {
			return errors.New("sample user: " + string(res.Raw))
		}
		return nil
	})
}
