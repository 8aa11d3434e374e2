package store

import (
	"context"
	"net/http"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/internal/scimerr"
	"github.com/scim-operator/scim-operator/internal/secretaccess"
)

// PasswordKey is the key of the password in a user's password Secret.
const PasswordKey = "password"

// User returns the user with the given id (its object name) in namespace ns, from the
// ordered listing (as fresh as the cache, and this replica's own writes included). The object
// is shared and must not be modified: a GET copies nothing (update re-reads what it writes).
func (s *Store) User(ctx context.Context, ns, id string) (*scimv1.ScimUser, error) {
	u, err := s.users.Latest(ctx, ns, id)
	if err != nil {
		return nil, err
	}
	if u == nil || !u.DeletionTimestamp.IsZero() {
		return nil, scimerr.NotFound("resource not found")
	}
	return u, nil
}

// Users returns every user SCIM serves in namespace ns, oldest first. The objects are shared
// and must not be modified.
func (s *Store) Users(ctx context.Context, ns string) ([]*scimv1.ScimUser, error) {
	return s.users.All(ctx, ns)
}

// UsersByIndex returns the users of namespace ns whose index field equals value. The objects
// are shared with the cache and must not be modified.
func (s *Store) UsersByIndex(ctx context.Context, ns, index, value string) ([]*scimv1.ScimUser, error) {
	var list scimv1.ScimUserList
	if err := s.client.List(ctx, &list, client.InNamespace(ns), client.MatchingFields{index: value}, readOnly); err != nil {
		return nil, fromAPI(err)
	}
	return servedOf(list.Items), nil
}

// CreateUser stores a new user in namespace ns, with a new id, once the user holds its
// userName's claim. A password goes into a Secret owned by the user.
func (s *Store) CreateUser(ctx context.Context, ns string, spec scimv1.ScimUserSpec, password *string) (*scimv1.ScimUser, error) {
	id := newID()
	var u *scimv1.ScimUser
	err := s.holding(ctx, ns, scimv1.ClaimUserName, spec.UserName, id, func(ctx context.Context) error {
		var err error
		u, err = s.createUser(ctx, ns, id, spec, password)
		return err
	})
	return u, err
}

// createUser writes user id and its password.
func (s *Store) createUser(ctx context.Context, ns, id string, spec scimv1.ScimUserSpec, password *string) (*scimv1.ScimUser, error) {
	u := &scimv1.ScimUser{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: id}, Spec: spec}
	if password != nil {
		u.Spec.PasswordSecretRef = &corev1.LocalObjectReference{Name: passwordSecretName(id)}
	}
	// The consistent client returns once the cache shows the user, so a filter right after the
	// POST finds it.
	if err := s.client.Create(ctx, u); err != nil {
		return nil, err
	}
	if password != nil {
		if err := s.writePassword(ctx, u, *password); err != nil {
			// Not acknowledged: take the user back rather than keep a user without its password.
			_ = s.client.Delete(context.WithoutCancel(ctx), u)
			return nil, err
		}
	}
	return u, nil
}

