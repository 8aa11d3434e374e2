package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
)

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func orderUser(ns, name string, second int, version int) *scimv1.ScimUser {
	return &scimv1.ScimUser{ObjectMeta: metav1.ObjectMeta{
		Namespace: ns, Name: name, UID: types.UID("uid-" + name),
		CreationTimestamp: metav1.NewTime(epoch.Add(time.Duration(second) * time.Second)),
		ResourceVersion:   strconv.Itoa(version),
	}}
}

func syncedOrder() *Order[scimv1.ScimUser, *scimv1.ScimUser] {
	o := newOrder[scimv1.ScimUser]()
	o.synced = func() bool { return true }
	return o
}

func servedNames(t *testing.T, o *Order[scimv1.ScimUser, *scimv1.ScimUser], ns string) []string {
	t.Helper()
	all, err := o.All(context.Background(), ns)
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, len(all))
	for i, u := range all {
		names[i] = u.Name
	}
	return names
}

func TestOrderKeepsServedUsersOldestFirst(t *testing.T) {
	o := syncedOrder()
	// Out of order, as an initial list of kubectl-named objects may come.
	o.put(orderUser("a", "c", 3, 3))
	o.put(orderUser("a", "a", 1, 1))
	o.put(orderUser("b", "x", 1, 4))
	o.put(orderUser("a", "b2", 2, 5))
	o.put(orderUser("a", "b1", 2, 2)) // same second: by name
	if got, want := servedNames(t, o, "a"), []string{"a", "b1", "b2", "c"}; !slices.Equal(got, want) {
		t.Fatalf("tenant a = %v, want %v", got, want)
	}
	if got, want := servedNames(t, o, "b"), []string{"x"}; !slices.Equal(got, want) {
		t.Fatalf("tenant b = %v, want %v", got, want)
	}

	// Being deleted (waiting on a finalizer), or a kubectl duplicate: not served.
	deleting := orderUser("a", "b1", 2, 6)
	deleting.DeletionTimestamp = &metav1.Time{Time: epoch}
	o.put(deleting)
	dup := orderUser("a", "c", 3, 7)
	dup.Status.Conditions = []metav1.Condition{{Type: scimv1.ConditionReady, Status: metav1.ConditionFalse, Reason: scimv1.ReasonDuplicate}}
	o.put(dup)
	if got, want := servedNames(t, o, "a"), []string{"a", "b2"}; !slices.Equal(got, want) {
		t.Fatalf("after deleting b1 and duplicate c: %v, want %v", got, want)
	}
	// c stops being a duplicate (the older holder went away).
	o.put(orderUser("a", "c", 3, 8))
	if got, want := servedNames(t, o, "a"), []string{"a", "b2", "c"}; !slices.Equal(got, want) {
		t.Fatalf("after c is served again: %v, want %v", got, want)
	}
	// An update takes the place of the version before it.
	o.put(orderUser("a", "b2", 2, 9))
	all, _ := o.All(context.Background(), "a")
	if len(all) != 3 || all[1].Name != "b2" || all[1].ResourceVersion != "9" {
		t.Fatalf("after an update of b2: %v", all)
	}
}

// BenchmarkOrderUpdate is the work of the ordered listing for one update (a status write) of a
// user of a 100,000-user tenant.
func BenchmarkOrderUpdate(b *testing.B) {
	o := syncedOrder()
	const n = 100_000
	for i := range n {
		o.put(orderUser("a", fmt.Sprintf("u-%08d", i), i/500, i+1))
	}
	version := n
	for b.Loop() {
		version++
		i := version % n
		o.put(orderUser("a", fmt.Sprintf("u-%08d", i), i/500, version))
	}
}

func TestOrderIgnoresStaleVersions(t *testing.T) {
	o := syncedOrder()
	// This replica's own write returns first; the informer's older event comes late.
	renamed := orderUser("a", "u", 1, 10)
	renamed.Spec.UserName = "new"
	o.put(renamed)
	old := orderUser("a", "u", 1, 9)
	old.Spec.UserName = "old"
	o.put(old)
	all, _ := o.All(context.Background(), "a")
	if len(all) != 1 || all[0].Spec.UserName != "new" {
		t.Fatalf("served %v, want only the newer version", all)
	}

	// Deleted by this replica: gone at once, and the informer's older events do not revive it.
	o.deleted(orderUser("a", "u", 1, 10))
	o.put(orderUser("a", "u", 1, 10))
	if got := servedNames(t, o, "a"); len(got) != 0 {
		t.Fatalf("after delete: %v, want none", got)
	}
	// The informer reports the deletion: nothing is left, not even the tombstone.
	o.forget(orderUser("a", "u", 1, 11))
	if len(o.tenants) != 0 {
		t.Fatalf("tenants left after the deletion: %v", o.tenants)
	}
	// Re-created with the same name (kubectl): served again.
	o.put(orderUser("a", "u", 5, 12))
	if got := servedNames(t, o, "a"); !slices.Equal(got, []string{"u"}) {
		t.Fatalf("after re-create: %v", got)
	}
}

