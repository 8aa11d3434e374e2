package filter

import "github.com/scim-operator/scim-operator/internal/schema"

// hintRank lists the indexable paths, most selective first: the caller fetches fewer
// candidates through a unique attribute.
var hintRank = map[string]int{
	"id": 1, "userName": 2, "externalId": 3, "displayName": 4, "emails.value": 5, "members.value": 6,
}

// CaseExact reports whether the index must compare Value case-sensitively, from the
// attribute's schema: true for id and externalId, false for userName, displayName,
// emails.value and members.value.
func (e Equality) CaseExact() bool {
	for _, rt := range []*schema.ResourceType{schema.UserResourceType, schema.GroupResourceType} {
		if _, attr, sub, ok := rt.Resolve(e.Path); ok {
			if sub != nil {
				return sub.CaseExact
			}
			return attr.CaseExact
		}
	}
	return false
}

// hint finds the best indexable equality among the conjuncts of n.
func hint(n node) (Equality, bool) {
	var best Equality
	found := false
	consider := func(e Equality) {
		if !found || hintRank[e.Path] < hintRank[best.Path] {
			best, found = e, true
		}
	}
	var walk func(n node)
	walk = func(n node) {
		switch n := n.(type) {
		case *andNode:
			walk(n.l)
			walk(n.r)
		case *cmpNode:
			if e, ok := equality(n, ""); ok {
				consider(e)
			}
		case *valuePathNode:
			if n.core {
				valuePathHint(n.filter, n.path, consider)
			}
		}
	}
	walk(n)
	best.Whole = found && single(n)
	return best, found
}

// single reports whether n is one comparison: `a eq "x"`, or `a[b eq "x"]`, which matches the
// same documents as `a.b eq "x"`. If n has a hint, the hint is that comparison.
func single(n node) bool {
	if vp, ok := n.(*valuePathNode); ok {
		n = vp.filter
	}
	_, ok := n.(*cmpNode)
	return ok
}

// valuePathHint finds `value eq "x"` among the conjuncts of the filter of value path attr.
func valuePathHint(n node, attr string, consider func(Equality)) {
	switch n := n.(type) {
	case *andNode:
		valuePathHint(n.l, attr, consider)
		valuePathHint(n.r, attr, consider)
	case *cmpNode:
		if e, ok := equality(n, attr+"."); ok {
			consider(e)
		}
	}
}

// equality returns n as an index hint if it is `path eq "string"` on an indexable path;
// prefix is "attr." inside a value path.
func equality(n *cmpNode, prefix string) (Equality, bool) {
	if n.op != "eq" || n.typ != schema.TypeString || (prefix == "" && !n.core) {
		return Equality{}, false
	}
	path := prefix + n.path
	if _, ok := hintRank[path]; !ok {
		return Equality{}, false
	}
	return Equality{Path: path, Value: n.raw}, true
}
