package filter

import (
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// Limits checked before any parsing, so that no input can make the recursive-descent parser
// recurse deeply or run long: the lexer below is a single iterative pass.
const (
	MaxFilterLength = 8 << 10
	MaxFilterDepth  = 64
)

type tokKind int

const (
	tWord   tokKind = iota // attribute path, operator, keyword, literal or unquoted value
	tString                // a JSON string literal, already decoded into val
	tLParen
	tRParen
	tLBracket
	tRBracket
)

type token struct {
	kind  tokKind
	text  string // as written
	val   string // decoded value of a tString
	space bool   // preceded by white space
}

// lex splits a filter into tokens, decodes string literals (JSON rules, RFC 7644 §3.4.2.2) and
// checks length and nesting, so later stages can assume balanced brackets. Only SP separates
// tokens, as in RFC 7644's ABNF.
func lex(s string) ([]token, error) {
	if len(s) > MaxFilterLength {
		return nil, invalid("filter is longer than %d bytes", MaxFilterLength)
	}
	var (
		// Most tokens end at a space: one allocation for the tokens of a typical filter.
		toks    = make([]token, 0, strings.Count(s, " ")+1)
		openBuf [8]int
		open    = openBuf[:0] // indexes of unclosed ( and [
		space   bool
	)
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ':
			space = true
			i++
			continue
		case c == '(' || c == '[':
			if len(open) == MaxFilterDepth {
				return nil, invalid("filter is nested more than %d levels deep", MaxFilterDepth)
			}
			kind := tLParen
			if c == '[' {
				kind = tLBracket
			}
			open = append(open, len(toks))
			toks = append(toks, token{kind: kind, text: s[i : i+1], space: space})
			i++
		case c == ')' || c == ']':
			kind, want := tRParen, tLParen
			if c == ']' {
				kind, want = tRBracket, tLBracket
			}
			if len(open) == 0 || toks[open[len(open)-1]].kind != want {
				return nil, invalid("unbalanced %q", string(c))
			}
			open = open[:len(open)-1]
			toks = append(toks, token{kind: kind, text: s[i : i+1], space: space})
			i++
		case c == '"':
			end, err := stringEnd(s, i)
			if err != nil {
				return nil, err
			}
			v, ok := unquote(s[i:end])
			if !ok {
				return nil, invalid("malformed string literal at offset %d", i)
			}
			toks = append(toks, token{kind: tString, text: s[i:end], val: v, space: space})
			i = end
		default:
			end := i + strings.IndexAny(s[i:], ` ()[]"`)
			if end < i {
				end = len(s)
			}
			toks = append(toks, token{kind: tWord, text: s[i:end], space: space})
			i = end
		}
		space = false
	}
	if len(open) > 0 {
		return nil, invalid("unbalanced %q", toks[open[len(open)-1]].text)
	}
	if len(toks) == 0 {
		return nil, invalid("empty filter")
	}
	return toks, nil
}

// stringEnd returns the index just past the string literal that starts at s[i].
func stringEnd(s string, i int) (int, error) {
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++ // skip the escaped character; json.Unmarshal validates it
		case '"':
			return j + 1, nil
		}
	}
	return 0, invalid("unterminated string literal")
}

// unquote decodes the JSON string literal lit, quotes included, as stringEnd delimits it.
func unquote(lit string) (string, bool) {
	inner := lit[1 : len(lit)-1]
	// Most values have nothing to decode; json.Unmarshal would cost more than the rest of a
	// simple filter. Invalid UTF-8 is left to it: it decodes that as U+FFFD.
	if !strings.ContainsFunc(inner, func(r rune) bool { return r < ' ' || r == '\\' }) &&
		utf8.ValidString(inner) {
		return inner, true
	}
	var v string
	return v, json.Unmarshal([]byte(lit), &v) == nil
}
