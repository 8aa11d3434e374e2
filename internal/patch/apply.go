package patch

import (
	"strings"

	"github.com/scim-operator/scim-operator/internal/schema"
	"github.com/scim-operator/scim-operator/internal/scimerr"
)

// Apply runs ops on a copy of doc and returns the copy; doc is never modified. The operations
// apply in order, and all of them or none: on an error the result is nil.
func Apply(doc map[string]any, ops []Operation, rt *schema.ResourceType) (map[string]any, error) {
	if len(ops) > MaxOperations {
		return nil, tooManyOperations(len(ops))
	}
	out, _ := deepCopy(doc).(map[string]any)
	if out == nil {
		out = map[string]any{}
	}
	a := &applier{rt: rt, doc: out, extensionsBefore: extensionState(doc, rt)}
	for i, op := range ops {
		if err := a.apply(op); err != nil {
			return nil, atOperation(i, err)
		}
	}
	a.enforcePrimary()
	a.tidyExtensions()
	return out, nil
}

// applier holds the document being changed and what the operations did that matters after
// the last one.
type applier struct {
	rt  *schema.ResourceType
	doc map[string]any
	// primaries are the values that operations set primary=true on, in order.
	primaries []primaryMark
	// extensionsBefore says, per extension URN, whether the input document carried it.
	extensionsBefore map[string]extensionPresence
}

func (a *applier) apply(op Operation) error {
	name := normaliseOp(op.Op)
	switch {
	case name == "":
		return scimerr.InvalidSyntax("op must be add, remove or replace")
	case op.Path != nil:
		return a.applyPath(name, op.Path, op.Value)
	case name == OpRemove:
		return noTarget("a remove operation needs a path")
	default:
		return a.applyObject(name, nil, op.Value)
	}
}

// applyObject applies a value without path (RFC 7644 §3.5.2.1 and §3.5.2.3): every key is
// an attribute path relative to scope (the core schema when nil), applied as if it were the
// operation's path.
func (a *applier) applyObject(op string, scope *schema.Schema, value any) error {
	obj, ok := value.(map[string]any)
	if !ok {
		return scimerr.InvalidValue("the value of an %s operation without path must be a JSON object", op)
	}
	for _, key := range sortedKeys(obj) {
		if err := a.applyKey(op, scope, key, obj[key]); err != nil {
			return err
		}
	}
	return nil
}

// applyKey applies one key of a value without path. Keys may be plain ("active"), dotted
// ("name.givenName"), URN-qualified ("urn:...:enterprise:2.0:User:employeeNumber") or a whole
// schema ("urn:...:enterprise:2.0:User": {...}) (E4).
func (a *applier) applyKey(op string, scope *schema.Schema, key string, value any) error {
	if scope == nil && strings.EqualFold(key, "schemas") {
		return nil // the server owns schemas
	}
	if scope == nil {
		if sch := a.rt.Schema(key); sch != nil {
			return a.applySchemaObject(op, sch, value)
		}
	}
	path := key
	if scope != nil {
		path = scope.ID + ":" + key
	}
	p, unknown, err := parsePath(path, a.rt)
	if err != nil {
		if unknown && !strings.Contains(key, "[") {
			return a.keepUnknown(op, scope, key, value)
		}
		return err
	}
	attr, sub, perr := p.definitions(a.rt)
	if perr != nil {
		return perr
	}
	// Clients echo server-owned attributes they read (K3: Okta sends the id when renaming a
	// group); RFC 7643 §7 has the server ignore them.
	if attr.Mutability == schema.ReadOnly || sub != nil && sub.Mutability == schema.ReadOnly {
		return nil
	}
	return a.applyPath(op, p, value)
}

// applySchemaObject applies an object given under a schema URN: the attributes of that
// schema, keyed by their names.
func (a *applier) applySchemaObject(op string, sch *schema.Schema, value any) error {
	if value == nil && sch != a.rt.Core {
		if op == OpReplace {
			deleteFold(a.doc, sch.ID)
		}
		return nil
	}
	if _, ok := value.(map[string]any); !ok {
		return scimerr.InvalidValue("the value of %q must be a JSON object", sch.ID)
	}
	return a.applyObject(op, sch, value)
}

