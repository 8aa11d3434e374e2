package store

import (
	"context"
	"fmt"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
)

// ConsistentClient is a cache-backed client with read-your-writes consistency that cannot be
// wedged. A write of a watched kind returns once the cache shows it (the object at the
// written version or newer, or for a delete, the object gone or terminating), or after
// cacheWait; every read gives up after cacheWait.
//
// It replaces controller-runtime's read-your-writes client, which remembers each write and
// makes later reads wait for the informer event of it: an event that never comes, because the
// informer re-listed after the object was created and deleted (a create taken back while the
// watch was down after an API server restart), made every later List of that kind wait
// forever. Here a wait looks at what the cache holds, never at which events went by, and
// every wait ends at a deadline; a write the cache has not shown by then is still
// acknowledged (it is stored), and reads of it are stale until the informer catches up.
//
// Writes that pass client.DisableReadYourWritesConsistency do not wait: the caller waits in
// its own way (a user's create waits for its event in keepsUserName).
type ConsistentClient struct {
	client.Client
	kinds map[schema.GroupVersionKind]*broadcaster
}

// NewConsistentClient wraps cached, a client reading from informers' cache (without
// controller-runtime's read-your-writes), for the kinds given: writes of those kinds wait for
// the cache; writes of other kinds do not.
func NewConsistentClient(ctx context.Context, cached client.Client, informers Informers, kinds ...client.Object) (*ConsistentClient, error) {
	c := &ConsistentClient{Client: cached, kinds: map[schema.GroupVersionKind]*broadcaster{}}
	for _, obj := range kinds {
		gvk, err := apiutil.GVKForObject(obj, cached.Scheme())
		if err != nil {
			return nil, err
		}
		informer, err := informers.GetInformer(ctx, obj)
		if err != nil {
			return nil, err
		}
		b := &broadcaster{}
		notify := func(any) { b.broadcast() }
		if _, err := informer.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
			AddFunc:    func(obj any) { notify(obj) },
			UpdateFunc: func(_, obj any) { notify(obj) },
			DeleteFunc: notify,
		}); err != nil {
			return nil, fmt.Errorf("watching %s for read-your-writes: %w", gvk.Kind, err)
		}
		c.kinds[gvk] = b
	}
	return c, nil
}

func (c *ConsistentClient) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	ctx, cancel := context.WithTimeout(ctx, cacheWait)
	defer cancel()
	return c.Client.Get(ctx, key, obj, opts...)
}

func (c *ConsistentClient) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	ctx, cancel := context.WithTimeout(ctx, cacheWait)
	defer cancel()
	return c.Client.List(ctx, list, opts...)
}

func (c *ConsistentClient) Create(ctx context.Context, obj client.Object, opts ...client.CreateOption) error {
	if err := c.Client.Create(ctx, obj, opts...); err != nil {
		return err
	}
	if !(&client.CreateOptions{}).ApplyOptions(opts).DisableReadYourWritesConsistency {
		c.awaitWritten(ctx, obj)
	}
	return nil
}

func (c *ConsistentClient) Update(ctx context.Context, obj client.Object, opts ...client.UpdateOption) error {
	if err := c.Client.Update(ctx, obj, opts...); err != nil {
		return err
	}
	if !(&client.UpdateOptions{}).ApplyOptions(opts).DisableReadYourWritesConsistency {
		c.awaitWritten(ctx, obj)
	}
	return nil
}

func (c *ConsistentClient) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
	if err := c.Client.Patch(ctx, obj, patch, opts...); err != nil {
		return err
	}
	if !(&client.PatchOptions{}).ApplyOptions(opts).DisableReadYourWritesConsistency {
		c.awaitWritten(ctx, obj)
	}
	return nil
}

func (c *ConsistentClient) Delete(ctx context.Context, obj client.Object, opts ...client.DeleteOption) error {
	options := (&client.DeleteOptions{}).ApplyOptions(opts)
	uid := obj.GetUID()
	if p := options.Preconditions; p != nil && p.UID != nil {
		uid = *p.UID
	}
	if err := c.Client.Delete(ctx, obj, opts...); err != nil {
		return err
	}
	if !options.DisableReadYourWritesConsistency {
		c.await(ctx, obj, func(cached client.Object, found bool) bool {
			return !found || cached.GetUID() != uid && uid != "" || !cached.GetDeletionTimestamp().IsZero()
		})
	}
	return nil
}

func (c *ConsistentClient) Status() client.SubResourceWriter { return c.SubResource("status") }

func (c *ConsistentClient) SubResource(subResource string) client.SubResourceClient {
	return consistentSubResource{SubResourceClient: c.Client.SubResource(subResource), c: c}
}

// consistentSubResource waits, after a status write, as ConsistentClient does after a write.
type consistentSubResource struct {
	client.SubResourceClient
	c *ConsistentClient
}

func (s consistentSubResource) Update(ctx context.Context, obj client.Object, opts ...client.SubResourceUpdateOption) error {
	if err := s.SubResourceClient.Update(ctx, obj, opts...); err != nil {
		return err
	}
	s.c.awaitWritten(ctx, obj)
	return nil
}

func (s consistentSubResource) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
	if err := s.SubResourceClient.Patch(ctx, obj, patch, opts...); err != nil {
		return err
	}
	s.c.awaitWritten(ctx, obj)
	return nil
}

// awaitWritten waits until the cache holds obj, as just written, or a newer version of it.
func (c *ConsistentClient) awaitWritten(ctx context.Context, obj client.Object) {
	uid, version := obj.GetUID(), resourceVersion(obj)
	c.await(ctx, obj, func(cached client.Object, found bool) bool {
		// Another object of that name means this one is gone: nothing more to wait for.
		return found && (cached.GetUID() != uid || resourceVersion(cached) >= version)
	})
}

// await waits, at most cacheWait, until done is true of what the cache holds under obj's key.
// It checks the cache on every event of obj's kind, and every pollEvery in case it slept
// through one; it never waits for a particular event.
func (c *ConsistentClient) await(ctx context.Context, obj client.Object, done func(cached client.Object, found bool) bool) {
	gvk, err := apiutil.GVKForObject(obj, c.Scheme())
	if err != nil {
		return
	}
	changed, watched := c.kinds[gvk]
	if !watched {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cacheWait)
	defer cancel()
	key := types.NamespacedName{Namespace: obj.GetNamespace(), Name: obj.GetName()}
	cached, ok := obj.DeepCopyObject().(client.Object)
	if !ok {
		return
	}
	poll := time.NewTicker(pollEvery)
	defer poll.Stop()
	for {
		next := changed.wait()
		err := c.Client.Get(ctx, key, cached)
		switch {
		case err == nil && done(cached, true), apierrors.IsNotFound(err) && done(nil, false):
			return
		case err != nil && !apierrors.IsNotFound(err):
			return // the cache cannot answer (stopping): no better place to wait
		}
		select {
		case <-next:
		case <-poll.C:
		case <-ctx.Done():
			return
		}
	}
}

// pollEvery is how often a write waiting for the cache looks again without an event.
const pollEvery = 100 * time.Millisecond

// broadcaster wakes every waiter at once when an event arrives.
type broadcaster struct {
	mu sync.Mutex
	ch chan struct{}
}

func (b *broadcaster) wait() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ch == nil {
		b.ch = make(chan struct{})
	}
	return b.ch
}

func (b *broadcaster) broadcast() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ch != nil {
		close(b.ch)
		b.ch = nil
	}
}
