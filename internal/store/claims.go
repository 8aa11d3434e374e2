package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/internal/scimerr"
)

const (
	// claimedAtAnnotation records when the current holder took a claim.
	claimedAtAnnotation = "scim.scim-operator.io/claimed-at"
	// claimGrace is how long a claim whose holder does not exist yet is still respected: the
	// holder is created right after its claim, so an older claim without a holder was left by
	// a request that failed half-way, and may be taken over.
	claimGrace = 30 * time.Second
	claimTries = 5
)

// claimUnique reserves a userName or group displayName for resource id. Resources made with
// kubectl hold their value without a claim, so the cache index is asked first; a user whose
// object name is derived from its userName (userObjectName) holds it without a claim too, so
// once the claim is made, that object is looked up live (see createUserNamed).
func (s *Store) claimUnique(ctx context.Context, ns string, kind scimv1.ClaimKind, value, id string) error {
	if err := s.unheldInCache(ctx, ns, kind, value, id); err != nil {
		return err
	}
	if err := s.claim(ctx, ns, kind, value, id); err != nil {
		return err
	}
	if kind != scimv1.ClaimUserName || userObjectName(ns, value) == id {
		return nil
	}
	held, err := s.holdsLive(ctx, types.NamespacedName{Namespace: ns, Name: userObjectName(ns, value)}, kind, value)
	if err == nil && held {
		err = scimerr.Uniqueness("userName is already taken in this tenant")
	}
	if err != nil {
		s.release(ctx, ns, kind, value, id)
	}
	return err
}

// unheldInCache refuses value when the cache shows a resource other than id holding it and the
// API server confirms it still does. It only saves the writes when the value is taken: what
// keeps the value unique is the check after a user's write (userNameFree) and the claims.
// The cache may be behind (a rename a moment ago, on this replica or another), and a stale
// cache is no reason for a 409, so a holder it shows is read live before the value is
// refused: one API read, on the rare path that finds one. Users are read from the cache as it
// is, without waiting for this replica's writes.
func (s *Store) unheldInCache(ctx context.Context, ns string, kind scimv1.ClaimKind, value, id string) error {
	var holders []string
	if kind == scimv1.ClaimUserName {
		users, err := s.usersNamed(ctx, ns, IndexUserName, value)
		if err != nil {
			return err
		}
		for i := range users {
			if holdsUserName(&users[i], value) {
				holders = append(holders, users[i].Name)
			}
		}
	} else {
		groups, err := s.GroupsByIndex(ctx, ns, IndexGroupDisplayName, FoldKey(value))
		if err != nil {
			return err
		}
		for _, g := range groups {
			holders = append(holders, g.Name)
		}
	}
	for _, holder := range holders {
		if holder == id {
			continue
		}
		held, err := s.holdsLive(ctx, types.NamespacedName{Namespace: ns, Name: holder}, kind, value)
		if err != nil {
			return err
		}
		if held {
			return scimerr.Uniqueness("%s is already taken in this tenant", claimAttribute(kind))
		}
	}
	return nil
}

// holdsLive reports whether resource key, as the API server has it, exists, is not being
// deleted and has value as its userName or displayName (by kind), ignoring case.
func (s *Store) holdsLive(ctx context.Context, key types.NamespacedName, kind scimv1.ClaimKind, value string) (bool, error) {
	var obj client.Object
	var current func() string
	if kind == scimv1.ClaimGroupDisplayName {
		g := &scimv1.ScimGroup{}
		obj, current = g, func() string { return g.Spec.DisplayName }
	} else {
		u := &scimv1.ScimUser{}
		obj, current = u, func() string { return u.Spec.UserName }
	}
	if err := s.live.Get(ctx, key, obj); apierrors.IsNotFound(err) {
		return false, nil
	} else if err != nil {
		return false, fromAPI(err)
	}
	return obj.GetDeletionTimestamp().IsZero() && FoldKey(current()) == FoldKey(value), nil
}

