package store

import (
	"context"
	"sort"

	"github.com/google/uuid"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/internal/scimerr"
)

// PasswordKey is the key of the password in a user's password Secret.
const PasswordKey = "password"

// Store reads SCIM resources from the informer cache and writes them to the API server.
type Store struct {
	// client reads from the cache and writes to the API server. It must be configured for
	// read-your-writes consistency, so a read that follows a write on this replica sees it.
	client client.Client
}

// New returns a store over c, a cache-backed client with read-your-writes consistency.
func New(c client.Client) *Store {
	return &Store{client: c}
}

// readOnly lists without copying objects out of the cache: callers must not modify them.
var readOnly = client.UnsafeDisableDeepCopy

// User returns the user with the given id (its object name) in namespace ns.
func (s *Store) User(ctx context.Context, ns, id string) (*scimv1.ScimUser, error) {
	var u scimv1.ScimUser
	if err := s.client.Get(ctx, types.NamespacedName{Namespace: ns, Name: id}, &u); err != nil {
		return nil, fromAPI(err)
	}
	return &u, nil
}

// Users returns every user of namespace ns, oldest first. The objects are shared with the
// cache and must not be modified.
func (s *Store) Users(ctx context.Context, ns string) ([]scimv1.ScimUser, error) {
	var list scimv1.ScimUserList
	if err := s.client.List(ctx, &list, client.InNamespace(ns), readOnly); err != nil {
		return nil, fromAPI(err)
	}
	sort.Slice(list.Items, func(i, j int) bool { return olderFirst(&list.Items[i], &list.Items[j]) })
	return list.Items, nil
}

// CreateUser stores a new user in namespace ns. A password goes into a Secret owned by the user.
func (s *Store) CreateUser(ctx context.Context, ns string, spec scimv1.ScimUserSpec, password *string) (*scimv1.ScimUser, error) {
	if taken, err := s.userNameTaken(ctx, ns, spec.UserName); err != nil {
		return nil, err
	} else if taken {
		return nil, scimerr.Uniqueness("userName is already taken in this tenant")
	}
	u := &scimv1.ScimUser{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: newID()},
		Spec:       spec,
	}
	if password != nil {
		u.Spec.PasswordSecretRef = &corev1.LocalObjectReference{Name: passwordSecretName(u.Name)}
	}
	if err := s.client.Create(ctx, u); err != nil {
		return nil, fromAPI(err)
	}
	if password != nil {
		if err := s.createPasswordSecret(ctx, u, *password); err != nil {
			// The user was not acknowledged: take it back rather than keep it without its password.
			_ = s.client.Delete(context.WithoutCancel(ctx), u)
			return nil, err
		}
	}
	return u, nil
}

func (s *Store) userNameTaken(ctx context.Context, ns, userName string) (bool, error) {
	var list scimv1.ScimUserList
	err := s.client.List(ctx, &list, client.InNamespace(ns), client.MatchingFields{IndexUserName: FoldKey(userName)}, readOnly)
	return len(list.Items) > 0, fromAPI(err)
}

func (s *Store) createPasswordSecret(ctx context.Context, u *scimv1.ScimUser, password string) error {
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: u.Namespace, Name: u.Spec.PasswordSecretRef.Name},
		Type:       corev1.SecretTypeOpaque,
		Data:       map[string][]byte{PasswordKey: []byte(password)},
		Immutable:  ptr.To(false),
	}
	if err := controllerutil.SetControllerReference(u, secret, s.client.Scheme()); err != nil {
		return err
	}
	return fromAPI(s.client.Create(ctx, secret))
}

func passwordSecretName(userID string) string {
	return "scimuser-" + userID + "-password"
}

// Group returns the group with the given id in namespace ns.
func (s *Store) Group(ctx context.Context, ns, id string) (*scimv1.ScimGroup, error) {
	var g scimv1.ScimGroup
	if err := s.client.Get(ctx, types.NamespacedName{Namespace: ns, Name: id}, &g); err != nil {
		return nil, fromAPI(err)
	}
	return &g, nil
}

// Groups returns every group of namespace ns, oldest first. The objects are shared with the
// cache and must not be modified.
func (s *Store) Groups(ctx context.Context, ns string) ([]scimv1.ScimGroup, error) {
	var list scimv1.ScimGroupList
	if err := s.client.List(ctx, &list, client.InNamespace(ns), readOnly); err != nil {
		return nil, fromAPI(err)
	}
	sort.Slice(list.Items, func(i, j int) bool { return olderFirst(&list.Items[i], &list.Items[j]) })
	return list.Items, nil
}

// CreateGroup stores a new group and its members in namespace ns. Every member must be a user
// or group of the same namespace.
func (s *Store) CreateGroup(ctx context.Context, ns string, spec scimv1.ScimGroupSpec, members []scimv1.GroupMember) (*scimv1.ScimGroup, error) {
	var list scimv1.ScimGroupList
	if err := s.client.List(ctx, &list, client.InNamespace(ns), client.MatchingFields{IndexGroupDisplayName: FoldKey(spec.DisplayName)}, readOnly); err != nil {
		return nil, fromAPI(err)
	}
	if len(list.Items) > 0 {
		return nil, scimerr.Uniqueness("displayName is already taken in this tenant")
	}
	members, err := s.resolveMembers(ctx, ns, members)
	if err != nil {
		return nil, err
	}
	g := &scimv1.ScimGroup{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: newID()},
		Spec:       spec,
	}
	if err := s.client.Create(ctx, g); err != nil {
		return nil, fromAPI(err)
	}
	if err := s.addMembers(ctx, g, members); err != nil {
		_ = s.client.Delete(context.WithoutCancel(ctx), g)
		return nil, err
	}
	return g, nil
}

// resolveMembers checks that every member exists in namespace ns and fills in its type.
// A member of another tenant does not exist here, so it cannot be referred to.
func (s *Store) resolveMembers(ctx context.Context, ns string, members []scimv1.GroupMember) ([]scimv1.GroupMember, error) {
	resolved := make([]scimv1.GroupMember, len(members))
	for i, m := range members {
		key := types.NamespacedName{Namespace: ns, Name: m.Value}
		found := false
		if m.Type != scimv1.MemberTypeGroup {
			if ok, err := s.exists(ctx, key, &scimv1.ScimUser{}); err != nil {
				return nil, err
			} else if ok {
				m.Type, found = scimv1.MemberTypeUser, true
			}
		}
		if !found && m.Type != scimv1.MemberTypeUser {
			if ok, err := s.exists(ctx, key, &scimv1.ScimGroup{}); err != nil {
				return nil, err
			} else if ok {
				m.Type, found = scimv1.MemberTypeGroup, true
			}
		}
		if !found {
			return nil, scimerr.InvalidValue("member %q is not a user or group of this tenant", m.Value)
		}
		resolved[i] = m
	}
	return resolved, nil
}

func (s *Store) exists(ctx context.Context, key types.NamespacedName, obj client.Object) (bool, error) {
	err := s.client.Get(ctx, key, obj)
	if err == nil {
		return true, nil
	}
	if err = fromAPI(err); scimerr.As(err) != nil && scimerr.As(err).Status == 404 {
		return false, nil
	}
	return false, err
}

// olderFirst orders objects by creation time, then name, so pages are stable.
func olderFirst(a, b metav1.Object) bool {
	ta, tb := a.GetCreationTimestamp(), b.GetCreationTimestamp()
	if !ta.Equal(&tb) {
		return ta.Before(&tb)
	}
	return a.GetName() < b.GetName()
}

// newID returns the id, and object name, of a resource created through SCIM.
func newID() string {
	return uuid.NewString()
}

