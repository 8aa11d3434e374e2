package scim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// eqFilter is `attr eq "value"`. RFC 7644 §3.4.2.2 makes a filter's string a JSON string, so
// JSON's escaping keeps quotes and backslashes inside the one literal. HTML characters stay as
// they are: an app's filter parser may not know \u escapes.
func eqFilter(attr, value string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(value) // a string always encodes
	return attr + " eq " + strings.TrimSuffix(b.String(), "\n")
}

// find returns the resource of endpoint whose attr is key, or nil when there is none. The
// app's answer is not trusted to hold only matches: a resource counts when attr is key
// exactly, or, failing that, is the one resource whose attr is key in another case (both
// attributes are case-insensitive in SCIM).
func (c *client) find(ctx context.Context, endpoint, attr, key string, attributes ...string) (object, error) {
	q := url.Values{"filter": {eqFilter(attr, key)}}
	if len(attributes) > 0 {
		q.Set("attributes", strings.Join(attributes, ","))
	}
	var list listResponse
	if err := c.do(ctx, http.MethodGet, endpoint, q, nil, &list); err != nil {
		return nil, err
	}
	var folded []object
	for _, r := range list.Resources {
		v, _ := lookup(r, attr)
		switch s := text(v); {
		case s == key:
			return withID(r, endpoint, attr, key)
		case strings.EqualFold(s, key):
			folded = append(folded, r)
		}
	}
	switch len(folded) {
	case 0:
		return nil, nil
	case 1:
		return withID(folded[0], endpoint, attr, key)
	}
	return nil, fmt.Errorf("GET %s: the app holds %d resources whose %s is %q in different cases", endpoint, len(folded), attr, key)
}

func withID(r object, endpoint, attr, key string) (object, error) {
	if id(r) == "" {
		return nil, fmt.Errorf("GET %s: the app answered a resource without id for %s %q", endpoint, attr, key)
	}
	return r, nil
}
