package resource

import (
	"bytes"
	"strconv"
	"unicode/utf8"
)

// object writes the members of one JSON object straight into a buffer, byte for byte as
// encoding/json writes a struct with the same tags (HTML left unescaped, as Marshal does).
// The User, read 100 at a time by list pages, is written with it: encoding/json's reflection
// and the garbage it left were most of a page's cost at 100,000 cached users
// (docs/benchmarks.md). TestUserEncodingIsTheTaggedStructs and FuzzUserEncoding hold it equal
// to encoding/json's encoding of a struct with the SCIM attribute names as tags.
type object struct {
	buf   *bytes.Buffer
	wrote bool
}

func openObject(buf *bytes.Buffer) object {
	buf.WriteByte('{')
	return object{buf: buf}
}

func (o *object) close() { o.buf.WriteByte('}') }

// key starts the member named k; names are this package's constants and need no escaping.
func (o *object) key(k string) {
	if o.wrote {
		o.buf.WriteByte(',')
	}
	o.wrote = true
	o.buf.WriteByte('"')
	o.buf.WriteString(k)
	o.buf.WriteString(`":`)
}

// rawMember writes the member k, a name from a client (so escaped), with a value already
// encoded as compact JSON.
func (o *object) rawMember(k string, raw []byte) {
	if o.wrote {
		o.buf.WriteByte(',')
	}
	o.wrote = true
	writeString(o.buf, k)
	o.buf.WriteByte(':')
	o.buf.Write(raw)
}

// str writes a string member (a field without omitempty).
func (o *object) str(k, v string) {
	o.key(k)
	writeString(o.buf, v)
}

// optStr writes a string member unless it is empty (omitempty).
func (o *object) optStr(k, v string) {
	if v != "" {
		o.str(k, v)
	}
}

func (o *object) boolean(k string, v bool) {
	o.key(k)
	o.buf.WriteString(strconv.FormatBool(v))
}

// optBool writes a bool member unless it is false (omitempty).
func (o *object) optBool(k string, v bool) {
	if v {
		o.boolean(k, v)
	}
}

// array writes the member k as an array of n values, each written by value(i); nothing
// when n is 0 (omitempty).
func (o *object) array(k string, n int, value func(i int)) {
	if n == 0 {
		return
	}
	o.key(k)
	o.buf.WriteByte('[')
	for i := range n {
		if i > 0 {
			o.buf.WriteByte(',')
		}
		value(i)
	}
	o.buf.WriteByte(']')
}

// writeString writes s as a JSON string, escaped as encoding/json escapes it with
// SetEscapeHTML(false): quote, backslash and control characters; U+2028 and U+2029; invalid
// UTF-8 becomes U+FFFD.
func writeString(buf *bytes.Buffer, s string) {
	const hex = "0123456789abcdef"
	buf.WriteByte('"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			buf.WriteString(s[start:i])
			switch b {
			case '"', '\\':
				buf.WriteByte('\\')
				buf.WriteByte(b)
			case '\b':
				buf.WriteString(`\b`)
			case '\f':
				buf.WriteString(`\f`)
			case '\n':
				buf.WriteString(`\n`)
			case '\r':
				buf.WriteString(`\r`)
			case '\t':
				buf.WriteString(`\t`)
			default:
				buf.Write([]byte{'\\', 'u', '0', '0', hex[b>>4], hex[b&0xF]})
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case c == utf8.RuneError && size == 1:
			buf.WriteString(s[start:i])
			buf.WriteString(`\ufffd`)
		case c == '\u2028' || c == '\u2029':
			buf.WriteString(s[start:i])
			buf.WriteString(`\u202`)
			buf.WriteByte(hex[c&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	buf.WriteString(s[start:])
	buf.WriteByte('"')
}
