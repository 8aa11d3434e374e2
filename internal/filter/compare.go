package filter

import (
	"cmp"
	"encoding/json"
	"strings"
	"time"

	"github.com/scim-operator/scim-operator/internal/schema"
)

// test compares one value of the document with the node's value. A value whose JSON type does
// not fit the attribute's schema type never matches.
func (n *cmpNode) test(op string, v any) bool {
	switch n.typ {
	case schema.TypeBoolean:
		b, ok := asBool(v)
		return ok && b == n.b // only eq reaches here; ne is its negation
	case schema.TypeInteger, schema.TypeDecimal:
		f, ok := asFloat(v)
		return ok && ordered(op, cmp.Compare(f, n.f))
	}
	s, ok := v.(string)
	if !ok {
		return false
	}
	if n.typ == schema.TypeDateTime && !textOp(op) {
		// Chronological, so that different offsets and precisions of one instant are equal.
		t, ok := parseTime(s)
		return ok && ordered(op, t.Compare(n.t))
	}
	if !n.caseExact {
		s = fold(s)
	}
	switch op {
	case "co":
		return strings.Contains(s, n.s)
	case "sw":
		return strings.HasPrefix(s, n.s)
	case "ew":
		return strings.HasSuffix(s, n.s)
	}
	// RFC 7644 §3.4.2.2: gt/ge/lt/le on strings are lexicographic.
	return ordered(op, strings.Compare(s, n.s))
}

// ordered applies an eq/gt/ge/lt/le operator to the result c of comparing value and operand.
func ordered(op string, c int) bool {
	switch op {
	case "eq":
		return c == 0
	case "gt":
		return c > 0
	case "ge":
		return c >= 0
	case "lt":
		return c < 0
	case "le":
		return c <= 0
	}
	return false
}

// fold maps a string that is not caseExact to the form it is compared in.
func fold(s string) string { return strings.ToLower(s) }

// parseTime parses an xsd:dateTime as SCIM uses it (RFC 7643 §2.3.5), with any number of
// fractional digits; a value without an offset is taken as UTC.
func parseTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// asBool accepts a JSON boolean, or the strings "true"/"false" in any case as Entra sends them.
func asBool(v any) (bool, bool) {
	switch v := v.(type) {
	case bool:
		return v, true
	case string:
		switch strings.ToLower(v) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	return false, false
}

// asFloat accepts the number types a decoded document can hold.
func asFloat(v any) (float64, bool) {
	switch v := v.(type) {
	case float64:
		return v, true
	case int:
		return float64(v), true
	case int64:
		return float64(v), true
	case json.Number:
		f, err := v.Float64()
		return f, err == nil
	}
	return 0, false
}
