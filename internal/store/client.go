package store

import (
	"context"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"
)

// cacheWait bounds how long a read waits for the cache to catch up with this replica's own
// writes (read-your-writes). The cache is normally milliseconds behind; when the API server
// is unreachable it may never catch up, and the client is better told to retry (503) than
// left waiting.
const cacheWait = 5 * time.Second

// boundedReads is a cache-backed client whose reads give up after cacheWait.
type boundedReads struct {
	client.Client
}

func (c boundedReads) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	ctx, cancel := context.WithTimeout(ctx, cacheWait)
	defer cancel()
	return c.Client.Get(ctx, key, obj, opts...)
}

func (c boundedReads) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	ctx, cancel := context.WithTimeout(ctx, cacheWait)
	defer cancel()
	return c.Client.List(ctx, list, opts...)
}
