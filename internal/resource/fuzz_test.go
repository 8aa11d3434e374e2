package resource

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/scim-operator/scim-operator/internal/scimerr"
)

// FuzzDecodeUser: no request body makes the decoder panic, and every refusal is a SCIM 4xx.
func FuzzDecodeUser(f *testing.F) {
	for _, seed := range []string{
		`{"userName":"ada","name":{"givenName":"Ada"},"emails":[{"value":"a@b","primary":true}]}`,
		`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"x","password":"p","groups":[]}`,
		`{"userName":"x","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{"value":"m"}}}`,
		`{"userName":"x","urn:custom":{"a":[1,{"b":null}]}}`,
		`{"userName":1}`, `[]`, `null`, `{"userName":"x"}{}`, `{"active":"True","userName":"x"}`,
	} {
		f.Add([]byte(seed))
	}
	addConformanceBodies(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		if _, err := DecodeUser(body, DecodeOptions{}); err != nil {
			if e := scimerr.As(err); e == nil || e.Status != 400 {
				t.Fatalf("error %v is not a SCIM 400", err)
			}
		}
		if _, err := DecodeGroup(body, DecodeOptions{}); err != nil {
			if e := scimerr.As(err); e == nil || e.Status != 400 {
				t.Fatalf("error %v is not a SCIM 400", err)
			}
		}
	})
}

// addConformanceBodies seeds the fuzzer with the conformance suites' files when the checkout
// has them (test/conformance/suites).
func addConformanceBodies(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "test", "conformance", "suites", "*.json"))
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil && len(data) < 1<<20 {
			f.Add(data)
		}
	}
}
