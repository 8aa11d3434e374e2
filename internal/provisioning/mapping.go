package provisioning

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/connectors"
	"github.com/scim-operator/scim-operator/internal/patch"
	"github.com/scim-operator/scim-operator/internal/resource"
	"github.com/scim-operator/scim-operator/internal/schema"
	"github.com/scim-operator/scim-operator/internal/secretaccess"
	"github.com/scim-operator/scim-operator/internal/store"
)

// noLocations: connectors see users, not URLs.
type noLocations struct{}

func (noLocations) UserLocation(string) string  { return "" }
func (noLocations) GroupLocation(string) string { return "" }

// connectorUser is what an app's connector receives of u: the common fields, the app's
// attribute mapping evaluated on u's SCIM document, and the password when u has one.
func (p *Provisioner) connectorUser(ctx context.Context, u *scimv1.ScimUser, app *scimv1.ScimApp, withPassword bool) (connectors.User, error) {
	s := &u.Spec
	out := connectors.User{
		ID: u.Name, UserName: s.UserName, ExternalID: s.ExternalID,
		Active: s.Active == nil || *s.Active, DisplayName: s.DisplayName,
	}
	if s.Name != nil {
		out.GivenName, out.FamilyName = s.Name.GivenName, s.Name.FamilyName
	}
	for i, e := range s.Emails {
		if i == 0 || e.Primary {
			out.Email = e.Value
		}
	}
	if len(app.Spec.AttributeMapping) > 0 {
		attrs, err := mapAttributes(u, app.Spec.AttributeMapping)
		if err != nil {
			return out, err
		}
		out.Attributes = attrs
	}
	if ref := s.PasswordSecretRef; ref != nil && withPassword {
		var secret corev1.Secret
		err := p.Reader.Get(ctx, types.NamespacedName{Namespace: u.Namespace, Name: ref.Name}, &secret)
		switch {
		case apierrors.IsNotFound(err):
			// The SCIM server writes the Secret right after the user: wait for it rather than
			// create an account without its password.
			return out, errPasswordNotYet
		case err != nil:
			return out, err
		case !secretaccess.MayRead(&secret, u):
			return out, connectors.ConfigError("passwordSecretRef: %v", &secretaccess.NotUsableError{Secret: ref.Name, Owner: "ScimUser"})
		}
		if pw, ok := secret.Data[store.PasswordKey]; ok {
			password := string(pw)
			out.Password = &password
		}
	}
	return out, nil
}

// errPasswordNotYet: the user names a password Secret that does not exist yet.
var errPasswordNotYet = errors.New("waiting for the user's password Secret")

// mapAttributes evaluates each SCIM attribute path of mapping (as a PATCH path: "title",
// "name.givenName", `emails[type eq "work"].value`, URN-qualified names) on u's document.
func mapAttributes(u *scimv1.ScimUser, mapping map[string]string) (map[string]string, error) {
	data, err := resource.Marshal(resource.NewUser(u, nil, noLocations{}))
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	out := make(map[string]string, len(mapping))
	for field, path := range mapping {
		p, err := patch.ParsePath(path, schema.UserResourceType)
		if err != nil {
			return nil, connectors.ConfigError("attributeMapping %s: %v", field, err)
		}
		if v, ok := lookup(doc, p); ok {
			out[field] = v
		}
	}
	return out, nil
}

// lookup finds the value a parsed path names in doc, as text.
func lookup(doc map[string]any, p *patch.Path) (string, bool) {
	container := doc
	if p.Schema != "" && p.Schema != schema.UserURN {
		ext, ok := doc[p.Schema].(map[string]any)
		if !ok {
			return "", false
		}
		container = ext
	}
	value, ok := container[p.Attribute]
	if !ok {
		return "", false
	}
	if list, isList := value.([]any); isList {
		value = nil
		for _, elem := range list {
			m, _ := elem.(map[string]any)
			if m != nil && (p.Filter == nil || p.Filter.Matches(m)) {
				value = m
				break
			}
		}
	}
	if p.SubAttribute != "" {
		m, _ := value.(map[string]any)
		value, ok = m[p.SubAttribute]
		if !ok {
			return "", false
		}
	}
	switch v := value.(type) {
	case nil:
		return "", false
	case string:
		return v, true
	case map[string]any, []any:
		data, _ := json.Marshal(v)
		return string(data), true
	default:
		return fmt.Sprint(v), true
	}
}
