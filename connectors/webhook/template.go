package webhook

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"text/template"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/connectors"
)

// Data is what the templates see of a user.
type Data struct {
	// ID is the operator's SCIM id of the user.
	ID       string
	UserName string
	// ExternalID is the identity provider's externalId.
	ExternalID  string
	DisplayName string
	GivenName   string
	FamilyName  string
	Email       string
	Active      bool
	// Attributes are the app fields of the attributeMapping; a missing one is "".
	Attributes map[string]string
	// AppID is the app's id of the account, for update, disable and delete; "" otherwise.
	AppID string
}

func dataOf(u connectors.User, appID string) Data {
	return Data{ID: u.ID, UserName: u.UserName, ExternalID: u.ExternalID, DisplayName: u.DisplayName,
		GivenName: u.GivenName, FamilyName: u.FamilyName, Email: u.Email, Active: u.Active,
		Attributes: u.Attributes, AppID: appID}
}

// escaped is d with every string percent-encoded, for a path template.
func (d Data) escaped() Data {
	e := d
	for _, s := range []*string{&e.ID, &e.UserName, &e.ExternalID, &e.DisplayName, &e.GivenName, &e.FamilyName, &e.Email, &e.AppID} {
		*s = escape(*s)
	}
	e.Attributes = make(map[string]string, len(d.Attributes))
	for k, v := range d.Attributes {
		e.Attributes[k] = escape(v)
	}
	return e
}

// escape percent-encodes all but RFC 3986's unreserved characters: the result is one path
// segment or one query value wherever a template puts it.
func escape(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// jsonValue is the template function json: v as JSON, HTML characters as they are.
func jsonValue(v any) (string, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// request is one event's compiled WebhookRequest.
type request struct {
	event, method string
	path, body    *template.Template
}

var methods = map[string]bool{http.MethodGet: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true}

// compile parses r's templates; nil r gives nil.
func compile(event string, r *scimv1.WebhookRequest) (*request, error) {
	if r == nil {
		return nil, nil
	}
	req := &request{event: event, method: r.Method}
	if req.method == "" {
		req.method = http.MethodPost
	}
	if !methods[req.method] {
		return nil, connectors.ConfigError("webhook %s: method %q is not GET, POST, PUT, PATCH or DELETE", event, r.Method)
	}
	var err error
	if req.path, err = parse(event+".path", r.Path); err != nil {
		return nil, err
	}
	if strings.TrimSpace(r.Body) != "" {
		if req.body, err = parse(event+".body", r.Body); err != nil {
			return nil, err
		}
	}
	return req, nil
}

func parse(name, text string) (*template.Template, error) {
	t, err := template.New(name).Option("missingkey=zero").Funcs(template.FuncMap{"json": jsonValue}).Parse(text)
	if err != nil {
		return nil, connectors.ConfigError("webhook %s template: %v", name, err)
	}
	return t, nil
}

// render is r's URL under base and its body (nil when it has none) for d. Errors are
// configuration errors: the templates, not the user, are at fault.
func (r *request) render(base *url.URL, d Data) (string, []byte, error) {
	var p bytes.Buffer
	if err := r.path.Execute(&p, d.escaped()); err != nil {
		return "", nil, connectors.ConfigError("webhook %s path template: %v", r.event, err)
	}
	path := p.String()
	if path != "" && !strings.HasPrefix(path, "/") && !strings.HasPrefix(path, "?") {
		path = "/" + path
	}
	raw := strings.TrimRight(base.String(), "/") + path
	target, err := url.Parse(raw)
	if err != nil || target.Scheme != base.Scheme || target.Host != base.Host || target.User != nil {
		return "", nil, connectors.ConfigError("webhook %s path %q does not stay on %s", r.event, path, base.Host)
	}
	if connectors.HasDotSegment(target.EscapedPath()) {
		// The user's value is at fault, not the templates: a userName of "." or "..".
		return "", nil, fmt.Errorf("webhook %s: the path %q has a segment \".\" or \"..\", which the app would "+
			"resolve to another resource; a userName or id of \".\" or \"..\" cannot be put in a URL path, so "+
			"this user cannot be provisioned into this app", r.event, path)
	}
	if r.body == nil {
		return raw, nil, nil
	}
	var b bytes.Buffer
	if err := r.body.Execute(&b, d); err != nil {
		return "", nil, connectors.ConfigError("webhook %s body template: %v", r.event, err)
	}
	body := bytes.TrimSpace(b.Bytes())
	if len(body) == 0 {
		return raw, nil, nil
	}
	if !json.Valid(body) {
		return "", nil, connectors.ConfigError("webhook %s body template renders invalid JSON (write values with json, as in {\"name\": {{json .UserName}}}): %.200s", r.event, body)
	}
	return raw, body, nil
}
