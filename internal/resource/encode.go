package resource

import (
	"bytes"
	"encoding/json"
)

// Marshal encodes v as JSON without HTML escaping: SCIM values such as "R&D" stay readable.
//
// The representations of this package that write their own JSON (a User, a ListResponse) are
// asked for it directly: encoding/json would validate and compact a marshaler's output again,
// which for a page of 100 users cost as much as writing it. Inside a ListResponse each
// resource is written once, the same way.
func Marshal(v any) ([]byte, error) {
	if s, ok := v.(selfEncoding); ok {
		return s.MarshalJSON()
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// selfEncoding is a value of this package whose MarshalJSON writes compact, valid JSON.
type selfEncoding interface {
	json.Marshaler
	encodesItself()
}

func (*User) encodesItself()         {}
func (*ListResponse) encodesItself() {}

// MarshalJSON writes the list with each resource encoded once (see Marshal).
func (l *ListResponse) MarshalJSON() ([]byte, error) {
	type head struct {
		Schemas      []string `json:"schemas"`
		TotalResults int      `json:"totalResults"`
		StartIndex   int      `json:"startIndex"`
		ItemsPerPage int      `json:"itemsPerPage"`
		NextCursor   string   `json:"nextCursor,omitempty"`
	}
	data, err := Marshal(head{l.Schemas, l.TotalResults, l.StartIndex, l.ItemsPerPage, l.NextCursor})
	if err != nil {
		return nil, err
	}
	data = append(data[:len(data)-1], `,"Resources":[`...)
	for i, r := range l.Resources {
		item, err := Marshal(r)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			data = append(data, ',')
		}
		data = append(data, item...)
	}
	return append(data, "]}"...), nil
}
