package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
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

// CreateUser stores a new user in namespace ns. A password goes into a Secret owned by the user.
//
// The user's object name, and SCIM id, is derived from its userName (userObjectName), so the
// API server itself refuses a second user with that userName: one write, where a name claim
// would take two. When that name is taken by a user who has since been renamed or is being
// deleted, the user gets a random id and a claim instead (docs/architecture.md, "Uniqueness").
func (s *Store) CreateUser(ctx context.Context, ns string, spec scimv1.ScimUserSpec, password *string) (*scimv1.ScimUser, error) {
	if err := s.unheldInCache(ctx, ns, scimv1.ClaimUserName, spec.UserName, ""); err != nil {
		return nil, err
	}
	u, err := s.createUserNamed(ctx, ns, userObjectName(ns, spec.UserName), spec, password)
	if err == nil || !apierrors.IsAlreadyExists(err) {
		return u, fromAPI(err)
	}
	key := types.NamespacedName{Namespace: ns, Name: userObjectName(ns, spec.UserName)}
	if held, err := s.holdsLive(ctx, key, scimv1.ClaimUserName, spec.UserName); err != nil {
		return nil, err
	} else if held {
		return nil, scimerr.Uniqueness("userName is already taken in this tenant")
	}
	id := newID()
	if err := s.claimUnique(ctx, ns, scimv1.ClaimUserName, spec.UserName, id); err != nil {
		return nil, err
	}
	u, err = s.createUserNamed(ctx, ns, id, spec, password)
	if err != nil {
		s.release(ctx, ns, scimv1.ClaimUserName, spec.UserName, id)
	}
	return u, fromAPI(err)
}

// createUserNamed writes user id and its password, once keepsUserName has made sure that no
// other user got the userName first.
func (s *Store) createUserNamed(ctx context.Context, ns, id string, spec scimv1.ScimUserSpec, password *string) (*scimv1.ScimUser, error) {
	u := &scimv1.ScimUser{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: id}, Spec: spec}
	if password != nil {
		u.Spec.PasswordSecretRef = &corev1.LocalObjectReference{Name: passwordSecretName(id)}
	}
	if err := s.client.Create(ctx, u); err != nil {
		return nil, err
	}
	err := s.keepsUserName(ctx, u)
	if err == nil && password != nil {
		err = s.writePassword(ctx, u, *password)
	}
	if err != nil {
		// Not acknowledged: take the user back rather than keep a duplicate, or a user
		// without its password.
		_ = s.client.Delete(context.WithoutCancel(ctx), u)
		return nil, err
	}
	return u, nil
}

// keepsUserName is the last step of a user's create: it refuses the userName when another
// user has it or a rename is about to give it (userNameFree), as the cache shows them once
// the cache holds the create. The informer applies a namespace's users in the order the API
// server wrote them (WaitDelivered), and a rename marks its user before it renames
// (announceRename), so of a create and a rename, or two creates, that give one userName to
// two users, the later write's check sees the earlier: at least one backs off, and it costs
// no API request. docs/architecture.md, "Uniqueness".
//
// With liveUniqueness, a user named after its userName also reads that userName's claim from
// the API server, as the rename that holds the claim read this user's name after making it
// (claimUnique): Dekker's order through the API server, which holds whatever the cache does.
func (s *Store) keepsUserName(ctx context.Context, u *scimv1.ScimUser) error {
	if s.liveUniqueness && u.Name == userObjectName(u.Namespace, u.Spec.UserName) {
		if err := s.claimedByOther(ctx, u.Namespace, u.Spec.UserName, u.Name); err != nil {
			return err
		}
	}
	return s.userNameFree(ctx, u, u.Spec.UserName)
}