// keepUnknown stores a key that names no attribute as given: inside its extension when it
// was given under one, otherwise at the top level, where the strict decoder will name it. An
// object under an unknown URN is an extension this server does not model: it is merged key by
// key, so custom extensions round-trip.
func (a *applier) keepUnknown(op string, scope *schema.Schema, key string, value any) error {
	target := a.doc
	if scope != nil && scope != a.rt.Core {
		target = a.container(scope.ID, true)
	}
	obj, isObj := value.(map[string]any)
	_, existing, _ := getFold(target, key)
	current, isMap := existing.(map[string]any)
	if scope != nil || !hasPrefixFold(key, "urn:") || !isObj || !isMap {
		setFold(target, key, deepCopy(value))
		return nil
	}
	for _, k := range sortedKeys(obj) {
		switch {
		case obj[k] != nil:
			setFold(current, k, deepCopy(obj[k]))
		case op == OpReplace:
			deleteFold(current, k)
		}
	}
	return nil
}

// applyPath applies one operation to the attribute p names.
func (a *applier) applyPath(op string, p *Path, value any) error {
	if p.Attribute == "" {
		return a.applyExtension(op, p.Schema, value)
	}
	attr, sub, err := p.definitions(a.rt)
	if err != nil {
		return err
	}
	if err := checkMutability(op, p, attr, sub, value); err != nil {
		return err
	}
	c := a.container(p.Schema, op != OpRemove)
	if c == nil {
		return nil // removing from an extension the resource does not have
	}
	t := target{a: a, op: op, path: p, c: c, attr: attr, sub: sub}
	switch {
	case attr.MultiValued && (p.Filter != nil || sub != nil):
		return t.values(value)
	case attr.MultiValued:
		return t.list(value)
	case sub != nil:
		return t.subAttribute(value)
	case attr.Type == schema.TypeComplex:
		return t.complex(value)
	default:
		return t.simple(value)
	}
}

// applyExtension applies an operation whose path is a whole extension URN.
func (a *applier) applyExtension(op, urn string, value any) error {
	ext := extension(a.rt, urn)
	if ext == nil {
		return invalidPath("the %s resource type has no extension %q", a.rt.Name, urn)
	}
	if op == OpRemove {
		deleteFold(a.doc, ext.ID)
		return nil
	}
	return a.applySchemaObject(op, ext, value)
}

// checkMutability enforces RFC 7643 §7 for an operation that names attr (and sub) in its
// path: read-only attributes never change, immutable sub-attributes are never removed, and
// required attributes are never unassigned (RFC 7644 §3.5.2.2).
func checkMutability(op string, p *Path, attr, sub *schema.Attribute, value any) error {
	switch {
	case attr.Mutability == schema.ReadOnly || sub != nil && sub.Mutability == schema.ReadOnly:
		return mutability("attribute %q is read-only", p.String())
	case sub != nil && sub.Mutability == schema.Immutable && (op == OpRemove || op == OpReplace && value == nil):
		return mutability("attribute %q is immutable and cannot be removed", p.String())
	case attr.Required && sub == nil && p.Filter == nil && (op == OpRemove || op == OpReplace && value == nil):
		return mutability("attribute %q is required and cannot be removed", p.String())
	}
	return nil
}

// container returns the map that holds attributes of the schema urn: the document for the
// core schema ("") or the extension's object, created when create is set.
func (a *applier) container(urn string, create bool) map[string]any {
	if urn == "" || strings.EqualFold(urn, a.rt.Core.ID) {
		return a.doc
	}
	key, v, found := getFold(a.doc, urn)
	if m, ok := v.(map[string]any); ok {
		if key != urn {
			delete(a.doc, key)
			a.doc[urn] = m
		}
		return m
	}
	if !create {
		return nil
	}
	if found {
		delete(a.doc, key)
	}
	m := map[string]any{}
	a.doc[urn] = m
	return m
}
