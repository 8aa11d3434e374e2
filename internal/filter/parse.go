package filter

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/scim-operator/scim-operator/internal/schema"
	"github.com/scim-operator/scim-operator/internal/scimerr"
)

// The parser is recursive descent over the tokens of lex, which has bounded the length and the
// nesting depth, so recursion is bounded too. It follows RFC 7644 §3.4.2.2:
//
//	FILTER    = orExp
//	orExp     = andExp *(SP "or" SP andExp)
//	andExp    = operand *(SP "and" SP operand)
//	operand   = "not" [SP] "(" FILTER ")" / "(" FILTER ")" / valuePath / attrExp
//	valuePath = attrPath "[" FILTER "]" ["." attrName SP compareOp SP compValue / "." attrName SP "pr"]
//	attrExp   = attrPath SP "pr" / attrPath SP compareOp SP compValue
//
// Keywords and operators are case-insensitive; spaces next to brackets and parentheses are
// optional. Beyond the RFC it accepts what identity providers send:
//   - unquoted string values (`userName sw O`, `meta.created gt 2015-10-10T14:38:21-07:00`),
//     which Microsoft's SCIM test collection sends and expects to work;
//   - Microsoft Entra's `emails[type eq "work"].value eq "x"`, which means
//     `emails[type eq "work" and value eq "x"]`;
//   - any filter inside [...], value paths included only at the top level (they do not nest).
//
// Every node is validated against the schema as it is built, so a filter is either fully
// valid or an invalidFilter error.

// invalid is the error of every filter that cannot be parsed or does not fit the schema.
func invalid(format string, args ...any) *scimerr.Error {
	return scimerr.New(http.StatusBadRequest, scimerr.TypeInvalidFilter, format, args...)
}

var (
	compareOps = map[string]bool{"eq": true, "ne": true, "co": true, "sw": true, "ew": true,
		"gt": true, "ge": true, "lt": true, "le": true}
	jsonNumber = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)
)

// scope is what attribute names in a filter refer to: the attributes of a resource type, or,
// inside a value path or a value filter, the sub-attributes of parent.
type scope struct {
	rt     *schema.ResourceType
	parent *schema.Attribute
	// parentPath names parent in error messages.
	parentPath string
}

type parser struct {
	toks []token
	pos  int
}

// parse parses and validates a whole filter, or a value filter when sc has a parent.
func parse(s string, sc scope) (node, error) {
	toks, err := lex(s)
	if err != nil {
		return nil, err
	}
	p := parser{toks: toks}
	n, err := p.or(sc)
	if err != nil {
		return nil, err
	}
	if t, ok := p.peek(); ok {
		return nil, p.unexpected(t, "and, or or the end of the filter")
	}
	return n, nil
}

func (p *parser) peek() (token, bool) {
	if p.pos < len(p.toks) {
		return p.toks[p.pos], true
	}
	return token{}, false
}

// keyword reports whether the next token is the word kw (any case) with a space before it,
// and consumes it if so.
func (p *parser) keyword(kw string) bool {
	t, ok := p.peek()
	if ok && t.kind == tWord && t.space && strings.EqualFold(t.text, kw) {
		p.pos++
		return true
	}
	return false
}

// unexpected describes the token t where the parser expected want.
func (p *parser) unexpected(t token, want string) error {
	return invalid("malformed filter: expected %s, found %q", want, t.text)
}

// end is the error for a filter that stops where the parser expected want.
func (p *parser) end(want string) error {
	return invalid("malformed filter: expected %s at the end of the filter", want)
}

func (p *parser) or(sc scope) (node, error) {
	n, err := p.and(sc)
	if err != nil {
		return nil, err
	}
	for p.keyword("or") {
		r, err := p.operandAfter("or", sc)
		if err != nil {
			return nil, err
		}
		if r, err = p.andRest(r, sc); err != nil {
			return nil, err
		}
		n = &orNode{n, r}
	}
	return n, nil
}

func (p *parser) and(sc scope) (node, error) {
	n, err := p.operand(sc)
	if err != nil {
		return nil, err
	}
	return p.andRest(n, sc)
}

func (p *parser) andRest(n node, sc scope) (node, error) {
	for p.keyword("and") {
		r, err := p.operandAfter("and", sc)
		if err != nil {
			return nil, err
		}
		n = &andNode{n, r}
	}
	return n, nil
}

// operandAfter parses the operand after a logical operator, which needs a space before it.
func (p *parser) operandAfter(op string, sc scope) (node, error) {
	t, ok := p.peek()
	if !ok {
		return nil, p.end("a filter after " + op)
	}
	if !t.space {
		return nil, invalid("malformed filter: %s needs a space after it", op)
	}
	return p.operand(sc)
}

