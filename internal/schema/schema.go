// Package schema describes the SCIM schemas this server implements (RFC 7643 §4 and §8.7.1):
// attribute names, types, multiplicity, case sensitivity, mutability and returnability. The
// filter evaluator, the PATCH engine and the /Schemas endpoint all read these definitions, so
// they cannot disagree.
package schema

import "strings"

// Attribute types (RFC 7643 §2.3).
const (
	TypeString    = "string"
	TypeBoolean   = "boolean"
	TypeDecimal   = "decimal"
	TypeInteger   = "integer"
	TypeDateTime  = "dateTime"
	TypeReference = "reference"
	TypeComplex   = "complex"
	TypeBinary    = "binary"
)

// Mutability and returned values (RFC 7643 §7).
const (
	ReadOnly  = "readOnly"
	ReadWrite = "readWrite"
	Immutable = "immutable"
	WriteOnly = "writeOnly"

	ReturnedAlways  = "always"
	ReturnedNever   = "never"
	ReturnedDefault = "default"
	ReturnedRequest = "request"
)

// Attribute is an attribute definition as /Schemas publishes it.
type Attribute struct {
	Name            string      `json:"name"`
	Type            string      `json:"type"`
	MultiValued     bool        `json:"multiValued"`
	Description     string      `json:"description"`
	Required        bool        `json:"required"`
	CaseExact       bool        `json:"caseExact"`
	Mutability      string      `json:"mutability"`
	Returned        string      `json:"returned"`
	Uniqueness      string      `json:"uniqueness"`
	CanonicalValues []string    `json:"canonicalValues,omitempty"`
	ReferenceTypes  []string    `json:"referenceTypes,omitempty"`
	SubAttributes   []Attribute `json:"subAttributes,omitempty"`
}

// Sub returns the sub-attribute with the given name, matched case-insensitively, or nil.
func (a *Attribute) Sub(name string) *Attribute {
	return find(a.SubAttributes, name)
}

// Schema is a schema definition (RFC 7643 §7).
type Schema struct {
	ID          string      `json:"id"`
	Name        string      `json:"name"`
	Description string      `json:"description"`
	Attributes  []Attribute `json:"attributes"`
}

// Attribute returns the top-level attribute with the given name, matched case-insensitively, or nil.
func (s *Schema) Attribute(name string) *Attribute {
	return find(s.Attributes, name)
}

func find(attrs []Attribute, name string) *Attribute {
	for i := range attrs {
		if strings.EqualFold(attrs[i].Name, name) {
			return &attrs[i]
		}
	}
	return nil
}

// ResourceType ties a core schema to its extensions and endpoint (RFC 7643 §6).
type ResourceType struct {
	Name       string
	Endpoint   string
	Core       *Schema
	Extensions []*Schema
}

// Schema returns the core or extension schema with the given URN, matched case-insensitively.
func (rt *ResourceType) Schema(urn string) *Schema {
	if strings.EqualFold(rt.Core.ID, urn) {
		return rt.Core
	}
	for _, ext := range rt.Extensions {
		if strings.EqualFold(ext.ID, urn) {
			return ext
		}
	}
	return nil
}

// Resolve finds the attribute named by a SCIM attribute path such as "userName",
// "name.givenName", "emails.value" or "urn:...:enterprise:2.0:User:manager.value", and
// returns the schema it belongs to, the attribute and, for a sub-attribute, the sub-attribute.
// Names are case-insensitive. It returns ok=false when the path names no attribute.
func (rt *ResourceType) Resolve(path string) (s *Schema, attr, sub *Attribute, ok bool) {
	s, rest := rt.splitURN(path)
	name, subName, hasSub := strings.Cut(rest, ".")
	attr = s.Attribute(name)
	if attr == nil && s == rt.Core {
		// Common attributes (RFC 7643 §3.1) apply to every resource type.
		attr = Common.Attribute(name)
	}
	if attr == nil {
		return s, nil, nil, false
	}
	if !hasSub {
		return s, attr, nil, true
	}
	sub = attr.Sub(subName)
	return s, attr, sub, sub != nil
}

// splitURN separates a schema URN prefix ("urn:...:User:") from an attribute path. A path
// without a known URN prefix belongs to the core schema.
func (rt *ResourceType) splitURN(path string) (*Schema, string) {
	candidates := append([]*Schema{rt.Core}, rt.Extensions...)
	for _, s := range candidates {
		if len(path) > len(s.ID) && strings.EqualFold(path[:len(s.ID)], s.ID) && path[len(s.ID)] == ':' {
			return s, path[len(s.ID)+1:]
		}
	}
	return rt.Core, path
}