// TestOrderLatestIsTheNewestVersion: a read by id (Store.User, Store.Group) sees this
// replica's own write before the informer reports it, a deleting or duplicate object too
// (GET by id serves duplicates; User refuses deleting ones), and nothing after a delete.
func TestOrderLatestIsTheNewestVersion(t *testing.T) {
	o := syncedOrder()
	ctx := context.Background()
	latest := func(ns, name string) string {
		t.Helper()
		u, err := o.Latest(ctx, ns, name)
		if err != nil {
			t.Fatal(err)
		}
		if u == nil {
			return "none"
		}
		return u.ResourceVersion
	}
	if got := latest("a", "u"); got != "none" {
		t.Fatalf("unknown user: %s", got)
	}
	o.put(orderUser("a", "u", 1, 10)) // own write
	o.put(orderUser("a", "u", 1, 9))  // the informer, late
	if got := latest("a", "u"); got != "10" {
		t.Fatalf("latest = version %s, want 10", got)
	}
	dup := orderUser("a", "u", 1, 11)
	dup.Status.Conditions = []metav1.Condition{{Type: scimv1.ConditionReady, Status: metav1.ConditionFalse, Reason: scimv1.ReasonDuplicate}}
	o.put(dup)
	if got := latest("a", "u"); got != "11" {
		t.Fatalf("a duplicate is not found by id: %s", got)
	}
	if got := latest("b", "u"); got != "none" {
		t.Fatalf("found in another tenant: %s", got)
	}
	o.deleted(orderUser("a", "u", 1, 11))
	if got := latest("a", "u"); got != "none" {
		t.Fatalf("after this replica deleted it: %s", got)
	}
}

func TestOrderReadWaitsForSync(t *testing.T) {
	o := newOrder[scimv1.ScimUser]()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := o.All(ctx, "a"); err == nil {
		t.Fatal("a read before the informer synced answered; want 503")
	}
	if _, err := o.Latest(ctx, "a", "u"); err == nil {
		t.Fatal("a read by id before the informer synced answered; want 503")
	}
}

// TestOrderConcurrent writes and reads at once (run with -race): every read sees a sorted
// list, and in the end exactly the objects that were not deleted are served.
func TestOrderConcurrent(t *testing.T) {
	o := syncedOrder()
	const writers, perWriter = 4, 300
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for i := range perWriter {
				name := fmt.Sprintf("w%d-%04d", w, i)
				o.put(orderUser("a", name, rng.IntN(50), i+1))
				if i%3 == 0 {
					o.deleted(orderUser("a", name, 0, i+1))
				}
			}
		})
	}
	stop := make(chan struct{})
	var readers sync.WaitGroup
	readers.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			_ = o.Read(context.Background(), "a", func(served []*scimv1.ScimUser) {
				if !slices.IsSortedFunc(served, compareOrder[scimv1.ScimUser, *scimv1.ScimUser]) {
					t.Error("a read saw an unsorted list")
				}
			})
		}
	})
	wg.Wait()
	close(stop)
	readers.Wait()
	if got, want := len(servedNames(t, o, "a")), writers*(perWriter-perWriter/3); got != want {
		t.Fatalf("served %d users, want %d", got, want)
	}
}

// handlerSource is an informer that hands its one event handler to the test.
type handlerSource struct {
	handler toolscache.ResourceEventHandler
}

func (s *handlerSource) AddEventHandler(h toolscache.ResourceEventHandler) (toolscache.ResourceEventHandlerRegistration, error) {
	s.handler = h
	return syncedRegistration{}, nil
}

type syncedRegistration struct {
	toolscache.ResourceEventHandlerRegistration
}

func (syncedRegistration) HasSynced() bool { return true }
