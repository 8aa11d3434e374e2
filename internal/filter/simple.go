package filter

import (
	"encoding/json"
	"strings"

	"github.com/scim-operator/scim-operator/internal/schema"
)

// parseSimple parses, without the PEG library (~50 µs a call), the filters identity providers
// send on almost every request: exactly `attrPath SP compareOp SP compValue` or
// `attrPath SP "pr"`. ok is false for any other text, and for any it is unsure of; the caller
// then runs the full parser, so this only has to be right on what it accepts. There it mirrors
// what lex, rewrite and the library would produce, and then shares resolvePath and comparison
// with the full parser, so the node or error is the same (FuzzFastParse checks it).
func parseSimple(s string, rt *schema.ResourceType) (n node, ok bool, err error) {
	if len(s) > MaxFilterLength {
		return nil, false, nil
	}
	path, rest, _ := strings.Cut(s, " ")
	if !isAttrPath(path) {
		return nil, false, nil
	}
	op, value, hasValue := strings.Cut(rest, " ")
	op = strings.ToLower(op)
	var v any
	switch {
	case op == "pr" && !hasValue:
	case compareOps[op] && hasValue:
		if v, ok = compareValue(value); !ok {
			return nil, false, nil
		}
	default:
		return nil, false, nil
	}
	t, err := resolvePath(rt, path)
	if err != nil {
		return nil, true, err
	}
	n, err = comparison(t, op, v)
	return n, true, err
}

// isAttrPath reports whether the library's AttrPath rule matches all of w:
// [URI] ATTRNAME ["." ATTRNAME], where URI is the longest run of `segment:` (PEG repetition
// is greedy and never gives back) and ATTRNAME is ["$"] ALPHA *("-" / "_" / DIGIT / ALPHA).
// Such a word is one token for lex, and the library's AttributePath.String() gives it back.
func isAttrPath(w string) bool {
	i := 0
	for {
		j := i
		for j < len(w) && (isAlnum(w[j]) || w[j] == '-' || w[j] == '.') {
			j++
		}
		if j == i || j == len(w) || w[j] != ':' {
			break
		}
		i = j + 1
	}
	i = attrNameEnd(w, i)
	if i >= 0 && i < len(w) && w[i] == '.' {
		i = attrNameEnd(w, i+1)
	}
	return i == len(w)
}

// attrNameEnd returns the end of the ATTRNAME that starts at w[i], or -1.
func attrNameEnd(w string, i int) int {
	if i < len(w) && w[i] == '$' {
		i++
	}
	if i >= len(w) || !isAlpha(w[i]) {
		return -1
	}
	for i++; i < len(w) && (isAlnum(w[i]) || w[i] == '-' || w[i] == '_'); i++ {
	}
	return i
}

func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isAlnum(c byte) bool { return isAlpha(c) || '0' <= c && c <= '9' }

// compareValue returns the comparison value that the full parser would hand to comparison for
// the last token w: a decoded JSON string; true, false (any case) or null (nil); a JSON number,
// with "E" written "e" as the library does; or else an unquoted word, which rewrite makes a
// string. ok is false when w is not one token or is unusual (a control character).
func compareValue(w string) (v any, ok bool) {
	if strings.HasPrefix(w, `"`) {
		if end, err := stringEnd(w, 0); err != nil || end != len(w) {
			return nil, false
		}
		return unquote(w)
	}
	if w == "" || strings.ContainsAny(w, ` ()[]"`) || strings.ContainsFunc(w, isControl) {
		return nil, false
	}
	switch strings.ToLower(w) {
	case "true":
		return true, true
	case "false":
		return false, true
	case "null":
		return nil, true
	}
	if jsonNumber.MatchString(w) {
		return json.Number(strings.Replace(w, "E", "e", 1)), true
	}
	return w, true
}

func isControl(r rune) bool { return r < ' ' || r == 0x7f }
