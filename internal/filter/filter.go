// Package filter parses and evaluates SCIM filters (RFC 7644 §3.4.2.2) and sort keys
// (§3.4.2.3) over SCIM documents: resources as JSON-decoded maps, the way the server returns
// them (core attributes at the top level, extension attributes under their schema URN).
//
// Attribute names, operators and document keys are case-insensitive; strings compare
// case-insensitively unless the schema marks the attribute caseExact. Besides RFC 7644 the
// parser accepts what Microsoft Entra sends: unquoted string values (`userName sw O`), the
// strings "True"/"False" for booleans, and `emails[type eq "work"].value eq "x"`.
package filter

import (
	"github.com/scim-operator/scim-operator/internal/schema"
)

// Filter is a parsed filter, bound to a resource type (or, from ParseValueFilter, to a complex
// attribute). It is immutable and safe for concurrent use.
type Filter struct {
	root node
	// valueFilter is set for ParseValueFilter, whose paths are relative to an element.
	valueFilter bool
}

// Parse parses a filter for resources of type rt. Errors are *scimerr.Error, 400 invalidFilter:
// for malformed filters, filters longer than MaxFilterLength or nested deeper than
// MaxFilterDepth (rejected before parsing), unknown attributes or schemas, and operators or
// values that do not fit the attribute's type.
func Parse(s string, rt *schema.ResourceType) (*Filter, error) {
	root, err := parse(s, scope{rt: rt})
	if err != nil {
		return nil, err
	}
	return &Filter{root: root}, nil
}

// ParseValueFilter parses the filter inside a value path, such as `type eq "work" and primary
// eq true` in `emails[type eq "work" and primary eq true]`, whose attribute names are
// sub-attributes of the complex attribute attr. Errors are as for Parse.
func ParseValueFilter(s string, attr *schema.Attribute) (*Filter, error) {
	if attr == nil || attr.Type != schema.TypeComplex {
		return nil, invalid("a value filter needs a complex attribute")
	}
	root, err := parse(s, scope{parent: attr, parentPath: attr.Name})
	if err != nil {
		return nil, err
	}
	return &Filter{root: root, valueFilter: true}, nil
}

// Matches reports whether doc (a resource document, or for a value filter one element of the
// multi-valued attribute) matches the filter.
func (f *Filter) Matches(doc map[string]any) bool {
	return f.root.match(doc)
}

// Equality is an `attribute eq "value"` test that the caller can answer from an index.
type Equality struct {
	// Path is the canonical attribute path: "userName", "externalId", "id", "displayName",
	// "emails.value", "members.value".
	Path string
	// Value is the value as written in the filter; see CaseExact for how to compare it.
	Value string
	// Whole is set when the equality is the entire filter, with no other conjunct: a caller
	// whose index compares as the filter does (CaseExact) need not check candidates with
	// Matches.
	Whole bool
}

// IndexHint returns an equality conjunct that every match must satisfy, if the filter has one:
// the whole filter, or one operand of a top-level "and" (through nested "and"s and value
// paths such as `emails[type eq "work" and value eq "x"]`, never through "or" or "not"). When
// there are several it prefers unique attributes (id, userName, ...). Value filters have no
// hint. The caller fetches candidates through an index and, unless Whole, still checks each
// with Matches.
func (f *Filter) IndexHint() (Equality, bool) {
	if f.valueFilter {
		return Equality{}, false
	}
	return hint(f.root)
}
