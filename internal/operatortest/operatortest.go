// Package operatortest runs the whole operator in a test process, against a control plane
// from internal/testenv, the way `make dev` runs it.
package operatortest

import (
	"context"
	"errors"
	"reflect"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/client-go/rest"

	"github.com/scim-operator/scim-operator/internal/operator"
	"github.com/scim-operator/scim-operator/scimserver"
)

// Start runs the operator against cfg on a free loopback port and waits until its cache has
// synced, so that it serves. Options left empty get test defaults: no metrics or probe
// endpoints, default SCIM options. stop ends the operator and returns how it ended.
func Start(cfg *rest.Config, opts operator.Options) (op *operator.Operator, stop func() error, err error) {
	if opts.SCIMAddr == "" {
		opts.SCIMAddr = "127.0.0.1:0"
	}
	if opts.MetricsAddr == "" {
		opts.MetricsAddr = "0"
	}
	if opts.ProbeAddr == "" {
		opts.ProbeAddr = "0"
	}
	if reflect.ValueOf(opts.SCIM).IsZero() {
		opts.SCIM = scimserver.DefaultOptions
	}
	ctx, cancel := context.WithCancel(context.Background())
	op, err = operator.New(ctx, cfg, opts, logr.Discard())
	if err != nil {
		cancel()
		return nil, nil, err
	}
	done := make(chan error, 1)
	go func() { done <- op.Start(ctx) }()
	stop = func() error {
		cancel()
		return <-done
	}
	// A manager that fails to start never syncs: give up after a while, and say why.
	syncCtx, syncCancel := context.WithTimeout(ctx, 2*time.Minute)
	defer syncCancel()
	if !op.Manager.GetCache().WaitForCacheSync(syncCtx) {
		return nil, nil, errors.Join(errors.New("the operator's cache did not sync"), stop())
	}
	return op, stop, nil
}
