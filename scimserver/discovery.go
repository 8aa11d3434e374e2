package scimserver

import (
	"net/http"
	"strings"

	"github.com/scim-operator/scim-operator/internal/resource"
	"github.com/scim-operator/scim-operator/internal/schema"
	"github.com/scim-operator/scim-operator/internal/scimerr"
	"github.com/scim-operator/scim-operator/internal/tenant"
)

// Discovery endpoints (RFC 7644 §4): what this server supports, truthfully.

const (
	serviceProviderConfigSchema = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
	resourceTypeSchema          = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
	schemaSchema                = "urn:ietf:params:scim:schemas:core:2.0:Schema"
)

type supported struct {
	Supported bool `json:"supported"`
}

type discoveryMeta struct {
	ResourceType string `json:"resourceType"`
	Location     string `json:"location"`
}

type authScheme struct {
	Type        string `json:"type"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Primary     bool   `json:"primary"`
}

type serviceProviderConfig struct {
	Schemas          []string  `json:"schemas"`
	DocumentationURI string    `json:"documentationUri"`
	Patch            supported `json:"patch"`
	Bulk             struct {
		Supported      bool `json:"supported"`
		MaxOperations  int  `json:"maxOperations"`
		MaxPayloadSize int  `json:"maxPayloadSize"`
	} `json:"bulk"`
	Filter struct {
		Supported  bool `json:"supported"`
		MaxResults int  `json:"maxResults"`
	} `json:"filter"`
	ChangePassword        supported     `json:"changePassword"`
	Sort                  supported     `json:"sort"`
	ETag                  supported     `json:"etag"`
	AuthenticationSchemes []authScheme  `json:"authenticationSchemes"`
	Meta                  discoveryMeta `json:"meta"`
}

func (s *Server) serviceProviderConfig(w http.ResponseWriter, r *http.Request, t tenant.Tenant) error {
	base := s.locations(r).base
	cfg := serviceProviderConfig{
		Schemas:          []string{serviceProviderConfigSchema},
		DocumentationURI: "https://github.com/scim-operator/scim-operator/tree/main/docs",
		Patch:            supported{s.features.patch},
		ChangePassword:   supported{true},
		Sort:             supported{s.features.sort},
		ETag:             supported{true},
		AuthenticationSchemes: []authScheme{
			{Type: "oauthbearertoken", Name: "Bearer token", Primary: true,
				Description: "A static token from a credential Secret of the tenant, an access token of the operator's OAuth token endpoint (" + TokenPath + "), or a JWT of an identity provider the tenant trusts."},
			{Type: "httpbasic", Name: "HTTP Basic",
				Description: "A user name and password from a credential Secret of the tenant."},
		},
		Meta: discoveryMeta{ResourceType: "ServiceProviderConfig", Location: base + "/ServiceProviderConfig"},
	}
	cfg.Bulk.Supported = s.features.bulk
	if s.features.bulk {
		cfg.Bulk.MaxOperations, cfg.Bulk.MaxPayloadSize = s.opts.BulkMaxOperations, int(s.opts.MaxBodyBytes)
	}
	_, maxPage := s.pageSizes(t)
	cfg.Filter.Supported, cfg.Filter.MaxResults = s.features.filter, maxPage
	writeJSON(w, http.StatusOK, cfg)
	return nil
}

type schemaExtension struct {
	Schema   string `json:"schema"`
	Required bool   `json:"required"`
}

type resourceTypeJSON struct {
	Schemas          []string          `json:"schemas"`
	ID               string            `json:"id"`
	Name             string            `json:"name"`
	Endpoint         string            `json:"endpoint"`
	Description      string            `json:"description"`
	Schema           string            `json:"schema"`
	SchemaExtensions []schemaExtension `json:"schemaExtensions,omitempty"`
	Meta             discoveryMeta     `json:"meta"`
}

var resourceTypes = []*schema.ResourceType{schema.UserResourceType, schema.GroupResourceType}

func (s *Server) resourceTypeJSON(rt *schema.ResourceType, base string, t tenant.Tenant) resourceTypeJSON {
	out := resourceTypeJSON{
		Schemas: []string{resourceTypeSchema}, ID: rt.Name, Name: rt.Name, Endpoint: rt.Endpoint,
		Description: rt.Core.Description, Schema: rt.Core.ID,
		Meta: discoveryMeta{ResourceType: "ResourceType", Location: base + "/ResourceTypes/" + rt.Name},
	}
	for _, ext := range rt.Extensions {
		out.SchemaExtensions = append(out.SchemaExtensions, schemaExtension{Schema: ext.ID})
	}
	if rt == schema.UserResourceType {
		for _, urn := range s.extensions.URNs(t.Namespace) {
			out.SchemaExtensions = append(out.SchemaExtensions, schemaExtension{Schema: urn})
		}
	}
	return out
}

func (s *Server) resourceTypes(w http.ResponseWriter, r *http.Request, t tenant.Tenant) error {
	base := s.locations(r).base
	var all []any
	for _, rt := range resourceTypes {
		all = append(all, s.resourceTypeJSON(rt, base, t))
	}
	writeJSON(w, http.StatusOK, resource.NewListResponse(len(all), 1, all))
	return nil
}

func (s *Server) resourceType(w http.ResponseWriter, r *http.Request, t tenant.Tenant) error {
	for _, rt := range resourceTypes {
		if strings.EqualFold(rt.Name, r.PathValue("name")) {
			writeJSON(w, http.StatusOK, s.resourceTypeJSON(rt, s.locations(r).base, t))
			return nil
		}
	}
	return scimerr.NotFound("no resource type %q", r.PathValue("name"))
}

type schemaJSON struct {
	Schemas []string `json:"schemas"`
	*schema.Schema
	Meta discoveryMeta `json:"meta"`
}

var servedSchemas = []*schema.Schema{schema.User, schema.EnterpriseUser, schema.Group, schema.Provisioning}

func schemaResource(sc *schema.Schema, base string) schemaJSON {
	return schemaJSON{
		Schemas: []string{schemaSchema}, Schema: sc,
		Meta: discoveryMeta{ResourceType: "Schema", Location: base + "/Schemas/" + sc.ID},
	}
}

// tenantSchemas are the schemas served to tenant t: the built-in ones and the client-defined
// extensions its users carry, whose attributes are stored as sent and not described.
func (s *Server) tenantSchemas(t tenant.Tenant) []*schema.Schema {
	all := append([]*schema.Schema{}, servedSchemas...)
	for _, urn := range s.extensions.URNs(t.Namespace) {
		all = append(all, &schema.Schema{ID: urn, Name: urn, Attributes: []schema.Attribute{},
			Description: "Client-defined User extension, stored and returned as the client sent it; its attributes are not validated."})
	}
	return all
}

func (s *Server) schemas(w http.ResponseWriter, r *http.Request, t tenant.Tenant) error {
	base := s.locations(r).base
	var all []any
	for _, sc := range s.tenantSchemas(t) {
		all = append(all, schemaResource(sc, base))
	}
	writeJSON(w, http.StatusOK, resource.NewListResponse(len(all), 1, all))
	return nil
}

func (s *Server) schemaByURN(w http.ResponseWriter, r *http.Request, t tenant.Tenant) error {
	for _, sc := range s.tenantSchemas(t) {
		if strings.EqualFold(sc.ID, r.PathValue("urn")) {
			writeJSON(w, http.StatusOK, schemaResource(sc, s.locations(r).base))
			return nil
		}
	}
	return scimerr.NotFound("no schema %q", r.PathValue("urn"))
}
