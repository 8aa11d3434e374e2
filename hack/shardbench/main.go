// Command shardbench times one-member updates of big group member shards against a bare API
// server (envtest), with nothing else running: the figures behind the storage format of
// ScimGroupMemberShard.spec.members (docs/architecture.md, "Group membership").
//
//	KUBEBUILDER_ASSETS=$(hack/envtest-binaries.sh) go run ./hack/shardbench -members 1560 -format objects
//
// -format objects: a list of {value,type} objects (the format before); strings: a list of
// strings; text: one string of lines; shard: a ScimGroupMemberShard through its Go type (one
// string of lines, as the operator writes it).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/internal/operator"
)

func main() {
	members := flag.Int("members", 1560, "members per shard (a 100,000-member group had ~1,560 per shard at 64 shards, ~200 at 512)")
	clients := flag.Int("clients", 4, "clients, each updating a shard of its own")
	duration := flag.Duration("d", 8*time.Second, "how long to update")
	format := flag.String("format", "shard", "objects, strings, text or shard")
	flag.Parse()
	if err := run(*members, *clients, *duration, *format); err != nil {
		fmt.Fprintln(os.Stderr, "shardbench:", err)
		os.Exit(1)
	}
}

func run(members, clients int, duration time.Duration, format string) error {
	dir, err := os.MkdirTemp("", "shardbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, "testshards.yaml"), []byte(testShardCRD), 0o600); err != nil {
		return err
	}
	env := &envtest.Environment{CRDDirectoryPaths: []string{filepath.Join("config", "crd", "bases"), dir}, ErrorIfCRDPathMissing: true}
	cfg, err := env.Start()
	if err != nil {
		return err
	}
	defer func() { _ = env.Stop() }()
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = -1, 0
	c, err := client.New(cfg, client.Options{Scheme: operator.Scheme()})
	if err != nil {
		return err
	}
	ctx := context.Background()
	shards := make([]client.Object, clients)
	for i := range shards {
		switch format {
		case "objects", "strings", "text":
			shards[i] = testShard(i, members, format)
		case "shard":
			s := &scimv1.ScimGroupMemberShard{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: fmt.Sprintf("g-m%02x", i)}, Spec: scimv1.ScimGroupMemberShardSpec{Group: "g"}}
			for j := range members {
				s.Spec.Members = append(s.Spec.Members, scimv1.GroupMember{Value: fmt.Sprintf("u-%032x", i*1000000+j), Type: scimv1.MemberTypeUser})
			}
			shards[i] = s
		default:
			return fmt.Errorf("unknown -format %q", format)
		}
		if err := c.Create(ctx, shards[i]); err != nil {
			return err
		}
	}
	var mu sync.Mutex
	var latencies []time.Duration
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	end := time.Now().Add(duration)
	for i := range shards {
		wg.Go(func() {
			obj := shards[i]
			for n := 0; time.Now().Before(end); n++ {
				toggle(obj, n%2 == 0)
				start := time.Now()
				if err := c.Update(ctx, obj); err != nil {
					errs <- err
					return
				}
				mu.Lock()
				latencies = append(latencies, time.Since(start))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	slices.Sort(latencies)
	at := func(q float64) time.Duration { return latencies[int(q*float64(len(latencies)-1))] }
	fmt.Printf("%s, %d members per shard, %d clients: %d updates, %.0f/s, p50 %v, p99 %v\n",
		format, members, clients, len(latencies), float64(len(latencies))/duration.Seconds(),
		at(0.5).Round(time.Millisecond/10), at(0.99).Round(time.Millisecond/10))
	return nil
}

func toggle(obj client.Object, add bool) {
	if s, ok := obj.(*scimv1.ScimGroupMemberShard); ok {
		if add {
			s.Spec.Members = append(s.Spec.Members, scimv1.GroupMember{Value: "u-extra", Type: scimv1.MemberTypeUser})
		} else {
			s.Spec.Members = s.Spec.Members[:len(s.Spec.Members)-1]
		}
		return
	}
	toggleTestShard(obj, add)
}
