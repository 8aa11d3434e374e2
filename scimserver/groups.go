package scimserver

import (
	"net/http"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/internal/resource"
	"github.com/scim-operator/scim-operator/internal/scimerr"
	"github.com/scim-operator/scim-operator/internal/tenant"
)

func (s *Server) listGroups(w http.ResponseWriter, r *http.Request, t tenant.Tenant) error {
	q := r.URL.Query()
	if q.Get("filter") != "" {
		return scimerr.New(http.StatusBadRequest, scimerr.TypeInvalidFilter, "filters are not supported yet")
	}
	p, err := s.parsePage(q)
	if err != nil {
		return err
	}
	groups, err := s.store.Groups(r.Context(), t.Namespace)
	if err != nil {
		return err
	}
	from, to := p.window(len(groups))
	loc := s.locations(r)
	resources := make([]any, 0, to-from)
	for i := from; i < to; i++ {
		g, err := s.groupResource(r, t, &groups[i], loc)
		if err != nil {
			return err
		}
		resources = append(resources, g)
	}
	writeJSON(w, http.StatusOK, resource.NewListResponse(len(groups), p.startIndex, resources))
	return nil
}

func (s *Server) getGroup(w http.ResponseWriter, r *http.Request, t tenant.Tenant) error {
	g, err := s.store.Group(r.Context(), t.Namespace, r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.writeGroup(w, r, t, http.StatusOK, g)
}

func (s *Server) createGroup(w http.ResponseWriter, r *http.Request, t tenant.Tenant) error {
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	in, err := resource.DecodeGroup(body)
	if err != nil {
		return err
	}
	g, err := s.store.CreateGroup(r.Context(), t.Namespace, in.Spec, in.Members)
	if err != nil {
		return err
	}
	return s.writeGroup(w, r, t, http.StatusCreated, g)
}

func (s *Server) writeGroup(w http.ResponseWriter, r *http.Request, t tenant.Tenant, status int, g *scimv1.ScimGroup) error {
	out, err := s.groupResource(r, t, g, s.locations(r))
	if err != nil {
		return err
	}
	w.Header().Set("Location", out.Meta.Location)
	w.Header().Set("ETag", out.Meta.Version)
	writeJSON(w, status, out)
	return nil
}

func (s *Server) groupResource(r *http.Request, t tenant.Tenant, g *scimv1.ScimGroup, loc locations) (*resource.Group, error) {
	membership, err := s.store.Members(r.Context(), t.Namespace, g.Name)
	if err != nil {
		return nil, err
	}
	return resource.NewGroup(g, membership, loc), nil
}
