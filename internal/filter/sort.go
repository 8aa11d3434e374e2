package filter

import (
	"cmp"
	"fmt"
	"strings"
	"time"

	"github.com/scim-operator/scim-operator/internal/schema"
	"github.com/scim-operator/scim-operator/internal/scimerr"
)

// SortKey is a parsed sortBy attribute (RFC 7644 §3.4.2.3).
type SortKey struct {
	keys      []string // document keys of the attribute
	sub       string   // sub-attribute name, or ""
	typ       string   // schema type of the value sorted by
	caseExact bool
}

// ParseSortBy parses the sortBy parameter for resources of type rt. An unknown attribute, or a
// complex one without a sub-attribute to sort by, is a 400 invalidValue. A multi-valued
// complex attribute without a sub-attribute ("emails") sorts by its "value".
func ParseSortBy(path string, rt *schema.ResourceType) (*SortKey, error) {
	s, attr, sub, ok := rt.Resolve(path)
	if !ok {
		return nil, scimerr.InvalidValue("unknown sortBy attribute %q", path)
	}
	if sub == nil && attr.Type == schema.TypeComplex {
		if sub = attr.Sub("value"); sub == nil || !attr.MultiValued {
			return nil, scimerr.InvalidValue("cannot sort by complex attribute %q", path)
		}
	}
	k := &SortKey{typ: attr.Type, caseExact: attr.CaseExact}
	if s != rt.Core {
		k.keys = append(k.keys, s.ID)
	}
	k.keys = append(k.keys, attr.Name)
	if sub != nil {
		k.sub, k.typ, k.caseExact = sub.Name, sub.Type, sub.CaseExact
	}
	return k, nil
}

// Compare orders documents a and b ascending by the key: -1, 0 or +1. Strings compare folded
// unless caseExact, numbers numerically, dateTimes chronologically, false before true. A
// multi-valued attribute sorts by its primary value, else its first. Documents without a
// value sort after those with one. The caller reverses for descending and breaks ties.
func (k *SortKey) Compare(a, b map[string]any) int {
	va, oka := k.value(a)
	vb, okb := k.value(b)
	if !oka || !okb {
		return cmp.Compare(boolRank(!oka), boolRank(!okb))
	}
	ka, kb := k.typed(va), k.typed(vb)
	if ka.kind != kb.kind {
		return cmp.Compare(ka.kind, kb.kind)
	}
	switch ka.kind {
	case kindBool, kindNumber:
		return cmp.Compare(ka.f, kb.f)
	case kindTime:
		return ka.t.Compare(kb.t)
	}
	return strings.Compare(ka.s, kb.s)
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// value returns the value of the key in doc, if present.
func (k *SortKey) value(doc map[string]any) (any, bool) {
	var cur any = doc
	for _, key := range k.keys {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = lookup(m, key); !ok {
			return nil, false
		}
	}
	if arr, ok := cur.([]any); ok {
		cur = primaryOrFirst(arr)
	}
	if k.sub != "" {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		cur, _ = lookup(m, k.sub)
	}
	return cur, present(cur)
}

// primaryOrFirst returns the element marked primary, else the first present element.
func primaryOrFirst(arr []any) any {
	for _, e := range arr {
		if m, ok := e.(map[string]any); ok {
			if p, ok := lookup(m, "primary"); ok {
				if b, ok := asBool(p); ok && b {
					return e
				}
			}
		}
	}
	for _, e := range arr {
		if present(e) {
			return e
		}
	}
	return nil
}

const (
	kindBool = iota
	kindNumber
	kindTime
	kindString
	kindOther // a value whose JSON type does not fit the schema: sorted last, as text
)

type sortValue struct {
	kind int
	f    float64
	t    time.Time
	s    string
}

// typed converts a document value for comparison by the key's schema type.
func (k *SortKey) typed(v any) sortValue {
	switch k.typ {
	case schema.TypeBoolean:
		if b, ok := asBool(v); ok {
			return sortValue{kind: kindBool, f: float64(boolRank(b))}
		}
	case schema.TypeInteger, schema.TypeDecimal:
		if f, ok := asFloat(v); ok {
			return sortValue{kind: kindNumber, f: f}
		}
	case schema.TypeDateTime:
		if s, ok := v.(string); ok {
			if t, ok := parseTime(s); ok {
				return sortValue{kind: kindTime, t: t}
			}
		}
	default:
		if s, ok := v.(string); ok {
			if !k.caseExact {
				s = fold(s)
			}
			return sortValue{kind: kindString, s: s}
		}
	}
	return sortValue{kind: kindOther, s: fmt.Sprint(v)}
}