// ReplaceUser replaces the spec of user id (PUT, or the result of a PATCH). A nil password
// keeps the current one.
func (s *Store) ReplaceUser(ctx context.Context, ns, id string, spec scimv1.ScimUserSpec, password *string, check Precondition) (*scimv1.ScimUser, error) {
	current, err := s.User(ctx, ns, id)
	if err != nil {
		return nil, err
	}
	var u scimv1.ScimUser
	err = s.renaming(ctx, ns, scimv1.ClaimUserName, current.Spec.UserName, spec.UserName, id, func(ctx context.Context) error {
		return s.update(ctx, types.NamespacedName{Namespace: ns, Name: id}, &u, check, func() error {
			if FoldKey(u.Spec.UserName) != FoldKey(current.Spec.UserName) {
				return errValueChanged
			}
			ref := u.Spec.PasswordSecretRef
			u.Spec = spec
			u.Spec.PasswordSecretRef = ref
			if password != nil {
				// A new password always goes into the operator's own Secret, never into one
				// a kubectl edit of the reference named (secretaccess).
				u.Spec.PasswordSecretRef = &corev1.LocalObjectReference{Name: passwordSecretName(id)}
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	if password != nil {
		if err := s.writePassword(ctx, &u, *password); err != nil {
			return nil, err
		}
		if err := s.notePasswordChange(ctx, &u); err != nil {
			return nil, err
		}
	}
	return &u, nil
}

// PasswordChangedAnnotation records when a user's password last changed: the password lives
// in a Secret the operator does not watch, and this change to the user is what tells the
// provisioning controller to push the new password to the apps.
const PasswordChangedAnnotation = "scim.scim-operator.io/password-changed"

func (s *Store) notePasswordChange(ctx context.Context, u *scimv1.ScimUser) error {
	before := u.DeepCopy()
	metav1.SetMetaDataAnnotation(&u.ObjectMeta, PasswordChangedAnnotation, time.Now().UTC().Format(time.RFC3339Nano))
	return fromAPI(s.client.Patch(ctx, u, client.MergeFrom(before)))
}

// DeleteUser deletes user id, its password Secret, its userName claim and its memberships.
func (s *Store) DeleteUser(ctx context.Context, ns, id string, check Precondition) error {
	var u scimv1.ScimUser
	if err := s.delete(ctx, types.NamespacedName{Namespace: ns, Name: id}, &u, check); err != nil {
		return err
	}
	s.release(ctx, ns, scimv1.ClaimUserName, u.Spec.UserName, id)
	if ref := u.Spec.PasswordSecretRef; ref != nil {
		s.deleteOwnedSecret(context.WithoutCancel(ctx), &u, ref.Name)
	}
	return s.removeFromAllGroups(context.WithoutCancel(ctx), ns, id)
}

// deleteOwnedSecret deletes Secret name at once if u owns it (the garbage collector would
// only once u is gone, after its deprovisioning). A Secret u does not own is someone else's:
// the reference may have been pointed at it by anyone allowed to edit u.
func (s *Store) deleteOwnedSecret(ctx context.Context, u *scimv1.ScimUser, name string) {
	var secret corev1.Secret
	if err := s.live.Get(ctx, types.NamespacedName{Namespace: u.Namespace, Name: name}, &secret); err != nil || !secretaccess.OwnedBy(&secret, u) {
		return
	}
	uid, rv := secret.UID, secret.ResourceVersion
	_ = s.live.Delete(ctx, &secret, client.Preconditions{UID: &uid, ResourceVersion: &rv})
}

// writePassword stores password in u's own password Secret, creating it owned by u. It never
// overwrites a Secret u does not own.
//
// The Secret write verbs are granted only in tenant namespaces (config/rbac/
// tenant_secrets_role.yaml, the chart's rbac.yaml); elsewhere the API server refuses them.
func (s *Store) writePassword(ctx context.Context, u *scimv1.ScimUser, password string) error {
	name := u.Spec.PasswordSecretRef.Name
	var secret corev1.Secret
	err := s.live.Get(ctx, types.NamespacedName{Namespace: u.Namespace, Name: name}, &secret)
	switch {
	case apierrors.IsNotFound(err):
		secret = corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: u.Namespace, Name: name},
			Type:       corev1.SecretTypeOpaque,
			Data:       map[string][]byte{PasswordKey: []byte(password)},
		}
		if err := controllerutil.SetControllerReference(u, &secret, s.live.Scheme()); err != nil {
			return err
		}
		err = s.live.Create(ctx, &secret)
	case err != nil:
	case !secretaccess.OwnedBy(&secret, u):
		if ref := metav1.GetControllerOfNoCopy(&secret); ref != nil && ref.Kind == "ScimUser" && ref.Name == u.Name {
			// The Secret of an earlier user with this id, which the garbage collector is
			// about to delete.
			return scimerr.Unavailable(retryAfter, "the password Secret of an earlier user with this id is still being deleted; retry")
		}
		return scimerr.New(http.StatusConflict, "", "Secret %s exists and is not owned by this user: the password was not stored", name)
	default:
		secret.Data = map[string][]byte{PasswordKey: []byte(password)}
		err = s.live.Update(ctx, &secret)
	}
	switch {
	case apierrors.IsAlreadyExists(err) || apierrors.IsConflict(err):
		return scimerr.Unavailable(retryAfter, "the password is being changed concurrently; retry")
	case apierrors.IsForbidden(err):
		return scimerr.New(http.StatusForbidden, "", "the operator may not store passwords in this tenant's namespace (see the operator's tenant namespaces in docs/security.md)")
	}
	return fromAPI(err)
}

func passwordSecretName(userID string) string {
	return "scimuser-" + userID + "-password"
}
