package main

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
)

// rawCreates is row 0: ScimUsers created directly in the API server, the storage limit that
// SCIM POST throughput is compared with. It runs before the operator starts, so that no watch
// or reconcile of the operator competes with it, and the objects are deleted again afterwards
// so that the operator never caches them.
func (b *bench) rawCreates(ctx context.Context) (*Result, error) {
	res, err := b.rawCreateRow(ctx, "raw-create", "bench-raw",
		"ScimUser objects created directly with a controller-runtime client (the storage limit)", nil)
	if res != nil {
		res.Notes = append(res.Notes, "before the operator started; deleted afterwards")
	}
	return res, err
}

// rawCreatesWatched is row 0 again with the operator running: in production every ScimUser,
// however created, is watched and reconciled (one status write each), so this is the limit a
// SCIM POST can reach. The row settles until the operator has written every status, as
// create-users does, and the users are gone again before the next row.
func (b *bench) rawCreatesWatched(ctx context.Context) (*Result, error) {
	const ns = "bench-raw-watched"
	res, err := b.rawCreateRow(ctx, "raw-create-watched", ns,
		"ScimUser objects created directly with a controller-runtime client, each reconciled by the running operator",
		func(ctx context.Context, created int) error { return b.settleUsers(ctx, ns, created) })
	if res != nil {
		res.Notes = append(res.Notes, "with the operator running (its status writes settled); deleted afterwards")
	}
	return res, err
}

// rawCreateRow creates -users ScimUsers with the bodies of rawUserSpec and -concurrency
// clients in the new namespace ns, runs settle (when set) with the number created, then
// deletes them and waits until they are gone, so that later rows neither list nor count them.
func (b *bench) rawCreateRow(ctx context.Context, name, ns, desc string, settle func(context.Context, int) error) (*Result, error) {
	if err := b.k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		return nil, err
	}
	warm(ctx, b.cfg.Concurrency, func(ctx context.Context, i int) error {
		return b.k8s.Create(ctx, &scimv1.ScimUser{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("warm-%d", i)},
			Spec:       rawUserSpec(10_000_000 + i),
		})
	})
	if settle != nil {
		// The operator reconciles the warm-up users too: not in the row's figures.
		if err := settle(ctx, 0); err != nil {
			return nil, fmt.Errorf("settling the warm-up users of %s: %w", ns, err)
		}
	}
	var created atomic.Int64
	s := spec{name: name, scenario: "0", clients: b.cfg.Concurrency, count: b.cfg.Users, desc: desc}
	if settle != nil {
		s.settle = func(ctx context.Context) error { return settle(ctx, int(created.Load())) }
	}
	res := b.run(ctx, s, func(ctx context.Context, _, i int) error {
		u := &scimv1.ScimUser{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("raw-%07d", i)},
			Spec:       rawUserSpec(i),
		}
		if err := b.k8s.Create(ctx, u); err != nil {
			return err
		}
		created.Add(1)
		return nil
	})
	return res, errors.Join(res.settleErr, b.deleteRawUsers(ctx, ns))
}

// deleteRawUsers deletes every ScimUser of ns and waits until the API server has none left.
// Nothing gives them a finalizer (the namespace has no apps), so they go at once. A delete of
// 100,000 objects outlasts the API server's request timeout (it goes on in the background), so
// its error is logged, not returned, and the delete is sent again while objects remain.
func (b *bench) deleteRawUsers(ctx context.Context, ns string) error {
	deleteAll := func() {
		// A timeout, or the stream reset that can take its place, leaves the delete going on.
		if err := b.k8s.DeleteAllOf(ctx, &scimv1.ScimUser{}, client.InNamespace(ns)); err != nil {
			logf("deleting the raw users of %s (waiting for them to go): %v", ns, err)
		}
	}
	deleteAll()
	polls := 0
	err := waitFor(ctx, 15*time.Minute, time.Second, func() (bool, error) {
		list := &metav1.PartialObjectMetadataList{}
		list.SetGroupVersionKind(scimv1.GroupVersion.WithKind("ScimUserList"))
		if err := b.k8s.List(ctx, list, client.InNamespace(ns), client.Limit(1)); err != nil {
			return false, err
		}
		if len(list.Items) == 0 {
			return true, nil
		}
		if polls++; polls%60 == 0 {
			deleteAll()
		}
		return false, fmt.Errorf("users of %s still there", ns)
	})
	if err != nil {
		return fmt.Errorf("waiting for the raw users of %s to go: %w", ns, err)
	}
	return nil
}

// rawUserSpec is what a SCIM POST of the Okta body stores, so both paths write objects of
// about the same size.
func rawUserSpec(i int) scimv1.ScimUserSpec {
	name := userName(i)
	return scimv1.ScimUserSpec{
		UserName: name, ExternalID: oktaExternalID(i),
		Name:        &scimv1.Name{GivenName: "Given", FamilyName: fmt.Sprintf("Family%07d", i)},
		DisplayName: fmt.Sprintf("Given Family%07d", i),
		Emails:      []scimv1.MultiValuedAttribute{{Value: name, Type: "work", Primary: true}},
		Active:      ptrTo(true),
	}
}
