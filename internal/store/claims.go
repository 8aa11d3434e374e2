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

// A userName or group displayName is unique because every SCIM write that gives a resource
// a value first holds that value's ScimNameClaim, an object whose name is derived from the
// value: the API server lets only one request create it. docs/architecture.md, "Uniqueness".

const (
	// ClaimedAtAnnotation records when a claim was made, by the clock of the replica that
	// made it. A claim without it is as old as its creationTimestamp.
	ClaimedAtAnnotation = "scim.scim-operator.io/claimed-at"
	// ClaimGrace is how long a claim holds its value whatever its holder looks like: the
	// holder may not exist yet, or not have the value yet. Past it, a claim whose holder does
	// not have the value was left by a request that failed half-way, and is taken over.
	ClaimGrace = 30 * time.Second
	// claimUse is how long after making a claim its request may still send the write that
	// gives the value: the rest of ClaimGrace is left for that write to be in flight and for
	// the replicas' clocks to differ.
	claimUse = 10 * time.Second
	// claimTries bounds the takeovers of claims left behind in one request.
	claimTries = 3
)

// holding runs write, which gives value to resource id, once id holds value's claim. write
// gets a context that ends claimUse after the claim was made, so that no write is sent once
// another request may judge the claim left behind. If write fails, the claim is released.
func (s *Store) holding(ctx context.Context, ns string, kind scimv1.ClaimKind, value, id string, write func(context.Context) error) error {
	if err := s.unheldInCache(ctx, ns, kind, value, id); err != nil {
		return err
	}
	at := time.Now()
	if err := s.claim(ctx, ns, kind, value, id, at); err != nil {
		return err
	}
	writeCtx, cancel := context.WithDeadline(ctx, at.Add(claimUse))
	defer cancel()
	err := write(writeCtx)
	if err != nil {
		s.release(ctx, ns, kind, value, id)
	}
	return fromAPI(err)
}

// renaming runs write, which changes resource id's value (userName, displayName) from current
// to next. A new value is claimed first and the old one released after; write must refuse
// (errValueChanged) when the resource no longer has current, which the claim was decided on.
func (s *Store) renaming(ctx context.Context, ns string, kind scimv1.ClaimKind, current, next, id string, write func(context.Context) error) error {
	if FoldKey(current) == FoldKey(next) {
		return write(ctx)
	}
	if err := s.holding(ctx, ns, kind, next, id, write); err != nil {
		return err
	}
	s.release(ctx, ns, kind, current, id)
	return nil
}

// errValueChanged: a rename was decided on a value the resource no longer has (another
// replica changed it a moment ago, and this one's cache is behind).
var errValueChanged = scimerr.Unavailable(retryAfter, "the resource is being changed concurrently; retry")

