package operator

import (
	"context"
	"net/http"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	toolscache "k8s.io/client-go/tools/cache"

	"github.com/scim-operator/scim-operator/internal/scimerr"
	"github.com/scim-operator/scim-operator/internal/store"
)

const (
	// reconnectEvery is how often an informer whose API server is away tries it again.
	reconnectEvery = 500 * time.Millisecond
	// reconnectFor is how long it keeps trying at that pace before handing the error to
	// client-go's reflector, which then backs off as usual (up to 30 s between tries).
	reconnectFor = 2 * time.Minute
)

// newInformer is client-go's shared informer whose list and watch keep retrying every
// reconnectEvery while the API server is unreachable or not ready, instead of failing at once.
// A failed list or watch makes client-go's reflector wait, doubling the wait each time (0.8 s,
// 1.6 s, ... with jitter): after a restart of kube-apiserver taking ten seconds, the informer
// came back up to ~20 s after the API server, and every write in between waited for its
// event in vain (503). Retrying inside the call keeps the reflector's backoff at its first step.
func newInformer(lw toolscache.ListerWatcher, obj runtime.Object, resync time.Duration, indexers toolscache.Indexers) toolscache.SharedIndexInformer {
	return toolscache.NewSharedIndexInformer(patient(lw), obj, resync, indexers)
}

// patient wraps a list-watch so that its calls retry while the API server is away.
func patient(lw toolscache.ListerWatcher) toolscache.ListerWatcher {
	inner := toolscache.ToListerWatcherWithContext(lw)
	out := &toolscache.ListWatch{}
	if l, ok := lw.(*toolscache.ListWatch); ok {
		copied := *l
		out = &copied
	}
	out.ListFunc, out.WatchFunc = nil, nil
	out.ListWithContextFunc = func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
		return retryWhileAway(ctx, func() (runtime.Object, error) { return inner.ListWithContext(ctx, opts) })
	}
	out.WatchFuncWithContext = func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
		return retryWhileAway(ctx, func() (watch.Interface, error) { return inner.WatchWithContext(ctx, opts) })
	}
	return out
}

// retryWhileAway calls call until it succeeds, fails for another reason than the API server
// being away (mapped as the SCIM layer maps it: 503), ctx ends, or reconnectFor has passed.
func retryWhileAway[T any](ctx context.Context, call func() (T, error)) (T, error) {
	deadline := time.Now().Add(reconnectFor)
	for {
		v, err := call()
		if err == nil || ctx.Err() != nil || time.Now().After(deadline) || !away(err) {
			return v, err
		}
		select {
		case <-ctx.Done():
			return v, err
		case <-time.After(reconnectEvery):
		}
	}
}

// away reports whether err means the API server could not be reached or is not ready (what
// the SCIM layer answers with 503). A "resource version too old" is not: the reflector answers
// it with a fresh list at once.
func away(err error) bool {
	if apierrors.IsGone(err) || apierrors.IsResourceExpired(err) || apierrors.IsConflict(err) {
		return false
	}
	e := scimerr.As(store.FromAPI(err))
	return e != nil && e.Status == http.StatusServiceUnavailable
}
