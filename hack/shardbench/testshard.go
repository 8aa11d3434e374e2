package main

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// The three formats, in a CRD of their own (testshards.bench.io): a list of {value,type}
// objects (the format before), a list of strings, and one string of lines (what
// ScimGroupMemberShard stores).
const testShardCRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: testshards.bench.io
spec:
  group: bench.io
  names: {kind: TestShard, listKind: TestShardList, plural: testshards, singular: testshard}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              group: {type: string, maxLength: 253}
              text: {type: string, maxLength: 3000000}
              users:
                type: array
                maxItems: 10000
                x-kubernetes-list-type: atomic
                items: {type: string, maxLength: 253, minLength: 1}
              objects:
                type: array
                maxItems: 10000
                x-kubernetes-list-type: atomic
                items:
                  type: object
                  required: [value]
                  properties:
                    value: {type: string, maxLength: 253, minLength: 1}
                    type: {type: string, enum: [User, Group]}
                    display: {type: string, maxLength: 256}
`

// testShard is a shard of the test CRD holding its members in format.
func testShard(i, members int, format string) client.Object {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("bench.io/v1")
	u.SetKind("TestShard")
	u.SetNamespace("default")
	u.SetName(fmt.Sprintf("c-%d", i))
	ids := make([]any, members)
	objects := make([]any, members)
	lines := make([]string, members)
	for j := range ids {
		lines[j] = fmt.Sprintf("u-%032x", i*1000000+j)
		ids[j] = lines[j]
		objects[j] = map[string]any{"value": lines[j], "type": "User"}
	}
	switch format {
	case "text":
		u.Object["spec"] = map[string]any{"group": "g", "text": strings.Join(lines, "\n")}
	case "strings":
		u.Object["spec"] = map[string]any{"group": "g", "users": ids}
	default:
		u.Object["spec"] = map[string]any{"group": "g", "objects": objects}
	}
	return u
}

// toggleTestShard adds a member to, or removes the last from, a test shard.
func toggleTestShard(obj client.Object, add bool) {
	spec := obj.(*unstructured.Unstructured).Object["spec"].(map[string]any)
	if text, ok := spec["text"].(string); ok {
		if add {
			spec["text"] = text + "\nu-extra"
		} else {
			spec["text"] = strings.TrimSuffix(text, "\nu-extra")
		}
		return
	}
	key, extra := "users", any("u-extra")
	if _, ok := spec["objects"]; ok {
		key, extra = "objects", map[string]any{"value": "u-extra", "type": "User"}
	}
	list := spec[key].([]any)
	if add {
		spec[key] = append(list, extra)
	} else {
		spec[key] = list[:len(list)-1]
	}
}