// unheldInCache refuses value when the cache shows a resource other than id holding it and the
// API server confirms it still does. Claims keep SCIM resources unique; this spares their
// writes when the value is taken, and keeps a new resource from taking the value of one made
// with kubectl (or before claims were made for every value), which has no claim. The cache
// may be behind (a rename a moment ago), and a stale cache is no reason for a 409, so a
// holder it shows is read live before the value is refused: one API read, on the path that
// finds one.
func (s *Store) unheldInCache(ctx context.Context, ns string, kind scimv1.ClaimKind, value, id string) error {
	var holders []string
	if kind == scimv1.ClaimUserName {
		users, err := s.usersNamed(ctx, ns, value)
		if err != nil {
			return err
		}
		for i := range users {
			if users[i].DeletionTimestamp.IsZero() {
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

// usersNamed returns the users of namespace ns with userName ignoring case, served or not,
// from the cache as it is. The objects are shared with the cache and must not be modified.
func (s *Store) usersNamed(ctx context.Context, ns, userName string) ([]scimv1.ScimUser, error) {
	var list scimv1.ScimUserList
	err := s.client.List(ctx, &list, client.InNamespace(ns), client.MatchingFields{IndexUserName: FoldKey(userName)},
		readOnly)
	return list.Items, fromAPI(err)
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

// claim makes holder the holder of value's claim in namespace ns. The API server creates a
// claim's name once, so of concurrent requests, on any replicas, one succeeds; the others
// answer 409. A claim left behind (claimHeld) is deleted, with its UID and resourceVersion as
// preconditions so that only the claim judged is removed, and made afresh. A claim already
// naming holder (left by a release that failed) is made afresh too, so that its age is this
// request's. A claim's holder never changes: taking one over is a new object.
func (s *Store) claim(ctx context.Context, ns string, kind scimv1.ClaimKind, value, holder string, at time.Time) error {
	key := types.NamespacedName{Namespace: ns, Name: ClaimName(kind, value)}
	for range claimTries {
		c := &scimv1.ScimNameClaim{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: key.Name, Annotations: map[string]string{
				ClaimedAtAnnotation: at.UTC().Format(time.RFC3339Nano),
			}},
			Spec: scimv1.ScimNameClaimSpec{Kind: kind, Value: value, Holder: holder},
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
		if existing.Spec.Holder != holder {
			held, err := s.claimHeld(ctx, &existing)
			if err != nil {
				return err
			}
			if held {
				return scimerr.Uniqueness("%s is already taken in this tenant", claimAttribute(kind))
			}
		}
		uid, version := existing.UID, existing.ResourceVersion
		err = s.live.Delete(ctx, &existing, client.Preconditions{UID: &uid, ResourceVersion: &version})
		if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			return fromAPI(err)
		}
	}
	return scimerr.Unavailable(retryAfter, "%s is being claimed concurrently; retry", claimAttribute(kind))
}

// claimHeld reports whether claim c still holds its value: it is younger than ClaimGrace, or
// its holder exists, is not being deleted and has the value.
func (s *Store) claimHeld(ctx context.Context, c *scimv1.ScimNameClaim) (bool, error) {
	if time.Since(claimedAt(c)) < ClaimGrace {
		return true, nil
	}
	return s.holdsLive(ctx, types.NamespacedName{Namespace: c.Namespace, Name: c.Spec.Holder}, c.Spec.Kind, c.Spec.Value)
}

func claimedAt(c *scimv1.ScimNameClaim) time.Time {
	if at, err := time.Parse(time.RFC3339Nano, c.Annotations[ClaimedAtAnnotation]); err == nil {
		return at
	}
	return c.CreationTimestamp.Time
}

// release gives up holder's claim on value. Failures are ignored: a claim left behind is taken
// over once it is older than ClaimGrace and its holder does not have the value.
func (s *Store) release(ctx context.Context, ns string, kind scimv1.ClaimKind, value, holder string) {
	ctx = context.WithoutCancel(ctx)
	var c scimv1.ScimNameClaim
	if err := s.live.Get(ctx, types.NamespacedName{Namespace: ns, Name: ClaimName(kind, value)}, &c); err != nil {
		return
	}
	if c.Spec.Holder != holder {
		return
	}
	_ = s.live.Delete(ctx, &c, client.Preconditions{UID: &c.UID, ResourceVersion: &c.ResourceVersion})
}

// ClaimHolder returns the name of the resource holding value's claim in namespace ns, read
// from the API server; "" when there is no claim. The controllers ask only when two resources
// have one value: the one the claim names was acknowledged by the SCIM API, and keeps it.
func (s *Store) ClaimHolder(ctx context.Context, ns string, kind scimv1.ClaimKind, value string) (string, error) {
	var c scimv1.ScimNameClaim
	err := s.live.Get(ctx, types.NamespacedName{Namespace: ns, Name: ClaimName(kind, value)}, &c)
	if apierrors.IsNotFound(err) {
		return "", nil
	}
	return c.Spec.Holder, err
}

// ClaimName is the object name of the ScimNameClaim of a value of kind: derived from the value
// ignoring case, so that two requests for one value meet on one name.
func ClaimName(kind scimv1.ClaimKind, value string) string {
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
