package resource

import (
	"bytes"
	"encoding/json"
	"sync"
)

// Marshal encodes v as JSON without HTML escaping: SCIM values such as "R&D" stay readable.
//
// The representations of this package that write their own JSON (a User, a ListResponse) are
// asked for it directly: encoding/json would validate and compact a marshaler's output again,
// which for a page of 100 users cost as much as writing it. Inside a ListResponse each
// resource is written once, into the page's buffer.
func Marshal(v any) ([]byte, error) {
	size := 512
	if s, ok := v.(selfEncoding); ok {
		size = s.encodedSize()
	}
	e := newEncoder(size)
	if err := e.value(v); err != nil {
		return nil, err
	}
	return e.buf.Bytes(), nil
}

// Encode encodes v as Marshal does, into a buffer kept for the next call, and hands the bytes
// to use, which must not keep them. Responses are encoded this way: a page of 100 users is
// about 75 KB, which allocated afresh per page was most of a list page's garbage.
//
// When use fails, the buffer is not reused: an HTTP/2 server may still hold the bytes of a
// write that failed because its stream or connection closed, and they must not become
// another response's.
func Encode(v any, use func(data []byte) error) error {
	e := encoders.Get().(*encoder)
	e.buf.Reset()
	if s, ok := v.(selfEncoding); ok {
		e.buf.Grow(s.encodedSize())
	}
	if err := e.value(v); err != nil {
		encoders.Put(e)
		return err
	}
	if err := use(e.buf.Bytes()); err != nil {
		return err
	}
	if e.buf.Cap() <= maxPooledBuffer {
		encoders.Put(e)
	}
	return nil
}

// encoders are the encoders Encode reuses.
var encoders = sync.Pool{New: func() any { return newEncoder(0) }}

// maxPooledBuffer bounds the buffers kept for reuse: the members of a 100,000-member group
// take megabytes, which should go back to the heap once written.
const maxPooledBuffer = 1 << 20

// selfEncoding is a value of this package that writes its own compact, valid JSON.
type selfEncoding interface {
	encodeTo(e *encoder) error
	// encodedSize is about the size of its JSON, to allocate the buffer once.
	encodedSize() int
}

// Users of Okta's and Entra's bodies take about 550 bytes.
func (*User) encodedSize() int           { return 768 }
func (l *ListResponse) encodedSize() int { return 512 + 768*len(l.Resources) }

// encoder writes JSON values into one growing buffer through one json.Encoder. A page of 100
// users is written into one buffer: encoding each user apart allocated and copied a buffer per
// user, garbage whose collection cost more than the encoding at 100,000 cached users.
type encoder struct {
	buf  bytes.Buffer
	json *json.Encoder
}

func newEncoder(size int) *encoder {
	e := &encoder{}
	e.buf.Grow(size)
	e.json = json.NewEncoder(&e.buf)
	e.json.SetEscapeHTML(false)
	return e
}

// value appends v.
func (e *encoder) value(v any) error {
	if s, ok := v.(selfEncoding); ok {
		return s.encodeTo(e)
	}
	if err := e.json.Encode(v); err != nil { // writes nothing on error
		return err
	}
	e.buf.Truncate(e.buf.Len() - 1) // the newline Encode ends with
	return nil
}

// reopen drops the closing brace of the object just written, to append members to it.
func (e *encoder) reopen() {
	e.buf.Truncate(e.buf.Len() - 1)
}

// MarshalJSON writes the list with each resource encoded once (see Marshal).
func (l *ListResponse) MarshalJSON() ([]byte, error) {
	e := newEncoder(l.encodedSize())
	if err := l.encodeTo(e); err != nil {
		return nil, err
	}
	return e.buf.Bytes(), nil
}

func (l *ListResponse) encodeTo(e *encoder) error {
	type head struct {
		Schemas      []string `json:"schemas"`
		TotalResults int      `json:"totalResults"`
		StartIndex   int      `json:"startIndex"`
		ItemsPerPage int      `json:"itemsPerPage"`
		NextCursor   string   `json:"nextCursor,omitempty"`
	}
	if err := e.value(head{l.Schemas, l.TotalResults, l.StartIndex, l.ItemsPerPage, l.NextCursor}); err != nil {
		return err
	}
	e.reopen()
	e.buf.WriteString(`,"Resources":[`)
	for i, r := range l.Resources {
		if i > 0 {
			e.buf.WriteByte(',')
		}
		if err := e.value(r); err != nil {
			return err
		}
	}
	e.buf.WriteString("]}")
	return nil
}
