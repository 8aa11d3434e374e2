package patch

import (
	"reflect"
	"slices"
	"strings"
)

// SCIM attribute names are case-insensitive, but documents hold one spelling. These helpers
// find a key in any case and write it back with the schema's canonical name, so a document
// never holds two spellings of one attribute.

// getFold returns the key of m that equals name case-insensitively, preferring an exact match.
func getFold(m map[string]any, name string) (key string, value any, ok bool) {
	if v, ok := m[name]; ok {
		return name, v, true
	}
	for k, v := range m {
		if strings.EqualFold(k, name) {
			return k, v, true
		}
	}
	return "", nil, false
}

// setFold sets m[name], removing any other spelling of name.
func setFold(m map[string]any, name string, value any) {
	deleteFold(m, name)
	m[name] = value
}

// deleteFold removes every spelling of name from m.
func deleteFold(m map[string]any, name string) {
	for k := range m {
		if strings.EqualFold(k, name) {
			delete(m, k)
		}
	}
}

// sortedKeys returns the keys of m in a fixed order, so that a request whose keys overlap
// ("name" and "name.givenName") always gives the same result.
func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// deepCopy copies a JSON-shaped value, so the result shares nothing with the input.
func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = deepCopy(e)
		}
		return out
	default:
		return v
	}
}

// sameMap reports whether a and b are the same map object (not merely equal): it tracks an
// element of a multi-valued attribute across operations that reorder or shrink the list.
func sameMap(a, b map[string]any) bool {
	return reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer()
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
