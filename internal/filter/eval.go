package filter

import (
	"encoding/json"
	"strings"
	"time"
)

// node is a validated filter expression.
type node interface {
	match(doc map[string]any) bool
}

type andNode struct{ l, r node }

func (n *andNode) match(doc map[string]any) bool { return n.l.match(doc) && n.r.match(doc) }

type orNode struct{ l, r node }

func (n *orNode) match(doc map[string]any) bool { return n.l.match(doc) || n.r.match(doc) }

type notNode struct{ x node }

func (n *notNode) match(doc map[string]any) bool { return !n.x.match(doc) }

// presentNode is `pr` (RFC 7644 §3.4.2.2): some value is present and not null, "", [] or {}.
type presentNode struct {
	keys []string
	path string
}

func (n *presentNode) match(doc map[string]any) bool { return each(doc, n.keys, present) }

// valuePathNode is `attr[filter]`: some element of attr matches the whole filter, so all its
// conditions hold for the same element.
type valuePathNode struct {
	keys   []string
	path   string
	core   bool
	filter node
}

func (n *valuePathNode) match(doc map[string]any) bool {
	return each(doc, n.keys, func(v any) bool {
		m, ok := v.(map[string]any)
		return ok && n.filter.match(m)
	})
}

// cmpNode compares an attribute with a non-null value.
type cmpNode struct {
	keys      []string
	path      string
	core      bool
	op        string // eq ne co sw ew gt ge lt le
	typ       string // the schema type of the attribute compared
	caseExact bool

	raw string // string value as written
	s   string // string value, folded unless caseExact
	b   bool
	f   float64
	num json.Number // the number as written, for String
	t   time.Time   // for dateTime with an ordering operator
}

// match is true if any value of a multi-valued attribute matches (RFC 7644 §3.4.2.2). `ne` is
// the negation of `eq`: it matches when no value equals, including when the attribute is
// unassigned, which RFC 7643 §2.5 makes the same as null, and null is not equal to a value.
func (n *cmpNode) match(doc map[string]any) bool {
	if n.op == "ne" {
		return !each(doc, n.keys, func(v any) bool { return n.test("eq", v) })
	}
	return each(doc, n.keys, func(v any) bool { return n.test(n.op, v) })
}

// each calls fn on every value at keys below cur, stepping through arrays at every level, and
// reports whether fn returned true for one. Keys match case-insensitively (RFC 7643 §2.1).
func each(cur any, keys []string, fn func(any) bool) bool {
	if arr, ok := cur.([]any); ok {
		for _, e := range arr {
			if each(e, keys, fn) {
				return true
			}
		}
		return false
	}
	if len(keys) == 0 {
		return cur != nil && fn(cur)
	}
	m, ok := cur.(map[string]any)
	if !ok {
		return false
	}
	v, ok := lookup(m, keys[0])
	return ok && each(v, keys[1:], fn)
}

// lookup returns m's value for key, matched exactly first and then case-insensitively (the
// smallest such key, so that the result does not depend on map order).
func lookup(m map[string]any, key string) (any, bool) {
	if v, ok := m[key]; ok {
		return v, true
	}
	var (
		found string
		value any
		ok    bool
	)
	for k, v := range m {
		if strings.EqualFold(k, key) && (!ok || k < found) {
			found, value, ok = k, v, true
		}
	}
	return value, ok
}

// present reports whether v counts as a value for pr: not null, "", [] or an object without
// any present member.
func present(v any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case string:
		return v != ""
	case []any:
		for _, e := range v {
			if present(e) {
				return true
			}
		}
		return false
	case map[string]any:
		for _, e := range v {
			if present(e) {
				return true
			}
		}
		return false
	}
	return true
}
