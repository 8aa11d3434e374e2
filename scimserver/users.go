package scimserver

import (
	"net/http"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
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

func (s *Server) getUser(w http.ResponseWriter, r *http.Request, t tenant.Tenant) error {
	u, err := s.store.User(r.Context(), t.Namespace, r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.writeUser(w, r, t, http.StatusOK, u)
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request, t tenant.Tenant) error {
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	in, err := resource.DecodeUser(body)
	if err != nil {
		return err
	}
	u, err := s.store.CreateUser(r.Context(), t.Namespace, in.Spec, in.Password)
	if err != nil {
		return err
	}
	return s.writeUser(w, r, t, http.StatusCreated, u)
}

// writeUser answers with one user, its Location and its ETag.
func (s *Server) writeUser(w http.ResponseWriter, r *http.Request, t tenant.Tenant, status int, u *scimv1.ScimUser) error {
	loc := s.locations(r)
	out, err := s.userResource(r, t, u, loc)
	if err != nil {
		return err
	}
	w.Header().Set("Location", out.Meta.Location)
	w.Header().Set("ETag", out.Meta.Version)
	writeJSON(w, status, out)
	return nil
}

// userResource builds the SCIM representation of u, with the groups it belongs to.
func (s *Server) userResource(r *http.Request, t tenant.Tenant, u *scimv1.ScimUser, loc locations) (*resource.User, error) {
	names, err := s.store.GroupsOf(r.Context(), t.Namespace, u.Name)
	if err != nil {
		return nil, err
	}
	var groups []resource.GroupRef
	for _, name := range names {
		g, err := s.store.Group(r.Context(), t.Namespace, name)
		if scimerr.As(err) != nil && scimerr.As(err).Status == http.StatusNotFound {
			continue // a shard outlived its group; the group is gone
		} else if err != nil {
			return nil, err
		}
		groups = append(groups, resource.GroupRef{
			Value: g.Name, Ref: loc.GroupLocation(g.Name), Display: g.Spec.DisplayName, Type: "direct",
		})
	}
	return resource.NewUser(u, groups, loc), nil
}