func (p *parser) operand(sc scope) (node, error) {
	t, ok := p.peek()
	if !ok {
		return nil, p.end("a filter")
	}
	switch {
	case t.kind == tLParen:
		return p.group(sc)
	case t.kind != tWord:
		return nil, p.unexpected(t, "an attribute, not or (")
	}
	p.pos++
	next, hasNext := p.peek()
	switch {
	case hasNext && next.kind == tLBracket:
		return p.valuePath(t.text, sc)
	case hasNext && next.kind == tLParen && strings.EqualFold(t.text, "not"):
		x, err := p.group(sc)
		if err != nil {
			return nil, err
		}
		return &notNode{x}, nil
	}
	return p.attrExp(t.text, sc)
}

// group parses "(" FILTER ")"; lex has checked that the parenthesis is closed.
func (p *parser) group(sc scope) (node, error) {
	p.pos++ // (
	if t, _ := p.peek(); t.kind == tRParen {
		return nil, invalid("malformed filter: empty parentheses")
	}
	n, err := p.or(sc)
	if err != nil {
		return nil, err
	}
	if t := p.toks[p.pos]; t.kind != tRParen {
		return nil, p.unexpected(t, "and, or or )")
	}
	p.pos++
	return n, nil
}

// attrExp parses the rest of `path pr` or `path op value`, the path already consumed.
func (p *parser) attrExp(path string, sc scope) (node, error) {
	if !isAttrPath(path) {
		return nil, invalid("malformed filter: %q is not an attribute path", path)
	}
	t, ok := p.peek()
	if !ok {
		return nil, p.end("an operator after " + path)
	}
	op := strings.ToLower(t.text)
	if t.kind != tWord || !t.space || (op != "pr" && !compareOps[op]) {
		switch strings.ToLower(path) {
		case "not":
			return nil, invalid("malformed filter: not needs a filter in parentheses after it")
		case "and", "or":
			return nil, invalid("malformed filter: expected a filter before %s", path)
		}
		return nil, p.unexpected(t, "pr or a comparison operator (eq, ne, co, sw, ew, gt, ge, lt, le) after "+path)
	}
	p.pos++
	var v any
	if op != "pr" {
		var err error
		if v, err = p.value(op); err != nil {
			return nil, err
		}
	}
	target, err := resolveIn(sc, path)
	if err != nil {
		return nil, err
	}
	return comparison(target, op, v)
}

// value parses a comparison value: a JSON string, number, true, false or null (the keywords in
// any case), or an unquoted word, taken as a string.
func (p *parser) value(op string) (any, error) {
	t, ok := p.peek()
	if !ok {
		return nil, p.end("a value after " + op)
	}
	if !t.space || (t.kind != tString && t.kind != tWord) {
		return nil, p.unexpected(t, "a space and a value after "+op)
	}
	p.pos++
	if t.kind == tString {
		return t.val, nil
	}
	switch strings.ToLower(t.text) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	case "null":
		return nil, nil
	}
	if jsonNumber.MatchString(t.text) {
		return json.Number(strings.Replace(t.text, "E", "e", 1)), nil
	}
	return validUTF8(t.text), nil
}

// validUTF8 replaces each invalid byte of an unquoted value by U+FFFD, as decoding a quoted
// one does, so that every value can be written back as a JSON string.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		b.WriteRune(r) // ranging yields U+FFFD for each invalid byte
	}
	return b.String()
}

// valuePath parses `attr[filter]`, the attribute already consumed, with Entra's optional
// `.sub op value` after it.
func (p *parser) valuePath(attrPath string, sc scope) (node, error) {
	if sc.parent != nil {
		return nil, invalid("value paths cannot be nested")
	}
	t, err := resolvePath(sc.rt, attrPath)
	if err != nil {
		return nil, err
	}
	if t.sub != nil || t.attr.Type != schema.TypeComplex {
		return nil, invalid("value path %q does not name a complex attribute", attrPath)
	}
	inner := scope{parent: t.attr, parentPath: t.path}
	p.pos++ // [
	if next := p.toks[p.pos]; next.kind == tRBracket {
		return nil, invalid("malformed filter: empty value filter in %q", attrPath)
	}
	filter, err := p.or(inner)
	if err != nil {
		return nil, err
	}
	if next := p.toks[p.pos]; next.kind != tRBracket {
		return nil, p.unexpected(next, "and, or or ]")
	}
	p.pos++
	if next, ok := p.peek(); ok && next.kind == tWord && !next.space && strings.HasPrefix(next.text, ".") {
		// Entra: `emails[type eq "work"].value eq "x"` is `emails[type eq "work" and value eq "x"]`.
		p.pos++
		sub, err := p.attrExp(next.text[1:], inner)
		if err != nil {
			return nil, err
		}
		filter = &andNode{filter, sub}
	}
	return &valuePathNode{keys: t.keys, path: t.path, core: t.core, filter: filter}, nil
}
