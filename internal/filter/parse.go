package filter

import (
	"net/http"
	"strconv"
	"strings"

	scimfilter "github.com/scim2/filter-parser/v2"

	"github.com/scim-operator/scim-operator/internal/schema"
	"github.com/scim-operator/scim-operator/internal/scimerr"
)

// invalid is the error of every filter that cannot be parsed or does not fit the schema.
func invalid(format string, args ...any) *scimerr.Error {
	return scimerr.New(http.StatusBadRequest, scimerr.TypeInvalidFilter, format, args...)
}

// scope is what attribute names in a filter refer to: the attributes of a resource type, or,
// inside a value path or a value filter, the sub-attributes of parent.
type scope struct {
	rt     *schema.ResourceType
	parent *schema.Attribute
	// parentPath names parent in error messages.
	parentPath string
}

// parser holds the literals referred to by the rewritten text of one Parse call.
type parser struct {
	lits []lit
}

// parse parses and validates a whole filter, or the inside of a value path, with the library:
// the full parser, which Parse uses when parseSimple declines and tests compare it with.
func parse(s string, sc scope) (node, error) {
	toks, err := lex(s)
	if err != nil {
		return nil, err
	}
	p := &parser{}
	return p.parseTokens(toks, sc)
}

func (p *parser) parseTokens(toks []token, sc scope) (node, error) {
	if len(toks) == 0 {
		return nil, invalid("empty filter")
	}
	text, err := p.rewrite(toks, sc)
	if err != nil {
		return nil, err
	}
	expr, err := libParse(text)
	if err != nil {
		return nil, err
	}
	return p.convert(expr, sc)
}

// libParse runs the library. Its errors quote the rewritten text, which would confuse a
// client, so they become one generic message.
func libParse(text string) (expr scimfilter.Expression, err error) {
	defer func() {
		// A third-party parser must not take the server down on a hostile filter.
		if recover() != nil {
			expr, err = nil, invalid("malformed filter")
		}
	}()
	expr, err = scimfilter.ParseFilterNumber([]byte(text))
	if err != nil {
		return nil, invalid("malformed filter: not an RFC 7644 filter expression")
	}
	return expr, nil
}

// valuePath parses `attr[inner]`.
func (p *parser) valuePath(attrPath string, inner []token, sc scope) (node, error) {
	t, err := resolvePath(sc.rt, attrPath)
	if err != nil {
		return nil, err
	}
	if t.sub != nil || t.attr.Type != schema.TypeComplex {
		return nil, invalid("value path %q does not name a complex attribute", attrPath)
	}
	filter, err := p.parseTokens(inner, scope{parent: t.attr, parentPath: t.path})
	if err != nil {
		return nil, err
	}
	return &valuePathNode{keys: t.keys, path: t.path, core: t.core, filter: filter}, nil
}

// convert turns the library's syntax tree into validated nodes.
func (p *parser) convert(e scimfilter.Expression, sc scope) (node, error) {
	switch e := e.(type) {
	case *scimfilter.LogicalExpression:
		l, err := p.convert(e.Left, sc)
		if err != nil {
			return nil, err
		}
		r, err := p.convert(e.Right, sc)
		if err != nil {
			return nil, err
		}
		if e.Operator == scimfilter.AND {
			return &andNode{l, r}, nil
		}
		return &orNode{l, r}, nil
	case *scimfilter.NotExpression:
		x, err := p.convert(e.Expression, sc)
		if err != nil {
			return nil, err
		}
		return &notNode{x}, nil
	case *scimfilter.AttributeExpression:
		v := e.CompareValue
		if s, ok := v.(string); ok {
			// Every string the library sees is a reference written by rewrite.
			l, ok := p.literal(s)
			if !ok {
				return nil, invalid("malformed filter")
			}
			if l.vp != nil {
				return l.vp, nil
			}
			v = l.str
		}
		t, err := resolveAttrPath(sc, e.AttributePath)
		if err != nil {
			return nil, err
		}
		return comparison(t, strings.ToLower(string(e.Operator)), v)
	}
	// Value paths never reach the library (see rewrite).
	return nil, invalid("malformed filter")
}

// literal returns what a rewritten string value refers to.
func (p *parser) literal(s string) (lit, bool) {
	i, err := strconv.Atoi(s)
	if err != nil || i < 0 || i >= len(p.lits) {
		return lit{}, false
	}
	return p.lits[i], true
}
