package store

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/internal/scimerr"
)

// Order keeps, per namespace, the resources of one kind that SCIM serves, in the server's
// order (OlderFirst). A page of a listing is then a slice of it: a listing costs what its page
// costs, not a copy and sort of the whole tenant (docs/architecture.md, "Reads").
//
// It is fed by the informer's events and, for read-your-writes, by this replica's own writes
// as they return; the resourceVersion decides which of the two is newer. The objects it
// returns are shared and must not be modified.
type Order[T any, PT interface {
	*T
	client.Object
}] struct {
	mu      sync.RWMutex
	tenants map[string]*tenantOrder[T, PT]
	synced  func() bool
}

type tenantOrder[T any, PT interface {
	*T
	client.Object
}] struct {
	// latest is the newest version seen of every object, served or not; after a delete by this
	// replica, a tombstone (nil object) until the informer reports the deletion.
	latest map[string]versioned[T]
	// served is sorted by OlderFirst unless unsorted is set: objects arriving in order (names
	// are time-ordered UUIDs) are appended, anything else is sorted once, on the next read.
	served   []*T
	unsorted bool
}

type versioned[T any] struct {
	obj     *T // nil: deleted by this replica
	version uint64
}

func newOrder[T any, PT interface {
	*T
	client.Object
}]() *Order[T, PT] {
	return &Order[T, PT]{
		tenants: map[string]*tenantOrder[T, PT]{},
		synced:  func() bool { return false },
	}
}

// eventSource is the part of an informer an Order listens to.
type eventSource interface {
	AddEventHandler(toolscache.ResourceEventHandler) (toolscache.ResourceEventHandlerRegistration, error)
}

// watch feeds o from an informer; reads wait until it has delivered its initial list.
func (o *Order[T, PT]) watch(informer eventSource) error {
	reg, err := informer.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    o.observe,
		UpdateFunc: func(_, obj any) { o.observe(obj) },
		DeleteFunc: func(obj any) {
			if d, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
				obj = d.Obj
			}
			if p, ok := obj.(PT); ok {
				o.forget(p)
			}
		},
	})
	if err != nil {
		return err
	}
	o.synced = reg.HasSynced
	return nil
}

func (o *Order[T, PT]) observe(obj any) {
	if p, ok := obj.(PT); ok {
		o.put(p)
	}
}

// put records obj unless o holds a newer version. An equal version replaces what o holds:
// the informer's copy, shared with the cache, takes the place of this replica's own.
func (o *Order[T, PT]) put(obj PT) {
	version := resourceVersion(obj)
	o.mu.Lock()
	defer o.mu.Unlock()
	t := o.tenant(obj.GetNamespace())
	old, known := t.latest[obj.GetName()]
	if known && (version < old.version || old.obj == nil && version == old.version) {
		return // older than what o holds, or the state this replica deleted
	}
	t.latest[obj.GetName()] = versioned[T]{obj: (*T)(obj), version: version}
	served := IsServed(obj)
	if known && old.obj != nil {
		// An update keeps its place (creation time and name do not change): swap the
		// pointer, where removing and inserting moved up to every object of the tenant.
		if served && t.replace(old.obj, (*T)(obj)) {
			return
		}
		t.remove(old.obj)
	}
	if served {
		t.insert(obj, !o.synced())
	}
}

// deleted records that this replica deleted obj (as last read): it is gone for SCIM at once,
// and events older than the deletion do not bring it back.
func (o *Order[T, PT]) deleted(obj PT) {
	version := resourceVersion(obj)
	o.mu.Lock()
	defer o.mu.Unlock()
	t := o.tenant(obj.GetNamespace())
	if old, known := t.latest[obj.GetName()]; known {
		if old.version > version {
			return // a newer version exists; the informer will tell what became of it
		}
		if old.obj != nil {
			t.remove(old.obj)
		}
	}
	t.latest[obj.GetName()] = versioned[T]{version: version}
}

// forget drops obj, which the informer reports deleted.
func (o *Order[T, PT]) forget(obj PT) {
	o.mu.Lock()
	defer o.mu.Unlock()
	t, ok := o.tenants[obj.GetNamespace()]
	if !ok {
		return
	}
	old, known := t.latest[obj.GetName()]
	if !known {
		return
	}
	if old.obj != nil && PT(old.obj).GetUID() != obj.GetUID() && old.version > resourceVersion(obj) {
		return // a newer object of the same name
	}
	if old.obj != nil {
		t.remove(old.obj)
	}
	delete(t.latest, obj.GetName())
	if len(t.latest) == 0 {
		delete(o.tenants, obj.GetNamespace())
	}
}

func (o *Order[T, PT]) tenant(ns string) *tenantOrder[T, PT] {
	t := o.tenants[ns]
	if t == nil {
		t = &tenantOrder[T, PT]{latest: map[string]versioned[T]{}}
		o.tenants[ns] = t
	}
	return t
}