// userNameFree refuses userName for user u, just written, when another user has it or a rename
// announced on another user is about to give it (RenamingAnnotation), as the cache shows them
// once it holds u's write.
func (s *Store) userNameFree(ctx context.Context, u *scimv1.ScimUser, userName string) error {
	ctx, cancel := context.WithTimeout(ctx, cacheWait)
	defer cancel()
	if err := s.users.WaitDelivered(ctx, u.Namespace, resourceVersion(u)); err != nil {
		return fromAPI(err)
	}
	holders, err := s.usersNamed(ctx, u.Namespace, IndexUserName, userName)
	if err != nil {
		return err
	}
	for i := range holders {
		if other := &holders[i]; other.Name != u.Name && holdsUserName(other, userName) {
			return scimerr.Uniqueness("userName is already taken in this tenant")
		}
	}
	renamers, err := s.usersNamed(ctx, u.Namespace, IndexUserNameRenamingTo, userName)
	if err != nil {
		return err
	}
	now := time.Now()
	for i := range renamers {
		if other := &renamers[i]; other.Name != u.Name && other.DeletionTimestamp.IsZero() && renameMarkHolds(other, now) {
			return scimerr.Uniqueness("userName is already taken in this tenant")
		}
	}
	return nil
}

// usersNamed returns the users of namespace ns that index (IndexUserName or
// IndexUserNameRenamingTo) files under userName ignoring case, served or not, from the cache
// as it is (without waiting for this replica's writes). The objects are shared with the cache
// and must not be modified.
func (s *Store) usersNamed(ctx context.Context, ns, index, userName string) ([]scimv1.ScimUser, error) {
	var list scimv1.ScimUserList
	err := s.client.List(ctx, &list, client.InNamespace(ns), client.MatchingFields{index: FoldKey(userName)},
		readOnly, client.DisableReadYourWritesConsistency)
	return list.Items, fromAPI(err)
}

// claimedByOther refuses userName when a claim on it is held by a user other than id.
func (s *Store) claimedByOther(ctx context.Context, ns, userName, id string) error {
	var c scimv1.ScimNameClaim
	err := s.live.Get(ctx, types.NamespacedName{Namespace: ns, Name: claimName(scimv1.ClaimUserName, userName)}, &c)
	if apierrors.IsNotFound(err) {
		return nil
	} else if err != nil {
		return fromAPI(err)
	}
	if c.Spec.Holder == id {
		return nil
	}
	held, err := s.claimHeld(ctx, &c)
	if err != nil {
		return err
	}
	if held {
		return scimerr.Uniqueness("userName is already taken in this tenant")
	}
	return nil
}

// ClaimedByOther reports whether u's userName is claimed by another user: possible only for
// a moment, while a user created under its userName's own name (CreateUser) is about to be
// taken back because a renamed user holds that userName. The provisioning controller asks
// before a user's first provisioning, so that such a user never reaches an app.
func (s *Store) ClaimedByOther(ctx context.Context, u *scimv1.ScimUser) (bool, error) {
	if u.Name != userObjectName(u.Namespace, u.Spec.UserName) {
		return false, nil // it holds a claim of its own, or was made with kubectl
	}
	err := s.claimedByOther(ctx, u.Namespace, u.Spec.UserName, u.Name)
	if scimerr.As(err) != nil && scimerr.As(err).ScimType == scimerr.TypeUniqueness {
		return true, nil
	}
	return false, err
}

// userObjectName is the object name, and SCIM id, that a user created with userName in
// namespace ns gets when it is free: derived from the userName ignoring case, so that the API
// server lets only one user have it, and from the tenant, so that ids are unique across
// tenants (RFC 7643 §3.1).
func userObjectName(ns, userName string) string {
	sum := sha256.Sum256([]byte(ns + "/" + FoldKey(userName)))
	return "u-" + hex.EncodeToString(sum[:16])
}

// holdsUserName reports whether u, as read live, has userName and is not being deleted.
func holdsUserName(u *scimv1.ScimUser, userName string) bool {
	return u.DeletionTimestamp.IsZero() && FoldKey(u.Spec.UserName) == FoldKey(userName)
}

