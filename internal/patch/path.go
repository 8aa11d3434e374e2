package patch

import (
	"strings"

	"github.com/scim-operator/scim-operator/internal/filter"
	"github.com/scim-operator/scim-operator/internal/schema"
	"github.com/scim-operator/scim-operator/internal/scimerr"
)

// MaxPathLength bounds a path, so a hostile client cannot make the filter parser work on
// megabytes.
const MaxPathLength = 1024

// Path is a parsed PATCH path: attrPath, or valuePath with an optional sub-attribute
// (RFC 7644 §3.5.2, PATH = attrPath / valuePath [subAttr]).
type Path struct {
	// Schema is the URN of the extension that defines the attribute, "" for the core schema.
	Schema string
	// Attribute is the canonical attribute name; "" when the path names a whole extension.
	Attribute string
	// Filter selects values of a multi-valued attribute; nil unless the path has [...].
	Filter *filter.Filter
	// FilterText is the filter as written between the brackets.
	FilterText string
	// SubAttribute is the canonical sub-attribute name, "" if none.
	SubAttribute string
}

// String writes the path back in canonical form, for error messages.
func (p *Path) String() string {
	var b strings.Builder
	b.WriteString(p.Schema)
	if p.Schema != "" && p.Attribute != "" {
		b.WriteByte(':')
	}
	b.WriteString(p.Attribute)
	if p.Filter != nil {
		b.WriteString("[" + p.FilterText + "]")
	}
	if p.SubAttribute != "" {
		b.WriteString("." + p.SubAttribute)
	}
	return b.String()
}

// ParsePath parses a PATCH path for resources of type rt. Names are matched
// case-insensitively and returned in their canonical spelling. Errors are 400 invalidPath.
func ParsePath(s string, rt *schema.ResourceType) (*Path, error) {
	p, _, err := parsePath(s, rt)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// parsePath also reports whether the path failed only because it names no attribute: in a
// value without path such keys are kept rather than rejected.
func parsePath(s string, rt *schema.ResourceType) (p *Path, unknown bool, err *scimerr.Error) {
	if len(s) > MaxPathLength {
		return nil, false, invalidPath("the path is longer than %d characters", MaxPathLength)
	}
	s = strings.TrimSpace(s)
	attrPart, filterText, subName, err := splitPath(s)
	if err != nil {
		return nil, false, err
	}
	if !validName(attrPart, ":.") {
		return nil, false, invalidPath("%q is not a valid attribute path", attrPart)
	}
	if filterText == "" {
		if ext := extension(rt, attrPart); ext != nil {
			return &Path{Schema: ext.ID}, false, nil
		}
	}
	sch, attr, sub, ok := rt.Resolve(attrPart)
	if !ok {
		return nil, true, invalidPath("the %s resource type has no attribute %q", rt.Name, attrPart)
	}
	p = &Path{Attribute: attr.Name}
	if sch != rt.Core {
		p.Schema = sch.ID
	}
	if sub != nil {
		p.SubAttribute = sub.Name
	}
	if filterText == "" {
		return p, false, nil
	}
	if sub != nil || !attr.MultiValued || attr.Type != schema.TypeComplex {
		return nil, false, invalidPath("a filter can only select values of a complex multi-valued attribute, not %q", attrPart)
	}
	if subName != "" {
		sub = attr.Sub(subName)
		if sub == nil {
			return nil, true, invalidPath("attribute %q has no sub-attribute %q", attr.Name, subName)
		}
		p.SubAttribute = sub.Name
	}
	f, ferr := filter.ParseValueFilter(filterText, attr)
	if ferr != nil {
		detail := ferr.Error()
		if e := scimerr.As(ferr); e != nil {
			detail = e.Detail
		}
		return nil, false, invalidPath("invalid filter in path: %s", detail)
	}
	p.Filter, p.FilterText = f, filterText
	return p, false, nil
}

// splitPath cuts "attr[filter].sub" into its parts. The closing bracket is found outside
// quoted strings, because a filter value may contain "]".
func splitPath(s string) (attrPart, filterText, subName string, err *scimerr.Error) {
	if s == "" {
		return "", "", "", invalidPath("the path is empty")
	}
	open := strings.IndexByte(s, '[')
	if open < 0 {
		return s, "", "", nil
	}
	end := closingBracket(s, open)
	if end < 0 {
		return "", "", "", invalidPath("the filter in the path has no closing bracket")
	}
	filterText = strings.TrimSpace(s[open+1 : end])
	if filterText == "" {
		return "", "", "", invalidPath("the filter in the path is empty")
	}
	if rest := s[end+1:]; rest != "" {
		subName = rest[1:]
		if rest[0] != '.' || !validName(subName, "") {
			return "", "", "", invalidPath("only a sub-attribute (\".name\") may follow a filter")
		}
	}
	return s[:open], filterText, subName, nil
}

// closingBracket returns the index of the "]" that closes the "[" at open, or -1. A second
// "[" outside a string is an error: value filters do not nest.
func closingBracket(s string, open int) int {
	inString, escaped := false, false
	for i := open + 1; i < len(s); i++ {
		c := s[i]
		switch {
		case escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case inString:
		case c == '[':
			return -1
		case c == ']':
			return i
		}
	}
	return -1
}

// validName reports whether s is made of ATTRNAME characters (RFC 7644 §3.4.2.2, plus "$" for
// "$ref") and the separators in extra.
func validName(s, extra string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '-' || c == '_' || c == '$' || strings.ContainsRune(extra, c)
		if !ok {
			return false
		}
	}
	return true
}

// extension returns the extension schema whose URN is exactly s, or nil.
func extension(rt *schema.ResourceType, s string) *schema.Schema {
	for _, ext := range rt.Extensions {
		if strings.EqualFold(ext.ID, s) {
			return ext
		}
	}
	return nil
}

// definitions looks up the attribute and sub-attribute definitions a path names. It works
// from the names, so a Path built by hand is treated like a parsed one.
func (p *Path) definitions(rt *schema.ResourceType) (attr, sub *schema.Attribute, err error) {
	name := p.Attribute
	if p.Schema != "" {
		name = p.Schema + ":" + p.Attribute
	}
	if p.SubAttribute != "" {
		name += "." + p.SubAttribute
	}
	_, attr, sub, ok := rt.Resolve(name)
	if !ok {
		return nil, nil, invalidPath("the %s resource type has no attribute %q", rt.Name, p.String())
	}
	if p.Filter != nil && !attr.MultiValued {
		return nil, nil, invalidPath("a filter can only select values of a multi-valued attribute, not %q", attr.Name)
	}
	return attr, sub, nil
}
