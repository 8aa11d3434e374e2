package scim

import "strings"

// field is one attribute the connector manages. The same list builds the body of a create or
// PUT, the operations of a PATCH and the UpToDate comparison, so these cannot disagree.
type field struct {
	path path
	// want is the value to send; nil means the attribute should have none.
	want any
	// same says whether the value the app holds (nil when none) matches.
	same func(got any) bool
}

// textField is a string attribute; "" means none.
func textField(p path, want string) field {
	f := field{path: p, same: func(got any) bool { return text(got) == want }}
	if want != "" {
		f.want = want
	}
	return f
}

// operation is one PATCH operation (RFC 7644 §3.5.2).
type operation struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value,omitempty"`
}

// operations are the PATCH operations that bring doc in line with fields.
func operations(fields []field, doc object) []operation {
	var ops []operation
	for _, f := range fields {
		switch got := get(doc, f.path); {
		case f.same(got):
		case f.want == nil:
			ops = append(ops, operation{Op: "remove", Path: f.path.String()})
		default:
			ops = append(ops, operation{Op: "replace", Path: f.path.String(), Value: f.want})
		}
	}
	return ops
}

// patchBody is the PatchOp message of ops.
func patchBody(ops []operation) object {
	return object{"schemas": []string{patchOp}, "Operations": ops}
}

// document is the full resource of fields, for a create or a PUT, with id set for a PUT. Its
// schemas are core and the extensions that hold a value.
func document(core string, fields []field, id string) object {
	doc := object{}
	schemas := []string{core}
	for _, f := range fields {
		if f.want == nil {
			continue
		}
		set(doc, f.path, f.want)
		if u := f.path.urn; u != "" && !contains(schemas, u) {
			schemas = append(schemas, u)
		}
	}
	doc["schemas"] = schemas
	if id != "" {
		doc["id"] = id
	}
	return doc
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
