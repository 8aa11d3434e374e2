package scimserver

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/internal/patch"
	"github.com/scim-operator/scim-operator/internal/resource"
	"github.com/scim-operator/scim-operator/internal/schema"
	"github.com/scim-operator/scim-operator/internal/scimerr"
	"github.com/scim-operator/scim-operator/internal/store"
	"github.com/scim-operator/scim-operator/internal/tenant"
)

// PATCH (RFC 7644 §3.5.2). A user is patched as a whole document: the current representation
// is patched by internal/patch, decoded strictly like a PUT, and written only if nobody changed
// the user meanwhile (otherwise the PATCH is applied again to the new state). A group's member
// operations are turned into shard edits, so a one-member change to a 100,000-member group
// never loads or rewrites the whole list.

// errChangedMeanwhile makes a PATCH start over from the current state.
var errChangedMeanwhile = errors.New("the resource changed while the PATCH was applied")

const (
	patchAttempts      = 5
	retryAfterConflict = time.Second
)

func (s *Server) patchUser(w http.ResponseWriter, r *http.Request, t tenant.Tenant) error {
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	ops, err := patch.ParseRequest(body, schema.UserResourceType)
	if err != nil {
		return err
	}
	ctx, id := r.Context(), r.PathValue("id")
	for range patchAttempts {
		current, err := s.store.User(ctx, t.Namespace, id)
		if err != nil {
			return err
		}
		if err := ifMatch(r, resource.Version{Generation: current.Generation}.ETag()); err != nil {
			return err
		}
		doc, err := toDocument(resource.NewUser(current, nil, s.locations(r)))
		if err != nil {
			return err
		}
		patched, err := patch.Apply(doc, ops, schema.UserResourceType)
		if err != nil {
			return err
		}
		data, err := resource.Marshal(patched)
		if err != nil {
			return err
		}
		in, err := decodeUserFor(t, data)
		if err != nil {
			return err
		}
		u, err := s.store.ReplaceUser(ctx, t.Namespace, id, in.Spec, in.Password, unchangedSince(current))
		if errors.Is(err, errChangedMeanwhile) {
			continue
		}
		if err != nil {
			return err
		}
		if u, err = s.awaitOutcome(r, t, u); err != nil {
			return err
		}
		if !wantsRepresentation(r, t) {
			w.Header().Set("ETag", resource.Version{Generation: u.Generation}.ETag())
			w.WriteHeader(http.StatusNoContent)
			return nil
		}
		return s.writeUser(w, r, t, http.StatusOK, u)
	}
	return scimerr.Unavailable(retryAfterConflict, "the user is being changed concurrently; retry")
}

// wantsRepresentation decides between 200 with the user and 204 after a user PATCH; RFC 7644
// §3.5.2 allows both, and clients differ in what they expect (see ScimTenant
// userPatchResponse).
func wantsRepresentation(r *http.Request, t tenant.Tenant) bool {
	q := r.URL.Query()
	if q.Has("attributes") || q.Has("excludedAttributes") {
		return true
	}
	switch t.Settings.UserPatchResponse {
	case scimv1.PatchResponseRepresentation:
		return true
	case scimv1.PatchResponseNoContent:
		return false
	}
	return strings.Contains(strings.ToLower(r.UserAgent()), "okta")
}

// unchangedSince refuses a write when the object's spec changed after read was taken.
func unchangedSince(read client.Object) store.Precondition {
	return func(current client.Object) error {
		if current.GetGeneration() != read.GetGeneration() {
			return errChangedMeanwhile
		}
		return nil
	}
}

// toDocument turns a representation into the JSON-shaped map internal/patch works on.
func toDocument(v any) (map[string]any, error) {
	data, err := resource.Marshal(v)
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	return doc, json.Unmarshal(data, &doc)
}

