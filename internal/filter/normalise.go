package filter

import (
	"regexp"
	"strconv"
	"strings"
)

// The filter text given to github.com/scim2/filter-parser is rewritten from the tokens first,
// because that library (v2.3.1):
//   - only accepts one attribute expression, or exactly two joined by and/or, inside [...],
//     where RFC 7644 allows any filter (`emails[type eq "work" and primary eq true and value
//     co "x"]`, or with parentheses);
//   - keeps string escapes undecoded and rejects lower-case \u escapes;
//   - does not know Microsoft Entra's `emails[type eq "work"].value eq "x"`, which means
//     `emails[type eq "work" and value eq "x"]`;
//   - rejects unquoted string values (`userName sw O`), which Microsoft's SCIM test
//     collection sends and expects to work.
//
// So every string literal becomes a reference `"N"` into parser.lits, every value path is
// parsed on its own and replaced by the expression `vp eq "N"` whose literal refers to the
// parsed value path, and the library sees only the attribute expressions and the logic around
// them. No user text can forge a reference: every literal the library sees was written here.

// lit is what a `"N"` reference in the rewritten text stands for.
type lit struct {
	str string
	vp  node // non-nil: the reference stands for this value path, not a string
}

var (
	compareOps = map[string]bool{"eq": true, "ne": true, "co": true, "sw": true, "ew": true,
		"gt": true, "ge": true, "lt": true, "le": true}
	jsonNumber = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)
)

// rewrite produces the library's input for toks and records the literals it refers to.
func (p *parser) rewrite(toks []token, sc scope) (string, error) {
	var (
		b    strings.Builder
		prev []token // tokens emitted so far, to recognise unquoted values
	)
	emit := func(t token, text string) {
		if t.space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(text)
		prev = append(prev, t)
	}
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch {
		case t.kind == tWord && i+1 < len(toks) && toks[i+1].kind == tLBracket:
			n, next, err := p.valuePathTokens(toks, i, sc)
			if err != nil {
				return "", err
			}
			emit(token{kind: tWord, space: t.space}, "vp eq "+p.ref(lit{vp: n}))
			prev[len(prev)-1].kind = tString
			i = next - 1
		case t.kind == tString:
			emit(t, p.ref(lit{str: t.val}))
		case t.kind == tWord && unquotedValue(prev, t.text):
			// Lenient: Microsoft's test collection sends `userName sw O` and
			// `meta.created gt 2015-10-10T14:38:21.8617979-07:00` without quotes.
			emit(token{kind: tString, space: t.space}, p.ref(lit{str: t.text}))
		default:
			emit(t, t.text)
		}
	}
	return b.String(), nil
}

// ref records l and returns the string literal that refers to it.
func (p *parser) ref(l lit) string {
	p.lits = append(p.lits, l)
	return `"` + strconv.Itoa(len(p.lits)-1) + `"`
}

// unquotedValue reports whether a word stands where a comparison value belongs (after an
// attribute path and a comparison operator) and is not a JSON literal or number.
func unquotedValue(prev []token, word string) bool {
	if len(prev) < 2 {
		return false
	}
	op, path := prev[len(prev)-1], prev[len(prev)-2]
	if op.kind != tWord || !compareOps[strings.ToLower(op.text)] || path.kind != tWord {
		return false
	}
	switch strings.ToLower(word) {
	case "true", "false", "null":
		return false
	}
	return !jsonNumber.MatchString(word)
}

// valuePathTokens parses the value path that starts at toks[i] (`attr[...]`, optionally
// followed by Entra's `.sub op value`) and returns it with the index of the token after it.
func (p *parser) valuePathTokens(toks []token, i int, sc scope) (node, int, error) {
	if sc.parent != nil {
		return nil, 0, invalid("value paths cannot be nested")
	}
	end := closing(toks, i+1)
	inner, next := toks[i+2:end], end+1
	if next < len(toks) && toks[next].kind == tWord && !toks[next].space &&
		strings.HasPrefix(toks[next].text, ".") {
		// Entra: `emails[type eq "work"].value eq "x"` is `emails[(type eq "work") and value eq "x"]`.
		n := 3
		if next+1 < len(toks) && strings.EqualFold(toks[next+1].text, "pr") {
			n = 2
		}
		if next+n > len(toks) {
			return nil, 0, invalid("malformed filter: expected an operator after %q", toks[next].text)
		}
		suffix := append([]token{{kind: tWord, text: "and", space: true},
			{kind: tWord, text: toks[next].text[1:], space: true}}, toks[next+1:next+n]...)
		wrapped := make([]token, 0, len(inner)+2+len(suffix))
		wrapped = append(wrapped, token{kind: tLParen, text: "("})
		wrapped = append(wrapped, inner...)
		wrapped = append(wrapped, token{kind: tRParen, text: ")"})
		inner = append(wrapped, suffix...)
		next += n
	}
	n, err := p.valuePath(toks[i].text, inner, sc)
	return n, next, err
}

// closing returns the index of the bracket that closes toks[open]; lex has checked balance.
func closing(toks []token, open int) int {
	depth := 0
	for j := open; j < len(toks); j++ {
		switch toks[j].kind {
		case tLBracket, tLParen:
			depth++
		case tRBracket, tRParen:
			depth--
			if depth == 0 {
				return j
			}
		}
	}
	return len(toks) - 1 // unreachable after lex
}
