package scimserver

import (
	"net/http"

	"github.com/scim-operator/scim-operator/internal/resource"
	"github.com/scim-operator/scim-operator/internal/scimerr"
	"github.com/scim-operator/scim-operator/internal/tenant"
)

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request, t tenant.Tenant) error {
	q := r.URL.Query()
	if q.Get("filter") != "" {
		return scimerr.New(http.StatusBadRequest, scimerr.TypeInvalidFilter, "filters are not supported yet")
	}
	p, err := s.parsePage(q)
	if err != nil {
		return err
	}
	users, err := s.store.Users(r.Context(), t.Namespace)
	if err != nil {
		return err
	}
	from, to := p.window(len(users))
	loc := s.locations(r)
	resources := make([]any, 0, to-from)
	for i := from; i < to; i++ {
		u, err := s.userResource(r, t, &users[i], loc)
		if err != nil {
			return err
		}
		resources = append(resources, u)
	}
	writeJSON(w, http.StatusOK, resource.NewListResponse(len(users), p.startIndex, resources))
	return nil
}

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
		g, err := s.groupResource(r, t, &groups[i], loc, true)
		if err != nil {
			return err
		}
		resources = append(resources, g)
	}
	writeJSON(w, http.StatusOK, resource.NewListResponse(len(groups), p.startIndex, resources))
	return nil
}
