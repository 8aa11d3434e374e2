package scim

import (
	"regexp"
	"sort"
	"strings"

	"github.com/scim-operator/scim-operator/connectors"
)

// attribute is a key of the app's attributeMapping: an attribute path in the app, whose value
// the connector finds in User.Attributes under that key.
type attribute struct {
	key  string
	path path
}

var attrName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]*$`)

// managed are the core User attributes the connector sets itself (of name, only givenName and
// familyName): a mapping may not set them too, for two sources of one value would fight.
var managed = map[string]bool{
	"id": true, "externalid": true, "meta": true, "schemas": true, "username": true,
	"displayname": true, "emails": true, "active": true, "password": true, "groups": true,
	"name": true, "name.givenname": true, "name.familyname": true,
}

func isManaged(p path) bool {
	if p.urn != "" {
		return false
	}
	top := strings.ToLower(p.names[0])
	if top == "name" {
		return managed[strings.ToLower(p.String())]
	}
	return managed[top]
}

// mappedAttributes parses the keys of an attributeMapping as attribute paths: "title",
// "name.middleName", or an extension's "urn:…:User:department" (RFC 7644 §3.10). Filters
// and deeper paths are refused: the connector sets plain string values.
func mappedAttributes(mapping map[string]string) ([]attribute, error) {
	keys := make([]string, 0, len(mapping))
	for k := range mapping {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	attrs := make([]attribute, 0, len(keys))
	for _, k := range keys {
		p, ok := parsePath(k)
		if !ok {
			return nil, connectors.ConfigError("attributeMapping key %q is not a SCIM attribute path such as title, name.middleName or urn:…:User:department", k)
		}
		if isManaged(p) {
			return nil, connectors.ConfigError("attributeMapping key %q names an attribute the scim connector sets itself", k)
		}
		attrs = append(attrs, attribute{key: k, path: p})
	}
	return attrs, nil
}

// parsePath parses an attribute path without filters; the core User URN prefix is dropped.
func parsePath(s string) (path, bool) {
	var p path
	if strings.HasPrefix(strings.ToLower(s), "urn:") {
		i := strings.LastIndex(s, ":")
		p.urn, s = s[:i], s[i+1:]
		if strings.EqualFold(p.urn, userSchema) {
			p.urn = ""
		}
	}
	p.names = strings.Split(s, ".")
	if len(p.names) > 2 {
		return path{}, false
	}
	for _, n := range p.names {
		if !attrName.MatchString(n) {
			return path{}, false
		}
	}
	return p, true
}
