package resource

import (
	"bytes"
	"encoding/json"
)

// Marshal encodes v as JSON without HTML escaping: SCIM values such as "R&D" stay readable.
func Marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
