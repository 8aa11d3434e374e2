package resource

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"

	"github.com/scim-operator/scim-operator/internal/schema"
	"github.com/scim-operator/scim-operator/internal/scimerr"
)

// DecodeOptions say how strictly a request body is read.
type DecodeOptions struct {
	// IgnoreUnknown drops attributes the schema does not define instead of refusing the
	// request (a tenant setting, for clients that send garbage on purpose, such as
	// Microsoft's validator).
	IgnoreUnknown bool
}

// parseBody parses a SCIM resource body into its core attributes, with string booleans made
// booleans, re-encoded for a struct decode, and its extension objects keyed by schema URN,
// compacted. SCIM attribute names are case-insensitive: encoding/json matches struct fields
// case-insensitively, and URN keys are matched here with strings.EqualFold.
func parseBody(body []byte, rt *schema.ResourceType) (core []byte, extensions map[string]json.RawMessage, err error) {
	if trimmed := bytes.TrimSpace(body); len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, nil, scimerr.InvalidSyntax("the request body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var attrs map[string]any
	if err := dec.Decode(&attrs); err != nil {
		return nil, nil, syntaxError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, nil, scimerr.InvalidSyntax("unexpected data after the JSON object")
	}
	for key, value := range attrs {
		if !hasPrefixFold(key, "urn:") {
			continue
		}
		delete(attrs, key)
		if value == nil {
			continue
		}
		obj, ok := value.(map[string]any)
		if !ok {
			return nil, nil, scimerr.InvalidSyntax("extension %q must be a JSON object", key)
		}
		if ext := rt.Schema(key); ext != nil {
			coerceBooleans(obj, ext.Attributes)
		}
		if extensions == nil {
			extensions = map[string]json.RawMessage{}
		}
		if extensions[key], err = Marshal(obj); err != nil {
			return nil, nil, err
		}
	}
	coerceBooleans(attrs, rt.Core.Attributes)
	core, err = Marshal(attrs)
	return core, extensions, err
}

// coerceBooleans turns the strings "True" and "False" (any case) into booleans where the
// schema defines a boolean: Microsoft Entra ID sends booleans as strings (quirk E2).
func coerceBooleans(obj map[string]any, attrs []schema.Attribute) {
	for key, value := range obj {
		var def *schema.Attribute
		for i := range attrs {
			if strings.EqualFold(attrs[i].Name, key) {
				def = &attrs[i]
				break
			}
		}
		if def == nil {
			continue
		}
		switch v := value.(type) {
		case string:
			if def.Type == schema.TypeBoolean {
				switch strings.ToLower(v) {
				case "true":
					obj[key] = true
				case "false":
					obj[key] = false
				}
			}
		case map[string]any:
			coerceBooleans(v, def.SubAttributes)
		case []any:
			for _, elem := range v {
				if m, ok := elem.(map[string]any); ok {
					coerceBooleans(m, def.SubAttributes)
				}
			}
		}
	}
}

// decode decodes data into v; unless unknown attributes are ignored, it refuses attributes v
// does not have.
func decode(data []byte, v any, opts DecodeOptions) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if !opts.IgnoreUnknown {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		return syntaxError(err)
	}
	return nil
}

// syntaxError turns a JSON decoding error into a SCIM error that names what was wrong without
// echoing the client's values.
func syntaxError(err error) error {
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &typeErr):
		return scimerr.InvalidValue("attribute %q must be %s", typeErr.Field, jsonKind(typeErr.Type))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return scimerr.InvalidSyntax("unknown attribute %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
	default:
		return scimerr.InvalidSyntax("malformed JSON: %v", err)
	}
}

// jsonKind names the JSON type a Go type decodes from, in the words of RFC 8259.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "a boolean"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.String:
		return "a string"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	default:
		return "a number"
	}
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// ignoredOnInput are attributes a client may send that the server owns: RFC 7643 makes them
// read-only, so they are ignored rather than rejected (Okta sends "groups": [] and "id").
type ignoredOnInput struct {
	Schemas any             `json:"schemas"`
	ID      json.RawMessage `json:"id"`
	Meta    json.RawMessage `json:"meta"`
}

func requireString(name, value string) error {
	if strings.TrimSpace(value) == "" {
		return scimerr.InvalidValue("attribute %q is required", name)
	}
	return nil
}