func (s *Server) patchGroup(w http.ResponseWriter, r *http.Request, t tenant.Tenant) error {
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	ops, err := patch.ParseRequest(body, schema.GroupResourceType)
	if err != nil {
		return err
	}
	ctx, id := r.Context(), r.PathValue("id")
	g, err := s.store.Group(ctx, t.Namespace, id)
	if err != nil {
		return err
	}
	if err := s.groupIfMatch(r, t)(g); err != nil {
		return err
	}
	memberOps, attributeOps, err := splitMemberOperations(ops, decodeOptions(t))
	if err != nil {
		return err
	}
	// Everything that can be refused is checked before anything is written.
	for i := range memberOps {
		if memberOps[i].members, err = s.store.ResolveMembers(ctx, t.Namespace, memberOps[i].members, dropUnknownMembers(t)); err != nil {
			return err
		}
	}
	if len(attributeOps) > 0 {
		if g, err = s.patchGroupAttributes(r, t, g, attributeOps); err != nil {
			return err
		}
	}
	for _, op := range memberOps {
		if err := s.applyMemberOperation(r, t, g, op); err != nil {
			return err
		}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// patchGroupAttributes applies the operations that do not touch members to the group's
// displayName and externalId.
func (s *Server) patchGroupAttributes(r *http.Request, t tenant.Tenant, g *scimv1.ScimGroup, ops []patch.Operation) (*scimv1.ScimGroup, error) {
	doc, err := toDocument(resource.NewGroup(g, resource.Membership{}, s.locations(r)))
	if err != nil {
		return nil, err
	}
	patched, err := patch.Apply(doc, ops, schema.GroupResourceType)
	if err != nil {
		return nil, err
	}
	data, err := resource.Marshal(patched)
	if err != nil {
		return nil, err
	}
	in, err := resource.DecodeGroup(data, decodeOptions(t))
	if err != nil {
		return nil, err
	}
	if in.Spec == g.Spec {
		return g, nil
	}
	return s.store.ReplaceGroup(r.Context(), t.Namespace, g.Name, in.Spec, nil)
}

// memberOperation is a PATCH operation on a group's members, in terms of shard edits.
type memberOperation struct {
	kind    memberOpKind
	members []scimv1.GroupMember // add, set
	ids     []string             // remove
	filter  *patch.Path          // remove by value filter
}

type memberOpKind int

const (
	addMembers memberOpKind = iota
	setMembers
	removeMembers
	removeMatching
)

// splitMemberOperations separates member operations from the others, keeping their order.
// A no-path operation whose value holds "members" contributes to both.
func splitMemberOperations(ops []patch.Operation, opts resource.DecodeOptions) (members []memberOperation, others []patch.Operation, err error) {
	for _, op := range ops {
		if op.Path == nil {
			value, isObject := op.Value.(map[string]any)
			key, list, found := memberKey(value)
			if !isObject || !found {
				others = append(others, op)
				continue
			}
			m, err := memberOpFromValue(op.Op, list, opts)
			if err != nil {
				return nil, nil, err
			}
			members = append(members, m)
			rest := make(map[string]any, len(value))
			for k, v := range value {
				if k != key {
					rest[k] = v
				}
			}
			if len(rest) > 0 {
				others = append(others, patch.Operation{Op: op.Op, Value: rest})
			}
			continue
		}
		if !strings.EqualFold(op.Path.Attribute, "members") || op.Path.Schema != "" && !strings.EqualFold(op.Path.Schema, schema.GroupURN) {
			others = append(others, op)
			continue
		}
		m, err := memberOpFromPath(op, opts)
		if err != nil {
			return nil, nil, err
		}
		members = append(members, m)
	}
	return members, others, nil
}

func memberKey(value map[string]any) (string, any, bool) {
	for k, v := range value {
		if strings.EqualFold(k, "members") || strings.EqualFold(k, schema.GroupURN+":members") {
			return k, v, true
		}
	}
	return "", nil, false
}

func memberOpFromPath(op patch.Operation, opts resource.DecodeOptions) (memberOperation, error) {
	p := op.Path
	switch {
	case p.SubAttribute != "":
		return memberOperation{}, scimerr.New(http.StatusBadRequest, scimerr.TypeMutability,
			"a member's sub-attributes cannot be changed; remove the member and add it again")
	case p.Filter != nil && op.Op == "remove":
		return memberOperation{kind: removeMatching, filter: p}, nil
	case p.Filter != nil:
		return memberOperation{}, scimerr.New(http.StatusBadRequest, scimerr.TypeInvalidPath,
			"members[...] can only be removed; use add or replace on members")
	case op.Op == "remove" && op.Value == nil:
		return memberOperation{kind: setMembers}, nil // remove every member
	}
	return memberOpFromValue(op.Op, op.Value, opts)
}

// memberOpFromValue reads the member list of an operation's value. A remove with a value
// removes only the listed members (Entra ID, quirk E3), never the whole list.
func memberOpFromValue(op string, value any, opts resource.DecodeOptions) (memberOperation, error) {
	members, err := decodeMembers(value, opts)
	if err != nil {
		return memberOperation{}, err
	}
	switch op {
	case "add":
		return memberOperation{kind: addMembers, members: members}, nil
	case "replace":
		return memberOperation{kind: setMembers, members: members}, nil
	default:
		ids := make([]string, len(members))
		for i, m := range members {
			ids[i] = m.Value
		}
		return memberOperation{kind: removeMembers, ids: ids}, nil
	}
}

// decodeMembers reads members given as one object or a list, through the same decoder as a
// POST body, so the same rules apply.
func decodeMembers(value any, opts resource.DecodeOptions) ([]scimv1.GroupMember, error) {
	switch v := value.(type) {
	case map[string]any:
		value = []any{v}
	case string:
		// A bare id (Microsoft's validator sends one); like E9's manager.
		value = []any{map[string]any{"value": v}}
	}
	data, err := resource.Marshal(map[string]any{"displayName": "-", "members": value})
	if err != nil {
		return nil, err
	}
	in, err := resource.DecodeGroup(data, opts)
	if err != nil {
		return nil, err
	}
	return in.Members, nil
}

func (s *Server) applyMemberOperation(r *http.Request, t tenant.Tenant, g *scimv1.ScimGroup, op memberOperation) error {
	ctx := r.Context()
	switch op.kind {
	case addMembers:
		return s.store.AddMembers(ctx, g, op.members)
	case setMembers:
		return s.store.SetMembers(ctx, g, op.members)
	case removeMembers:
		return s.store.RemoveMembers(ctx, g, op.ids)
	}
	// remove members[<filter>]: the common `value eq "<id>"` looks at that one member only.
	var candidates []scimv1.GroupMember
	if hint, ok := op.filter.Filter.IndexHint(); ok && (hint.Path == "value" || hint.Path == "members.value") {
		m, found, err := s.store.Member(ctx, t.Namespace, g.Name, hint.Value)
		if err != nil || !found {
			return err
		}
		candidates = []scimv1.GroupMember{m}
	} else {
		ms, err := s.store.Members(ctx, t.Namespace, g.Name, true)
		if err != nil {
			return err
		}
		candidates = ms.Members
	}
	var ids []string
	for _, m := range candidates {
		doc := map[string]any{"value": m.Value, "type": string(m.Type), "display": m.Display}
		if op.filter.Filter.Matches(doc) {
			ids = append(ids, m.Value)
		}
	}
	return s.store.RemoveMembers(ctx, g, ids)
}
