package scimserver

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"sigs.k8s.io/controller-runtime/pkg/client"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/internal/provisioning"
	"github.com/scim-operator/scim-operator/internal/resource"
	"github.com/scim-operator/scim-operator/internal/schema"
	"github.com/scim-operator/scim-operator/internal/scimerr"
	"github.com/scim-operator/scim-operator/internal/store"
	"github.com/scim-operator/scim-operator/internal/tenant"
)

func (s *Server) getUser(w http.ResponseWriter, r *http.Request, t tenant.Tenant) error {
	p, err := projectionFromURL(r, schema.UserResourceType)
	if err != nil {
		return err
	}
	u, err := s.store.User(r.Context(), t.Namespace, r.PathValue("id"))
	if err != nil {
		return err
	}
	out, err := s.userResource(r, t, u, s.locations(r))
	if err != nil {
		return err
	}
	return s.writeResource(w, r, http.StatusOK, out.Meta(), out, p)
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request, t tenant.Tenant) error {
	in, err := s.decodeUser(w, r, t)
	if err != nil {
		return err
	}
	u, err := s.store.CreateUser(r.Context(), t.Namespace, in.Spec, in.Password)
	if err != nil {
		return err
	}
	if u, err = s.awaitOutcome(r, t, u); err != nil {
		return err
	}
	return s.writeUser(w, r, t, http.StatusCreated, u)
}

func (s *Server) replaceUser(w http.ResponseWriter, r *http.Request, t tenant.Tenant) error {
	in, err := s.decodeUser(w, r, t)
	if err != nil {
		return err
	}
	u, err := s.store.ReplaceUser(r.Context(), t.Namespace, r.PathValue("id"), in.Spec, in.Password, userIfMatch(r))
	if err != nil {
		return err
	}
	if u, err = s.awaitOutcome(r, t, u); err != nil {
		return err
	}
	return s.writeUser(w, r, t, http.StatusOK, u)
}

func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request, t tenant.Tenant) error {
	if err := s.store.DeleteUser(r.Context(), t.Namespace, r.PathValue("id"), userIfMatch(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) decodeUser(w http.ResponseWriter, r *http.Request, t tenant.Tenant) (*resource.UserInput, error) {
	body, err := s.readBody(w, r)
	if err != nil {
		return nil, err
	}
	return decodeUserFor(t, body)
}

// decodeUserFor decodes a User body under the tenant's settings: whether unknown attributes
// are refused, and which extension schemas are accepted.
func decodeUserFor(t tenant.Tenant, body []byte) (*resource.UserInput, error) {
	in, err := resource.DecodeUser(body, decodeOptions(t))
	if err != nil {
		return nil, err
	}
	if allowed := t.Settings.ExtensionSchemas; len(allowed) > 0 {
		for urn := range in.Spec.Extensions {
			if !slices.ContainsFunc(allowed, func(a string) bool { return strings.EqualFold(a, urn) }) {
				return nil, scimerr.InvalidValue("extension %q is not accepted by this tenant", urn)
			}
		}
	}
	return in, nil
}

func decodeOptions(t tenant.Tenant) resource.DecodeOptions {
	return resource.DecodeOptions{IgnoreUnknown: t.Settings.UnknownInput == scimv1.InputIgnore}
}

// userIfMatch checks a write against the request's If-Match header.
func userIfMatch(r *http.Request) store.Precondition {
	return func(current client.Object) error {
		return ifMatch(r, resource.Version{Generation: current.GetGeneration()}.ETag())
	}
}

// writeUser answers a write with one user, its Location and its ETag; 304 when the client's
// If-None-Match already names this version. Its provisioning extension says what is true at
// that moment: an app that will receive the user and has no result for it yet is Pending.
func (s *Server) writeUser(w http.ResponseWriter, r *http.Request, t tenant.Tenant, status int, u *scimv1.ScimUser) error {
	p, err := projectionFromURL(r, schema.UserResourceType)
	if err != nil {
		return err
	}
	var apps scimv1.ScimAppList
	if err := s.cache.List(r.Context(), &apps, client.InNamespace(t.Namespace), client.UnsafeDisableDeepCopy); err != nil {
		return err
	}
	if reported := provisioning.Reported(r.Context(), s.store, apps.Items, u); len(reported) != len(u.Status.Apps) {
		withPending := *u // u is shared with the cache: only the copy's status.apps is replaced
		withPending.Status.Apps = reported
		u = &withPending
	}
	out, err := s.userResource(r, t, u, s.locations(r))
	if err != nil {
		return err
	}
	return s.writeResource(w, r, status, out.Meta(), out, p)
}

// userResource builds the SCIM representation of u, with the groups it belongs to.
func (s *Server) userResource(r *http.Request, t tenant.Tenant, u *scimv1.ScimUser, loc locations) (*resource.User, error) {
	groups, err := s.groupRefs(r.Context(), u, loc)
	if err != nil {
		return nil, err
	}
	return resource.NewUser(u, groups, loc), nil
}

// groupRefs is the read-only "groups" attribute of u: the groups listing it as a member.
func (s *Server) groupRefs(ctx context.Context, u *scimv1.ScimUser, loc locations) ([]resource.GroupRef, error) {
	names, err := s.store.GroupsOf(ctx, u.Namespace, u.Name)
	if err != nil {
		return nil, err
	}
	var groups []resource.GroupRef
	for _, name := range names {
		g, err := s.store.Group(ctx, u.Namespace, name)
		if scimerr.IsNotFound(err) {
			continue // a shard outlived its group; the group is gone
		} else if err != nil {
			return nil, err
		}
		groups = append(groups, resource.GroupRef{
			Value: g.Name, Ref: loc.GroupLocation(g.Name), Display: g.Spec.DisplayName, Type: "direct",
		})
	}
	return groups, nil
}
