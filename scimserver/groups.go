package scimserver

import (
	"context"
	"net/http"

	"sigs.k8s.io/controller-runtime/pkg/client"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/internal/resource"
	"github.com/scim-operator/scim-operator/internal/schema"
	"github.com/scim-operator/scim-operator/internal/store"
	"github.com/scim-operator/scim-operator/internal/tenant"
)

// getGroup answers GET by id; with excludedAttributes=members the members are never loaded
// (Entra ID asks this way, E6).
func (s *Server) getGroup(w http.ResponseWriter, r *http.Request, t tenant.Tenant) error {
	p, err := projectionFromURL(r, schema.GroupResourceType)
	if err != nil {
		return err
	}
	g, err := s.store.Group(r.Context(), t.Namespace, r.PathValue("id"))
	if err != nil {
		return err
	}
	out, err := s.groupResource(r, t, g, s.locations(r), p.wants("members"))
	if err != nil {
		return err
	}
	if p.onlyExcludes("members") {
		p = projection{} // built without them: nothing left to project
	}
	return s.writeResource(w, r, http.StatusOK, out.Meta, out, p)
}

func (s *Server) createGroup(w http.ResponseWriter, r *http.Request, t tenant.Tenant) error {
	in, err := s.decodeGroup(w, r, t)
	if err != nil {
		return err
	}
	g, err := s.store.CreateGroup(r.Context(), t.Namespace, in.Spec, in.Members, dropUnknownMembers(t))
	if err != nil {
		return err
	}
	return s.writeGroup(w, r, t, http.StatusCreated, g)
}

// replaceGroup is PUT: the group's attributes and its whole member list (Okta's integration
// wizard sends every member on each change).
func (s *Server) replaceGroup(w http.ResponseWriter, r *http.Request, t tenant.Tenant) error {
	in, err := s.decodeGroup(w, r, t)
	if err != nil {
		return err
	}
	ctx := r.Context()
	members, err := s.store.ResolveMembers(ctx, t.Namespace, in.Members, dropUnknownMembers(t))
	if err != nil {
		return err
	}
	g, err := s.store.ReplaceGroup(ctx, t.Namespace, r.PathValue("id"), in.Spec, s.groupIfMatch(r, t))
	if err != nil {
		return err
	}
	if err := s.store.SetMembers(ctx, g, members); err != nil {
		return err
	}
	return s.writeGroup(w, r, t, http.StatusOK, g)
}

func (s *Server) deleteGroup(w http.ResponseWriter, r *http.Request, t tenant.Tenant) error {
	if err := s.store.DeleteGroup(r.Context(), t.Namespace, r.PathValue("id"), s.groupIfMatch(r, t)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) decodeGroup(w http.ResponseWriter, r *http.Request, t tenant.Tenant) (*resource.GroupInput, error) {
	body, err := s.readBody(w, r)
	if err != nil {
		return nil, err
	}
	return resource.DecodeGroup(body, decodeOptions(t))
}

// dropUnknownMembers: a tenant that ignores unknown input drops members naming nothing of the
// tenant, instead of refusing the request; they are never stored either way.
func dropUnknownMembers(t tenant.Tenant) bool {
	return t.Settings.UnknownInput == scimv1.InputIgnore
}

// groupIfMatch checks a write against the request's If-Match header; a group's version
// includes its member shards.
func (s *Server) groupIfMatch(r *http.Request, t tenant.Tenant) store.Precondition {
	return func(current client.Object) error {
		if r.Header.Get("If-Match") == "" {
			return nil
		}
		etag, err := s.groupETag(r.Context(), t, current)
		if err != nil {
			return err
		}
		return ifMatch(r, etag)
	}
}

func (s *Server) groupETag(ctx context.Context, t tenant.Tenant, g client.Object) (string, error) {
	ms, err := s.store.Members(ctx, t.Namespace, g.GetName(), false)
	if err != nil {
		return "", err
	}
	return resource.Version{Generation: g.GetGeneration(), Members: ms.Fingerprint}.ETag(), nil
}

func (s *Server) writeGroup(w http.ResponseWriter, r *http.Request, t tenant.Tenant, status int, g *scimv1.ScimGroup) error {
	out, err := s.groupResource(r, t, g, s.locations(r), true)
	if err != nil {
		return err
	}
	return s.writeResource(w, r, status, out.Meta, out, projection{})
}

// groupResource builds the SCIM representation of g; without members unless withMembers, so
// that excludedAttributes=members never loads them.
func (s *Server) groupResource(r *http.Request, t tenant.Tenant, g *scimv1.ScimGroup, loc locations, withMembers bool) (*resource.Group, error) {
	membership, err := s.store.Members(r.Context(), t.Namespace, g.Name, withMembers)
	if err != nil {
		return nil, err
	}
	return resource.NewGroup(g, membership, loc), nil
}
