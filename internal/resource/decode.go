package resource

import (
	"bytes"
	"encoding/json"
	"errors"

	"io"
	"strings"

	"github.com/scim-operator/scim-operator/internal/scimerr"
)

// splitBody parses a SCIM resource body into its core attributes, re-encoded so that a strict
// struct decode can follow, and its extension objects keyed by schema URN. SCIM attribute names
// are case-insensitive; encoding/json matches struct fields case-insensitively, and URN keys are
// matched here with strings.EqualFold.
func splitBody(body []byte) (core []byte, extensions map[string]json.RawMessage, err error) {
	if trimmed := bytes.TrimSpace(body); len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, nil, scimerr.InvalidSyntax("the request body must be a JSON object")
	}
	var attrs map[string]json.RawMessage
	if err := json.Unmarshal(body, &attrs); err != nil {
		return nil, nil, syntaxError(err)
	}
	for key, value := range attrs {
		if !hasPrefixFold(key, "urn:") {
			continue
		}
		delete(attrs, key)
		if string(value) == "null" {
			continue
		}
		if len(value) == 0 || value[0] != '{' {
			return nil, nil, scimerr.InvalidSyntax("extension %q must be a JSON object", key)
		}
		if extensions == nil {
			extensions = map[string]json.RawMessage{}
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, value); err != nil {
			return nil, nil, syntaxError(err)
		}
		extensions[key] = compact.Bytes()
	}
	core, err = json.Marshal(attrs)
	return core, extensions, err
}

// decodeStrict decodes data into v, rejecting attributes v does not have.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return syntaxError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return scimerr.InvalidSyntax("unexpected data after the JSON object")
	}
	return nil
}

// syntaxError turns a JSON decoding error into a SCIM error that names what was wrong without
// echoing the client's values.
func syntaxError(err error) error {
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &typeErr):
		return scimerr.InvalidValue("attribute %q must be a JSON %s", typeErr.Field, typeErr.Type.Kind())
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return scimerr.InvalidSyntax("unknown attribute %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
	default:
		return scimerr.InvalidSyntax("malformed JSON: %v", err)
	}
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// ignoredOnInput are attributes a client may send that the server owns: RFC 7643 makes them
// read-only, so they are ignored rather than rejected (Okta sends "groups": [] and "id").
type ignoredOnInput struct {
	Schemas []string        `json:"schemas"`
	ID      json.RawMessage `json:"id"`
	Meta    json.RawMessage `json:"meta"`
}

func requireString(name, value string) error {
	if strings.TrimSpace(value) == "" {
		return scimerr.InvalidValue("attribute %q is required", name)
	}
	return nil
}