// insert adds obj in order. Objects mostly arrive in order, and are appended; one created in
// the same second as the last (ordered by name then) goes in place near the end. While the
// initial list streams in (bulk), they are appended and sorted once on the first read.
func (t *tenantOrder[T, PT]) insert(obj PT, bulk bool) {
	n := len(t.served)
	switch {
	case t.unsorted || n == 0 || !OlderFirst(obj, PT(t.served[n-1])):
		t.served = append(t.served, (*T)(obj))
	case bulk:
		t.served = append(t.served, (*T)(obj))
		t.unsorted = true
	default:
		i, _ := slices.BinarySearchFunc(t.served, (*T)(obj), compareOrder[T, PT])
		t.served = slices.Insert(t.served, i, (*T)(obj))
	}
}

func (t *tenantOrder[T, PT]) remove(obj *T) {
	if i, found := t.index(obj); found {
		t.served = slices.Delete(t.served, i, i+1)
	}
}

// replace puts next in the place of old, if old is served and next belongs in the same place.
func (t *tenantOrder[T, PT]) replace(old, next *T) bool {
	if compareOrder[T, PT](old, next) != 0 {
		return false
	}
	i, found := t.index(old)
	if found {
		t.served[i] = next
	}
	return found
}

// index finds obj (this pointer) among the served objects.
func (t *tenantOrder[T, PT]) index(obj *T) (int, bool) {
	t.sort()
	i, found := slices.BinarySearchFunc(t.served, obj, compareOrder[T, PT])
	for ; found && i < len(t.served) && compareOrder[T, PT](t.served[i], obj) == 0; i++ {
		if t.served[i] == obj {
			return i, true
		}
	}
	return 0, false
}

func (t *tenantOrder[T, PT]) sort() {
	if t.unsorted {
		slices.SortFunc(t.served, compareOrder[T, PT])
		t.unsorted = false
	}
}

func compareOrder[T any, PT interface {
	*T
	client.Object
}](a, b *T) int {
	return CompareOlderFirst(PT(a), PT(b))
}

// Read runs fn on the served objects of namespace ns, in order, under a lock: fn must be quick
// and must not keep the slice. It waits for the informer's initial list, at most cacheWait.
func (o *Order[T, PT]) Read(ctx context.Context, ns string, fn func(served []*T)) error {
	if err := o.waitSynced(ctx); err != nil {
		return err
	}
	o.mu.RLock()
	if t := o.tenants[ns]; t == nil || !t.unsorted {
		defer o.mu.RUnlock()
		if t == nil {
			fn(nil)
		} else {
			fn(t.served)
		}
		return nil
	}
	o.mu.RUnlock()
	// Objects arrived out of order since the last read: sort once, under the write lock.
	o.mu.Lock()
	defer o.mu.Unlock()
	t := o.tenant(ns)
	t.sort()
	fn(t.served)
	return nil
}

// Latest returns the newest version o knows of the object named name in namespace ns, served
// or not; nil when there is none or this replica deleted it. It waits for the informer's
// initial list like Read. A read by id costs two map lookups: no copy, no cache index.
func (o *Order[T, PT]) Latest(ctx context.Context, ns, name string) (*T, error) {
	if err := o.waitSynced(ctx); err != nil {
		return nil, err
	}
	o.mu.RLock()
	defer o.mu.RUnlock()
	if t := o.tenants[ns]; t != nil {
		return t.latest[name].obj, nil
	}
	return nil, nil
}

func (o *Order[T, PT]) waitSynced(ctx context.Context) error {
	return waitFor(ctx, o.synced)
}

// waitFor waits until synced reports that an informer has delivered its initial list, at
// most cacheWait; a server that is still loading its cache answers 503.
func waitFor(ctx context.Context, synced func() bool) error {
	if synced() {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, cacheWait)
	defer cancel()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !synced() {
		select {
		case <-ctx.Done():
			return scimerr.Unavailable(retryAfter, "the server is still loading its cache; retry")
		case <-tick.C:
		}
	}
	return nil
}

// All returns the served objects of namespace ns, in order.
func (o *Order[T, PT]) All(ctx context.Context, ns string) ([]*T, error) {
	var out []*T
	err := o.Read(ctx, ns, func(served []*T) { out = slices.Clone(served) })
	return out, err
}

// IsServed: resources being deleted (they wait for deprovisioning) and kubectl-made
// duplicates of an older resource's userName or displayName are not served through SCIM.
func IsServed(obj client.Object) bool {
	if !obj.GetDeletionTimestamp().IsZero() {
		return false
	}
	c := meta.FindStatusCondition(conditionsOf(obj), scimv1.ConditionReady)
	return c == nil || c.Reason != scimv1.ReasonDuplicate
}

func conditionsOf(obj client.Object) []metav1.Condition {
	switch o := obj.(type) {
	case *scimv1.ScimUser:
		return o.Status.Conditions
	case *scimv1.ScimGroup:
		return o.Status.Conditions
	}
	return nil
}

func resourceVersion(obj client.Object) uint64 {
	v, _ := strconv.ParseUint(obj.GetResourceVersion(), 10, 64)
	return v
}
