package patch

import (
	"github.com/scim-operator/scim-operator/internal/schema"
)

// list handles a multi-valued attribute named without filter or sub-attribute: "members",
// "emails".
func (t *target) list(value any) error {
	if value == nil { // remove all values, or replace them with none; an add of null adds nothing
		if t.op != OpAdd {
			deleteFold(t.c, t.attr.Name)
		}
		return nil
	}
	given, err := coerceElements(t.attr, value)
	if err != nil {
		return err
	}
	switch t.op {
	case OpRemove:
		// E3: Entra removes a member with path "members" and the member in the value. Read
		// literally the RFC would empty the group; the client means "remove these".
		var kept []any
		for _, e := range t.elements() {
			if !containsElement(t.attr, given, e) {
				kept = append(kept, e)
			}
		}
		t.storeList(kept)
	case OpAdd:
		// A value already there is not added again (RFC 7644 §3.5.2.1), so retried adds
		// are harmless.
		list := t.elements()
		for _, g := range given {
			if i := indexOf(t.attr, list, g); i >= 0 {
				t.markPrimary(list[i], g)
				continue
			}
			list = append(list, g)
			t.markPrimary(g, g)
		}
		t.storeList(list)
	case OpReplace:
		for _, g := range given {
			t.markPrimary(g, g)
		}
		t.storeList(given)
	}
	return nil
}

// values handles the values of a multi-valued attribute selected by a filter and/or a
// sub-attribute: `members[value eq "x"]`, `emails[type eq "work"].value`, `emails.value`
// (no filter: every value).
func (t *target) values(value any) error {
	list := t.elements()
	var matches []map[string]any
	for _, e := range list {
		if m, ok := e.(map[string]any); ok && (t.path.Filter == nil || t.path.Filter.Matches(m)) {
			matches = append(matches, m)
		}
	}
	if t.unassigns(value) {
		t.storeList(t.without(list, matches))
		return nil
	}
	if value == nil {
		return nil
	}
	given, err := t.givenForValues(value)
	if err != nil {
		return err
	}
	if len(matches) == 0 {
		return t.create(list, given)
	}
	for _, m := range matches {
		if err := merge(m, given, t.op, t.attr, true); err != nil {
			return err
		}
		t.markPrimary(m, given)
	}
	t.storeList(list)
	return nil
}

// givenForValues converts the value of an add or replace on selected values to the
// sub-attributes to write into each of them.
func (t *target) givenForValues(value any) (map[string]any, error) {
	if t.sub == nil {
		return coerceComplex(t.attr, value, t.path.String())
	}
	v, err := coerceValue(t.sub, value, t.path.String())
	if err != nil {
		return nil, err
	}
	return map[string]any{t.sub.Name: v}, nil
}

// create adds the value a filter that matched nothing describes. Entra replaces
// `emails[type eq "work"].value` when the user has no work email and expects it created
// (E11), and adds through such paths too. Only a filter made of equalities describes a value;
// any other is noTarget (RFC 7644 §3.5.2.3).
func (t *target) create(list []any, given map[string]any) error {
	if dropNulls(given); len(given) == 0 {
		return nil // nothing to write, so nothing to create
	}
	elem := map[string]any{}
	if f := t.path.Filter; f != nil {
		eq, ok := equalities(t.path.FilterText, t.attr)
		_, overwritten := eq[t.subName()]
		if !ok || overwritten || !f.Matches(eq) {
			return noTarget("no value of %q matches the filter %q", t.attr.Name, t.path.FilterText)
		}
		elem = eq
	}
	for k, v := range given {
		setFold(elem, k, v)
	}
	t.markPrimary(elem, elem)
	t.storeList(append(list, elem))
	return nil
}

// without removes the matched values, or with a sub-attribute path that sub-attribute from
// them (a value left empty goes too).
func (t *target) without(list []any, matches []map[string]any) []any {
	kept := make([]any, 0, len(list))
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok || !containsMap(matches, m) {
			kept = append(kept, e)
			continue
		}
		if t.sub != nil {
			deleteFold(m, t.sub.Name)
			if len(m) > 0 {
				kept = append(kept, m)
			}
		}
	}
	return kept
}

func (t *target) subName() string {
	if t.sub == nil {
		return ""
	}
	return t.sub.Name
}

// elements returns the current values of the attribute. A lone value where a list belongs is
// read as a list of one.
func (t *target) elements() []any {
	_, v, _ := getFold(t.c, t.attr.Name)
	switch l := v.(type) {
	case nil:
		return nil
	case []any:
		return l
	default:
		return []any{l}
	}
}

// storeList writes the values back; no values means the attribute is unassigned.
func (t *target) storeList(list []any) {
	if len(list) == 0 {
		deleteFold(t.c, t.attr.Name)
		return
	}
	setFold(t.c, t.attr.Name, list)
}

// indexOf returns the index of the first value in list that already holds g, or -1.
func indexOf(attr *schema.Attribute, list []any, g any) int {
	for i, e := range list {
		if sameElement(attr, e, g) {
			return i
		}
	}
	return -1
}

// containsElement reports whether e is one of the given values (see sameElement).
func containsElement(attr *schema.Attribute, given []any, e any) bool {
	for _, g := range given {
		if sameElement(attr, e, g) {
			return true
		}
	}
	return false
}

// sameElement reports whether the existing value e already holds the given value g: every
// sub-attribute of g is equal in e. For attributes whose "value" is immutable (members, where
// it is the member's id) the value alone identifies the record, so a member given with another
// display name is still the same member.
func sameElement(attr *schema.Attribute, e, g any) bool {
	em, eok := e.(map[string]any)
	gm, gok := g.(map[string]any)
	if !eok || !gok {
		return !eok && !gok && equalValue(attr, e, g)
	}
	if vs := attr.Sub("value"); vs != nil && vs.Mutability == schema.Immutable {
		_, gv, ok := getFold(gm, vs.Name)
		_, ev, _ := getFold(em, vs.Name)
		return ok && gv != nil && equalValue(vs, ev, gv)
	}
	if len(gm) == 0 {
		return false
	}
	for k, gv := range gm {
		_, ev, ok := getFold(em, k)
		if !ok || !equalValue(attr.Sub(k), ev, gv) {
			return false
		}
	}
	return true
}

func containsMap(list []map[string]any, m map[string]any) bool {
	for _, e := range list {
		if sameMap(e, m) {
			return true
		}
	}
	return false
}
