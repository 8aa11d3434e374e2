// Command bench is scim-operator's load generator (`make bench`). It starts a local control
// plane (etcd and kube-apiserver, as `make dev` does), measures the raw API-server create rate
// for ScimUsers, then runs cmd/manager as a child process, measures that rate again with the
// operator reconciling every user, and drives the operator through SCIM the way Okta and
// Microsoft Entra ID do: creates, filters, list pages, membership PATCHes, a whole-group PUT
// and provisioning into a downstream SCIM app. Per scenario it reports throughput, latency
// percentiles, errors, the operator's peak RSS, the CPU time of each process and the objects
// in the API server, as a table on stdout and as JSON (-out).
//
// The defaults make a run of two to three minutes; see docs/benchmarks.md for the full size.
package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// bench is the state of one run.
type bench struct {
	cfg   config
	procs *procs
	k8s   client.Client
	scim  *scimClient
	api   *apiMetrics
	// apiStart is the API server's request count when the running scenario began.
	apiStart map[string]float64
	results  []*Result

	// users[i] is user i once created; ok lists the i that were created.
	users                []member
	ok                   []int
	bigGroup, putGroup   string
	oktaGroups           []string
	op                   *operatorProc
	managerBin, scimAddr string
	kubeconfig           string
	operatorLog          string
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run() error {
	cfg, err := parseFlags(os.Args[1:])
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// envtest logs through controller-runtime; the bench's own output is its progress lines.
	ctrl.SetLogger(logr.Discard())

	if cfg.CPUProfile != "" {
		f, err := os.Create(cfg.CPUProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer func() { pprof.StopCPUProfile(); _ = f.Close() }()
	}
	repo, err := filepath.Abs(cfg.Repo)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "scim-bench-")
	if err != nil {
		return err
	}
	if cfg.Keep {
		logf("keeping %s", tmp)
		if cfg.OperatorPprof != "" && cfg.OperatorPprof != "0" {
			logf("operator profiles at %s while it runs", pprofURL(cfg.OperatorPprof))
		}
	} else {
		defer func() { _ = os.RemoveAll(tmp) }()
	}
	b := &bench{
		cfg: cfg, procs: newProcs(),
		managerBin:  filepath.Join(tmp, "manager"),
		kubeconfig:  filepath.Join(tmp, "kubeconfig"),
		operatorLog: filepath.Join(tmp, "operator.log"),
	}
	started := time.Now()
	rep := &Report{Started: started, Machine: describeMachine(), Config: cfg}

	// The build takes longest on a cold cache; it runs while the control plane starts.
	built := make(chan error, 1)
	go func() { built <- buildManager(ctx, repo, b.managerBin) }()

	env, restCfg, err := startControlPlane(repo, b.kubeconfig, cfg.APIServerConsistencyCheck)
	if err != nil {
		return errors.Join(err, <-built)
	}
	defer func() {
		if stopErr := env.Stop(); stopErr != nil {
			logf("stopping the control plane: %v", stopErr)
		}
	}()
	b.procs.findControlPlane()
	sampleCtx, stopSampling := context.WithCancel(ctx)
	defer stopSampling()
	go b.procs.run(sampleCtx, 100*time.Millisecond)
	if b.k8s, err = newClient(restCfg); err != nil {
		return err
	}
	if b.api, err = newAPIMetrics(restCfg); err != nil {
		return err
	}
	logf("control plane up after %.1fs", time.Since(started).Seconds())

	raw, err := b.rawCreates(ctx)
	if err != nil {
		return err
	}
	rep.RawCreatePerSecond = raw.PerSecond

	if err := <-built; err != nil {
		return err
	}
	token, err := newTenant(ctx, b.k8s, "bench")
	if err != nil {
		return err
	}
	warmToken, err := newTenant(ctx, b.k8s, "bench-warm")
	if err != nil {
		return err
	}
	if b.scimAddr, err = freeAddr(); err != nil {
		return err
	}
	b.scim = newSCIMClient("http://"+b.scimAddr+"/scim/v2", token)
	cold, err := b.startOperator(ctx)
	if err != nil {
		return err
	}
	defer func() {
		if stopErr := b.stopOperator(); stopErr != nil {
			logf("%v", stopErr)
		}
	}()
	rep.ColdStartSeconds = round(cold.Seconds(), 2)
	logf("operator serving after %.2fs (cold start, empty store)", cold.Seconds())
	b.warmOperator(ctx, b.scim.withToken(warmToken))

	// A scenario that fails still leaves the rows before it worth reporting.
	failed := b.scenarios(ctx, rep)
	if failed != nil {
		failed = fmt.Errorf("%w\noperator log (last lines):\n%s", failed, b.operatorLogTail(20))
	}

	rep.PeakRSSMiB = b.procs.highWater()
	rep.Objects = b.countObjects(context.WithoutCancel(ctx))
	rep.Results = b.results
	rep.Targets = b.targets(rep)
	rep.Seconds = round(time.Since(started).Seconds(), 1)
	writeTable(os.Stdout, rep)
	if err := writeJSONFile(cfg.Out, rep); err != nil {
		return errors.Join(failed, err)
	}
	logf("wrote %s after %.0fs", cfg.Out, rep.Seconds)
	return failed
}

// scenarios runs the scenarios in an order where each finds the data it needs. A
// scenario whose writes the controllers follow up (user status, member counts) waits for them
// (spec.settle), so that their backlog is not charged to the next scenario.
func (b *bench) scenarios(ctx context.Context, rep *Report) error {
	watched, err := b.rawCreatesWatched(ctx)
	if watched != nil {
		rep.RawWatchedCreatePerSecond = watched.PerSecond
	}
	if err != nil {
		return err
	}
	post := b.createUsers(ctx)
	rep.PostPerSecond = post.PerSecond
	if rep.RawCreatePerSecond > 0 {
		rep.PostToRaw = round(post.PerSecond/rep.RawCreatePerSecond, 3)
	}
	if rep.RawWatchedCreatePerSecond > 0 {
		rep.PostToRawWatched = round(post.PerSecond/rep.RawWatchedCreatePerSecond, 3)
	}
	if len(b.ok) == 0 {
		return fmt.Errorf("no user was created: %v", post.ErrorSamples)
	}
	if post.settleErr != nil {
		return post.settleErr
	}
	if b.cfg.ScaleGroups > 0 {
		if res := b.createScaleGroups(ctx); res.Errors > 0 || res.settleErr != nil {
			return errors.Join(fmt.Errorf("creating the scale groups: %d errors %v", res.Errors, res.ErrorSamples), res.settleErr)
		}
	}
	if _, err := b.createGroups(ctx); err != nil {
		return err
	}
	b.getByID(ctx)
	b.filters(ctx, "filter-eq-32", b.cfg.FilterConcurrency)
	b.filters(ctx, "filter-eq-4", b.cfg.LatencyConcurrency)
	b.listPages(ctx, "list-pages-100-32", b.cfg.ListConcurrency)
	b.listPages(ctx, "list-pages-100-4", b.cfg.LatencyConcurrency)
	if err := b.entraFill(ctx).settleErr; err != nil {
		return err
	}
	b.bigGroupGet(ctx, false)
	b.bigGroupGet(ctx, true)
	if err := b.entraChurn(ctx).settleErr; err != nil {
		return err
	}
	if err := b.oktaPatches(ctx).settleErr; err != nil {
		return err
	}
	if err := b.groupPut(ctx).settleErr; err != nil {
		return err
	}
	if _, err := b.provisioning(ctx); err != nil {
		return fmt.Errorf("provisioning scenario: %w", err)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if b.cfg.Restart {
		if err := b.stopOperator(); err != nil {
			logf("%v", err)
		}
		cold, err := b.startOperator(ctx)
		if err != nil {
			return fmt.Errorf("restarting the operator: %w", err)
		}
		rep.RestartColdStartSeconds = round(cold.Seconds(), 2)
		rep.OperatorRSSAfterRestartMiB = b.procs.rss(procOperator)
		logf("operator serving again after %.2fs (restart with every object present)", cold.Seconds())
	}
	return nil
}

// warmOperator sends untimed requests of each kind the scenarios write, in a tenant of its
// own so that the measured tenant holds exactly the scenarios' users.
func (b *bench) warmOperator(ctx context.Context, c *scimClient) {
	ids := make([]string, b.cfg.Concurrency)
	warm(ctx, b.cfg.Concurrency, func(ctx context.Context, i int) error {
		var u created
		err := c.do(ctx, http.MethodPost, "/Users", createUserBody(i), http.StatusCreated, &u)
		ids[i] = u.ID
		return err
	})
	var g created
	if err := c.do(ctx, http.MethodPost, "/Groups", createGroupBody("warm", "warm"), http.StatusCreated, &g); err != nil {
		logf("warm-up: %v", err)
		return
	}
	var added atomic.Int64
	warm(ctx, len(ids), func(ctx context.Context, i int) error {
		err := c.do(ctx, http.MethodPatch, "/Groups/"+g.ID, entraMemberPatch("Add", ids[i]), http.StatusNoContent, nil)
		if err == nil {
			added.Add(1)
		}
		return err
	})
	// The controllers' follow-up of the warm-up (statuses, the member count) would otherwise
	// be charged to the first row. want 0: list at once, the tenant is small.
	err := errors.Join(b.settleUsers(ctx, "bench-warm", 0), b.settleGroup(ctx, "bench-warm", g.ID, int(added.Load())))
	if err != nil {
		logf("warm-up: %v", err)
	}
}
