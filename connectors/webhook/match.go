package webhook

import "encoding/json"

// contains says whether have holds want: every field of an object (recursively), every
// element of an array, and equal scalars, numbers by value. A null in want matches a missing
// field.
func contains(have, want any) bool {
	switch w := want.(type) {
	case map[string]any:
		h, ok := have.(map[string]any)
		if !ok {
			return false
		}
		for k, wv := range w {
			hv, present := h[k]
			if !present && wv != nil || present && !contains(hv, wv) {
				return false
			}
		}
		return true
	case []any:
		h, ok := have.([]any)
		if !ok || len(h) != len(w) {
			return false
		}
		for i := range w {
			if !contains(h[i], w[i]) {
				return false
			}
		}
		return true
	case json.Number:
		h, ok := have.(json.Number)
		if !ok {
			return false
		}
		if h == w {
			return true
		}
		hf, herr := h.Float64()
		wf, werr := w.Float64()
		return herr == nil && werr == nil && hf == wf
	}
	return have == want
}
