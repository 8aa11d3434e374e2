package scimserver

import (
	"net/http"
	"strings"

	"github.com/scim-operator/scim-operator/internal/schema"
	"github.com/scim-operator/scim-operator/internal/scimerr"
)

// projection is the attributes / excludedAttributes of a request (RFC 7644 §3.4.2.5).
type projection struct {
	include []attrRef // empty: every attribute returned by default
	exclude []attrRef
}

// attrRef names an attribute of a document: its key (the URN for an extension attribute),
// then the attribute and sub-attribute inside.
type attrRef struct {
	urn       string // "" for core attributes
	attribute string
	sub       string
}

// projectionFromURL reads attributes and excludedAttributes from a GET's query.
func projectionFromURL(r *http.Request, rt *schema.ResourceType) (projection, error) {
	q := r.URL.Query()
	return parseProjection(rt, q["attributes"], q["excludedAttributes"])
}

func (p projection) empty() bool { return len(p.include) == 0 && len(p.exclude) == 0 }

// onlyExcludes reports whether p does nothing but exclude attribute (a core attribute, whole).
func (p projection) onlyExcludes(attribute string) bool {
	return len(p.include) == 0 && len(p.exclude) == 1 && !p.wants(attribute)
}

// parseProjection reads comma-separated attribute paths. Microsoft's validator sends value
// filters in them (attributes=emails[type eq "work"]); the filter is ignored and the attribute
// returned whole.
func parseProjection(rt *schema.ResourceType, include, exclude []string) (projection, error) {
	var p projection
	var err error
	if p.include, err = parseAttrRefs(rt, include); err != nil {
		return p, err
	}
	p.exclude, err = parseAttrRefs(rt, exclude)
	return p, err
}

func parseAttrRefs(rt *schema.ResourceType, lists []string) ([]attrRef, error) {
	var refs []attrRef
	for _, list := range lists {
		for _, path := range strings.Split(list, ",") {
			path = strings.TrimSpace(path)
			if i := strings.IndexByte(path, '['); i >= 0 {
				path = path[:i]
			}
			if path == "" {
				continue
			}
			sc, attr, sub, ok := rt.Resolve(path)
			if !ok {
				return nil, scimerr.InvalidValue("unknown attribute %q", path)
			}
			ref := attrRef{attribute: attr.Name}
			if sc != rt.Core {
				ref.urn = sc.ID
			}
			if sub != nil {
				ref.sub = sub.Name
			}
			refs = append(refs, ref)
		}
	}
	return refs, nil
}

// wants reports whether the attribute named top-level (core) is returned; a group's members
// are not even loaded when it is not.
func (p projection) wants(attribute string) bool {
	for _, r := range p.exclude {
		if r.urn == "" && r.sub == "" && strings.EqualFold(r.attribute, attribute) {
			return false
		}
	}
	if len(p.include) == 0 {
		return true
	}
	for _, r := range p.include {
		if r.urn == "" && strings.EqualFold(r.attribute, attribute) {
			return true
		}
	}
	return false
}

// alwaysReturned are never removed by a projection (RFC 7643: returned "always").
var alwaysReturned = map[string]bool{"id": true, "schemas": true, "meta": true}

// apply removes from doc what the projection does not return.
func (p projection) apply(doc map[string]any) map[string]any {
	if len(p.include) > 0 {
		kept := map[string]any{}
		for key, value := range doc {
			if alwaysReturned[key] {
				kept[key] = value
			}
		}
		for _, r := range p.include {
			copyRef(kept, doc, r)
		}
		doc = kept
	}
	for _, r := range p.exclude {
		removeRef(doc, r)
	}
	return doc
}

// container returns the map holding r's attribute: doc itself, or the extension object.
func container(doc map[string]any, r attrRef) (map[string]any, bool) {
	if r.urn == "" {
		return doc, true
	}
	for key, value := range doc {
		if strings.EqualFold(key, r.urn) {
			m, ok := value.(map[string]any)
			return m, ok
		}
	}
	return nil, false
}

func copyRef(dst, src map[string]any, r attrRef) {
	from, ok := container(src, r)
	if !ok {
		return
	}
	value, found := from[r.attribute]
	if !found {
		return
	}
	into := dst
	if r.urn != "" {
		ext, _ := dst[r.urn].(map[string]any)
		if ext == nil {
			ext = map[string]any{}
			dst[r.urn] = ext
		}
		into = ext
	}
	if r.sub == "" {
		into[r.attribute] = value
		return
	}
	into[r.attribute] = mergeSub(into[r.attribute], value, r.sub)
}

// mergeSub copies sub-attribute sub of value (an object, or a list of objects) into prev.
func mergeSub(prev, value any, sub string) any {
	switch v := value.(type) {
	case map[string]any:
		out, _ := prev.(map[string]any)
		if out == nil {
			out = map[string]any{}
		}
		if s, ok := v[sub]; ok {
			out[sub] = s
		}
		return out
	case []any:
		out, _ := prev.([]any)
		if len(out) != len(v) {
			out = make([]any, len(v))
		}
		for i, elem := range v {
			out[i] = mergeSub(out[i], elem, sub)
		}
		return out
	}
	return prev
}

func removeRef(doc map[string]any, r attrRef) {
	if r.urn == "" && alwaysReturned[r.attribute] {
		return
	}
	from, ok := container(doc, r)
	if !ok {
		return
	}
	if r.sub == "" {
		delete(from, r.attribute)
		return
	}
	switch v := from[r.attribute].(type) {
	case map[string]any:
		delete(v, r.sub)
	case []any:
		for _, elem := range v {
			if m, ok := elem.(map[string]any); ok {
				delete(m, r.sub)
			}
		}
	}
}
