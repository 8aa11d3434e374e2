package patch

import (
	"strings"

	"github.com/scim-operator/scim-operator/internal/schema"
)

// extensionPresence is what a document holds under an extension URN.
type extensionPresence struct {
	key      bool // the URN key exists
	nonEmpty bool // it holds an object with at least one attribute
}

func extensionState(doc map[string]any, rt *schema.ResourceType) map[string]extensionPresence {
	state := make(map[string]extensionPresence, len(rt.Extensions))
	for _, ext := range rt.Extensions {
		_, v, found := getFold(doc, ext.ID)
		m, _ := v.(map[string]any)
		state[ext.ID] = extensionPresence{key: found, nonEmpty: len(m) > 0}
	}
	return state
}

// tidyExtensions removes extension objects the operations emptied or created without
// filling, and keeps the document's "schemas" list in step with the extensions it now
// carries (RFC 7643 §3: schemas lists the extensions a resource has). Documents the
// operations did not change in this respect are left exactly as they were (E12: an empty
// PATCH is a no-op).
func (a *applier) tidyExtensions() {
	after := extensionState(a.doc, a.rt)
	for _, ext := range a.rt.Extensions {
		before, now := a.extensionsBefore[ext.ID], after[ext.ID]
		if now.key && !now.nonEmpty && (!before.key || before.nonEmpty) {
			if key, v, _ := getFold(a.doc, ext.ID); v != nil {
				if m, ok := v.(map[string]any); ok && len(m) == 0 {
					delete(a.doc, key)
				}
			}
		}
		if before.nonEmpty != now.nonEmpty {
			a.listSchema(ext.ID, now.nonEmpty)
		}
	}
}

// listSchema adds urn to or removes it from the document's schemas, if it has that list.
func (a *applier) listSchema(urn string, listed bool) {
	key, v, _ := getFold(a.doc, "schemas")
	list, ok := v.([]any)
	if !ok {
		return
	}
	out := make([]any, 0, len(list)+1)
	for _, e := range list {
		if s, ok := e.(string); !ok || !strings.EqualFold(s, urn) {
			out = append(out, e)
		}
	}
	if listed {
		out = append(out, urn)
	}
	a.doc[key] = out
}
