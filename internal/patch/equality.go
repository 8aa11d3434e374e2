package patch

import (
	"encoding/json"
	"strings"
	"unicode"

	"github.com/scim-operator/scim-operator/internal/schema"
)

// equalities reads a value filter that is only `sub eq literal` tests joined by "and", such as
// `type eq "work"` or `type eq "work" and primary eq true`, and returns the values it demands,
// keyed by canonical sub-attribute name. ok is false for any other filter.
//
// It exists for E11 (a replace through a filter that matches nothing creates the value), which
// needs the values the filter names; the filter package answers only "does this match". It is
// deliberately no filter parser: anything beyond equalities is refused, and the caller checks
// the value it builds with the real filter's Matches.
func equalities(text string, attr *schema.Attribute) (values map[string]any, ok bool) {
	values = map[string]any{}
	for _, term := range splitAnd(text) {
		name, rest, found := strings.Cut(strings.TrimSpace(term), " ")
		if !found {
			return nil, false
		}
		op, literal, found := strings.Cut(strings.TrimLeftFunc(rest, unicode.IsSpace), " ")
		if !found || !strings.EqualFold(op, "eq") {
			return nil, false
		}
		sub := attr.Sub(name)
		if sub == nil || sub.Type == schema.TypeComplex {
			return nil, false
		}
		if _, dup := values[sub.Name]; dup {
			return nil, false
		}
		v, ok := parseLiteral(literal)
		if !ok {
			return nil, false
		}
		cv, err := coerceValue(sub, v, sub.Name)
		if err != nil {
			return nil, false
		}
		values[sub.Name] = cv
	}
	return values, len(values) > 0
}

// splitAnd splits text at the word "and" outside string literals. A parenthesis outside a
// string yields no terms, so the filter is not taken for a plain conjunction.
func splitAnd(text string) []string {
	var terms []string
	inString, escaped, start := false, false, 0
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case inString:
		case c == '(' || c == ')':
			return nil
		case isSpace(c) && i+4 < len(text) && strings.EqualFold(text[i+1:i+4], "and") && isSpace(text[i+4]):
			terms = append(terms, text[start:i])
			start = i + 4
			i += 3
		}
	}
	return append(terms, text[start:])
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r'
}

// parseLiteral reads a JSON literal, or a bare word: the filter package accepts the unquoted
// strings Entra writes (`type eq work`), so they describe a value too.
func parseLiteral(s string) (any, bool) {
	s = strings.TrimSpace(s)
	var v any
	if err := json.Unmarshal([]byte(s), &v); err == nil {
		return v, v != nil
	}
	if s == "" || strings.ContainsAny(s, "\" \t\r\n()[]") {
		return nil, false
	}
	return s, true
}