// ReplaceUser replaces the spec of user id (PUT, or the result of a PATCH). A nil password
// keeps the current one.
func (s *Store) ReplaceUser(ctx context.Context, ns, id string, spec scimv1.ScimUserSpec, password *string, check Precondition) (*scimv1.ScimUser, error) {
	current, err := s.User(ctx, ns, id)
	if err != nil {
		return nil, err
	}
	var u scimv1.ScimUser
	key := types.NamespacedName{Namespace: ns, Name: id}
	err = s.renaming(ctx, ns, scimv1.ClaimUserName, current.Spec.UserName, spec.UserName, id, func() (string, error) {
		var mark string
		if FoldKey(current.Spec.UserName) != FoldKey(spec.UserName) {
			var err error
			if mark, err = s.announceRename(ctx, key, spec.UserName); err != nil {
				return "", err
			}
		}
		var previous string
		err := s.update(ctx, key, &u, check, func() error {
			if err := renameAnnounced(&u, spec.UserName, mark); err != nil {
				return err
			}
			previous = u.Spec.UserName
			delete(u.Annotations, RenamingAnnotation) // this rename's mark, or one left behind
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
		if err != nil && mark != "" {
			s.withdrawRename(ctx, key, mark)
		}
		return previous, err
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

// RenamingAnnotation marks a user that a rename is about to give another userName:
// "<time> <userName>", written before the rename itself (announceRename). Until the rename is
// written, or for renameMarkLife after the time if it never is, no other user may get that
// userName (keepsUserName).
const RenamingAnnotation = "scim.scim-operator.io/renaming-to"

const (
	// renameMarkLife is how long a rename's mark holds its userName: as long as a claim
	// whose holder is not written yet.
	renameMarkLife = claimGrace
	// renameMarkUse is how long the rename itself may use its mark: well within
	// renameMarkLife, so that the clocks of two replicas may differ by the rest.
	renameMarkUse = 10 * time.Second
)

// announceRename marks user key as about to take userName, and checks, once the cache holds
// the mark, that no other user has or is about to take it. It is keepsUserName's order
// argument from the rename's side: a create (or mark) of userName that the API server wrote
// after this mark sees the mark, one written before is seen here. The user keeps its
// userName until the rename is written, so a rename that is refused never showed. It returns
// the mark, which the rename's write must find unchanged (renameAnnounced).
func (s *Store) announceRename(ctx context.Context, key types.NamespacedName, userName string) (string, error) {
	mark := time.Now().UTC().Format(time.RFC3339Nano) + " " + userName
	var u scimv1.ScimUser
	err := s.update(ctx, key, &u, nil, func() error {
		metav1.SetMetaDataAnnotation(&u.ObjectMeta, RenamingAnnotation, mark)
		return nil
	})
	if err != nil {
		return "", err
	}
	if err := s.userNameFree(ctx, &u, userName); err != nil {
		s.withdrawRename(ctx, key, mark)
		return "", err
	}
	return mark, nil
}

// renameAnnounced refuses a write of userName to u unless it keeps u's userName or carries
// the mark announceRename made for it, still young enough to hold the userName. A rename
// the cache did not show when the mark was decided on (another replica's) lands here too.
func renameAnnounced(u *scimv1.ScimUser, userName, mark string) error {
	if FoldKey(u.Spec.UserName) == FoldKey(userName) {
		return nil
	}
	if mark == "" || u.Annotations[RenamingAnnotation] != mark {
		return scimerr.Unavailable(retryAfter, "the user is being changed concurrently; retry")
	}
	if at, _, _ := parseRenameMark(mark); time.Since(at) > renameMarkUse {
		return scimerr.Unavailable(retryAfter, "the rename took too long; retry")
	}
	return nil
}

// withdrawRename removes the mark of a rename that did not happen, unless another took its
// place. A mark left behind stops counting after renameMarkLife, and the user's next change
// removes it.
func (s *Store) withdrawRename(ctx context.Context, key types.NamespacedName, mark string) {
	var u scimv1.ScimUser
	_ = s.update(context.WithoutCancel(ctx), key, &u, nil, func() error {
		if u.Annotations[RenamingAnnotation] != mark {
			return errNothingToWithdraw
		}
		delete(u.Annotations, RenamingAnnotation)
		return nil
	})
}

var errNothingToWithdraw = errors.New("the rename's mark is gone")

// parseRenameMark splits a RenamingAnnotation into its time and userName.
func parseRenameMark(mark string) (at time.Time, userName string, ok bool) {
	stamp, userName, found := strings.Cut(mark, " ")
	at, err := time.Parse(time.RFC3339Nano, stamp)
	return at, userName, found && err == nil && userName != ""
}

// renameMarkHolds reports whether u carries a rename's mark from the last renameMarkLife
// (the index it was found through says for which userName).
func renameMarkHolds(u *scimv1.ScimUser, now time.Time) bool {
	at, _, ok := parseRenameMark(u.Annotations[RenamingAnnotation])
	return ok && now.Sub(at) <= renameMarkLife
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