// renaming runs write, which changes resource id's unique value (userName, displayName) from
// current to next, holding a claim on next first when the value changes (ignoring case).
// Afterwards the value given up is released: the old one (as write read it) on success, the
// new one on failure.
func (s *Store) renaming(ctx context.Context, ns string, kind scimv1.ClaimKind, current, next, id string, write func() (previous string, err error)) error {
	renamed := FoldKey(current) != FoldKey(next)
	if renamed {
		if err := s.claimUnique(ctx, ns, kind, next, id); err != nil {
			return err
		}
	}
	previous, err := write()
	switch {
	case renamed && err != nil:
		s.release(ctx, ns, kind, next, id)
	case renamed:
		s.release(ctx, ns, kind, previous, id)
	}
	return err
}

// claim reserves value (a userName or group displayName, compared case-insensitively) for the
// resource named holder in namespace ns. The claim's object name is derived from the value, so
// the API server lets only one request create it: this holds across concurrent requests and
// server replicas, unlike a check against the cache. Claims are read and written live.
func (s *Store) claim(ctx context.Context, ns string, kind scimv1.ClaimKind, value, holder string) error {
	key := types.NamespacedName{Namespace: ns, Name: claimName(kind, value)}
	for range claimTries {
		c := &scimv1.ScimNameClaim{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: key.Name, Annotations: claimedNow()},
			Spec:       scimv1.ScimNameClaimSpec{Kind: kind, Value: value, Holder: holder},
		}
		err := s.live.Create(ctx, c)
		if !apierrors.IsAlreadyExists(err) {
			return fromAPI(err)
		}
		var existing scimv1.ScimNameClaim
		if err := s.live.Get(ctx, key, &existing); apierrors.IsNotFound(err) {
			continue // released in the meantime
		} else if err != nil {
			return fromAPI(err)
		}
		if existing.Spec.Holder == holder {
			return nil
		}
		held, err := s.claimHeld(ctx, &existing)
		if err != nil {
			return err
		}
		if held {
			return scimerr.Uniqueness("%s is already taken in this tenant", claimAttribute(kind))
		}
		// The claim was left behind: take it over, unless someone else does first.
		existing.Spec.Holder, existing.Spec.Value = holder, value
		existing.Annotations = claimedNow()
		if err := s.live.Update(ctx, &existing); err == nil {
			return nil
		} else if !apierrors.IsConflict(err) && !apierrors.IsNotFound(err) {
			return fromAPI(err)
		}
	}
	return scimerr.Unavailable(retryAfter, "%s is being claimed concurrently; retry", claimAttribute(kind))
}

// claimHeld reports whether a claim still belongs to its holder: the holder exists, is not
// being deleted and still has the claimed value, or the claim is too young to judge.
func (s *Store) claimHeld(ctx context.Context, c *scimv1.ScimNameClaim) (bool, error) {
	if at, err := time.Parse(time.RFC3339Nano, c.Annotations[claimedAtAnnotation]); err != nil || time.Since(at) < claimGrace {
		return true, nil
	}
	return s.holdsLive(ctx, types.NamespacedName{Namespace: c.Namespace, Name: c.Spec.Holder}, c.Spec.Kind, c.Spec.Value)
}

// release gives up holder's claim on value. Failures are ignored: a claim left behind is taken
// over once its holder no longer has the value.
func (s *Store) release(ctx context.Context, ns string, kind scimv1.ClaimKind, value, holder string) {
	ctx = context.WithoutCancel(ctx)
	var c scimv1.ScimNameClaim
	if err := s.live.Get(ctx, types.NamespacedName{Namespace: ns, Name: claimName(kind, value)}, &c); err != nil {
		return
	}
	if c.Spec.Holder != holder {
		return
	}
	_ = s.live.Delete(ctx, &c, client.Preconditions{UID: &c.UID, ResourceVersion: &c.ResourceVersion})
}

func claimName(kind scimv1.ClaimKind, value string) string {
	sum := sha256.Sum256([]byte(FoldKey(value)))
	prefix := "user-"
	if kind == scimv1.ClaimGroupDisplayName {
		prefix = "group-"
	}
	return prefix + hex.EncodeToString(sum[:20])
}

func claimAttribute(kind scimv1.ClaimKind) string {
	if kind == scimv1.ClaimGroupDisplayName {
		return "displayName"
	}
	return "userName"
}

func claimedNow() map[string]string {
	return map[string]string{claimedAtAnnotation: time.Now().UTC().Format(time.RFC3339Nano)}
}
