package patch

import "strings"

// primaryMark records that an operation set primary=true on elem, a value of the
// multi-valued attribute attr of the schema urn ("" for core).
type primaryMark struct {
	urn, attr string
	elem      map[string]any
}

// markPrimary records elem when the value the client gave sets primary=true.
func (t *target) markPrimary(elem, given any) {
	e, _ := elem.(map[string]any)
	g, _ := given.(map[string]any)
	if _, v, _ := getFold(g, "primary"); v == true && e != nil && t.attr.Sub("primary") != nil {
		t.a.primaries = append(t.a.primaries, primaryMark{urn: t.path.Schema, attr: t.attr.Name, elem: e})
	}
}

// enforcePrimary keeps "primary" true on at most one value of an attribute (RFC 7643 §2.4):
// the last value an operation made primary wins, and every other value of that attribute gets
// primary=false. A value later removed, or made non-primary again, no longer counts.
func (a *applier) enforcePrimary() {
	done := map[string]bool{}
	for i := len(a.primaries) - 1; i >= 0; i-- {
		m := a.primaries[i]
		key := strings.ToLower(m.urn + ":" + m.attr)
		if done[key] {
			continue
		}
		c := a.container(m.urn, false)
		if c == nil {
			continue
		}
		_, v, _ := getFold(c, m.attr)
		list, _ := v.([]any)
		if _, p, _ := getFold(m.elem, "primary"); p != true || !holds(list, m.elem) {
			continue
		}
		done[key] = true
		for _, e := range list {
			if e, ok := e.(map[string]any); ok && !sameMap(e, m.elem) {
				setFold(e, "primary", false)
			}
		}
	}
}

func holds(list []any, elem map[string]any) bool {
	for _, e := range list {
		if e, ok := e.(map[string]any); ok && sameMap(e, elem) {
			return true
		}
	}
	return false
}
