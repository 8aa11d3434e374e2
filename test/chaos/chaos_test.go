// Package chaos_test injects faults under load: a real etcd and kube-apiserver, two manager
// processes behind a round-robin, eight SCIM writers; the API server, etcd and a replica are
// SIGKILLed and restarted, the network to the API server is cut. After each fault it checks
// that no acknowledged write was lost, no userName is shared, no request got a 500, every
// 503 told when to retry, and that within 60 s every filter answers and every object is
// reconciled. Run by `make chaos` (CHAOS=full) and, shorter, by CI (CHAOS=short).
package chaos_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/internal/operator"
	"github.com/scim-operator/scim-operator/internal/store"
	"github.com/scim-operator/scim-operator/internal/tenant"
	"github.com/scim-operator/scim-operator/internal/testenv"
)

const (
	ns      = "chaos"
	token   = "chaos-token"
	writers = 8
	// settle is how long after a fault ends every filter must answer and every object be
	// reconciled.
	settle = 60 * time.Second
)

type scenario struct {
	name string
	// fault injects the fault, under load, and returns when it has ended: what failed is
	// back. It returns when the API server was ready again, if it went away.
	fault func(t *testing.T) (readyAgain time.Time)
}

func TestChaos(t *testing.T) {
	mode := os.Getenv("CHAOS")
	if mode != "short" && mode != "full" {
		t.Skip("fault injection: run with CHAOS=short or CHAOS=full (make chaos)")
	}
	rounds, cutFor := 2, 30*time.Second
	if mode == "short" {
		rounds, cutFor = 1, 5*time.Second
	}
	ctx := context.Background()
	env, cfg, err := testenv.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = env.Stop() }()
	etcd, err := testenv.FindProc("etcd")
	if err != nil {
		t.Fatal(err)
	}
	apiserver, err := testenv.FindProc("kube-apiserver")
	if err != nil {
		t.Fatal(err)
	}
	defer etcd.Stop()
	defer apiserver.Stop()
	px := startProxy(t, cfg.Host)
	kubeconfig := kubeconfigThrough(t, env, "https://"+px.addr())
	k8s, err := client.New(cfg, client.Options{Scheme: operator.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	must(t, k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}))
	must(t, k8s.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "token", Labels: map[string]string{tenant.CredentialLabel: tenant.MethodBearer}},
		Data:       map[string][]byte{tenant.TokenKey: []byte(token)},
	}))
	// The ScimTenant makes the namespace a tenant; its limits are off so that the load is
	// answered by the server, not by the limiter.
	must(t, k8s.Create(ctx, &scimv1.ScimTenant{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "tenant"},
		Spec: scimv1.ScimTenantSpec{RateLimit: &scimv1.RateLimit{RequestsPerSecond: ptr.To[int32](0), MaxInFlight: ptr.To[int32](0)}}}))

	bin := buildManager(t)
	logs := t.TempDir()
	replicas := make([]*replica, 2)
	lb := &balancer{token: token, http: &http.Client{Timeout: requestDeadline}}
	for i := range replicas {
		replicas[i] = &replica{name: fmt.Sprint("replica-", i), bin: bin, kubeconfig: kubeconfig, scimAddr: freeAddr(t),
			logPath: fmt.Sprintf("%s/replica-%d.log", logs, i)}
		must(t, replicas[i].start())
		defer replicas[i].kill()
		lb.urls = append(lb.urls, "http://"+replicas[i].scimAddr+"/scim/v2")
	}
	scimPrefix(t, lb)
	for _, u := range lb.urls { // each replica serves
		single := &balancer{urls: []string{u}, token: token, http: lb.http}
		must(t, waitFor(ctx, time.Now().Add(2*time.Minute), 200*time.Millisecond, func() error {
			if a := single.do(http.MethodGet, "/Users?count=1", nil); a.status != http.StatusOK {
				return fmt.Errorf("replica %s: %d %v", u, a.status, a.err)
			}
			return nil
		}))
	}

	restart := func(p *testenv.Proc) func(t *testing.T) time.Time {
		return func(t *testing.T) time.Time {
			var ready time.Time
			for range rounds {
				time.Sleep(3 * time.Second)
				must(t, p.Kill())
				time.Sleep(time.Second)
				must(t, p.Start())
				readyCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
				must(t, testenv.WaitReady(readyCtx, cfg))
				cancel()
				ready = time.Now()
			}
			return ready
		}
	}
	scenarios := []scenario{
		{"kube-apiserver SIGKILLed and restarted", restart(apiserver)},
		{"etcd SIGKILLed and restarted", restart(etcd)},
		{"a manager replica SIGKILLed and restarted", func(t *testing.T) time.Time {
			for i := range rounds {
				time.Sleep(3 * time.Second)
				r := replicas[i%len(replicas)]
				r.kill()
				time.Sleep(2 * time.Second)
				must(t, r.start())
			}
			return time.Time{}
		}},
		{fmt.Sprintf("network to the API server cut for %s", cutFor), func(t *testing.T) time.Time {
			time.Sleep(3 * time.Second)
			px.cut()
			time.Sleep(cutFor)
			px.restore()
			return time.Now()
		}},
	}
	passed, failed := 0, 0
	for i, sc := range scenarios {
		problems, summary := run(t, ctx, k8s, lb, fmt.Sprintf("s%d", i), sc)
		if len(problems) == 0 {
			passed++
			fmt.Printf("PASS %s: %s\n", sc.name, summary)
		} else {
			failed++
			fmt.Printf("FAIL %s: %s\n", sc.name, summary)
			for _, p := range problems {
				fmt.Printf("     %s\n", p)
			}
		}
	}
	fmt.Printf("%d passed, %d failed\n", passed, failed)
	if failed > 0 {
		t.Errorf("%d of %d scenarios failed; manager logs in %s", failed, len(scenarios), logs)
	}
}

// scimPrefix checks the SCIM base path the replicas serve.
func scimPrefix(t *testing.T, lb *balancer) {
	t.Helper()
	for i, u := range lb.urls {
		if res, err := http.Get(u + "/ServiceProviderConfig"); err == nil {
			_ = res.Body.Close()
			if res.StatusCode == http.StatusNotFound {
				lb.urls[i] = strings.TrimSuffix(u, "/scim/v2")
			}
		}
	}
}

// run puts the writers to work, injects the fault, stops the writers once it has ended, and
// checks the outcome.
func run(t *testing.T, ctx context.Context, k8s client.Client, base *balancer, prefix string, sc scenario) (problems []string, summary string) {
	rec := &recorder{}
	lb := &balancer{urls: base.urls, token: base.token, http: base.http, rec: rec}
	m := &model{users: map[string]*user{}, members: map[string]map[string]bool{}}
	var groups []string
	for g := range 2 {
		var id string
		err := waitFor(ctx, time.Now().Add(time.Minute), time.Second, func() error {
			a := lb.do(http.MethodPost, "/Groups", map[string]any{
				"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"}, "displayName": fmt.Sprintf("%s-g%d", prefix, g)})
			if a.status != http.StatusCreated {
				return fmt.Errorf("creating a group: %d %v", a.status, a.err)
			}
			id, _ = a.body["id"].(string)
			return nil
		})
		if err != nil {
			return []string{err.Error()}, "could not start"
		}
		groups = append(groups, id)
		m.members[id] = map[string]bool{}
	}

	loadCtx, stopLoad := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for i := range writers {
		w := &writer{id: i, prefix: prefix, lb: lb, m: m, groups: groups}
		wg.Go(func() { w.run(loadCtx) })
	}
	began := time.Now()
	readyAgain := sc.fault(t)
	faultEnded := time.Now()
	var firstWriteAfterReady time.Duration
	if !readyAgain.IsZero() {
		// How long writes kept failing after the API server was back: the next acknowledged write.
		probe := &balancer{urls: base.urls, token: base.token, http: base.http, rec: rec}
		for n := 0; ; n++ {
			a := probe.do(http.MethodPost, "/Users", map[string]any{"userName": fmt.Sprintf("%s-probe-%d", prefix, n)})
			if a.status == http.StatusCreated {
				firstWriteAfterReady = time.Since(readyAgain)
				id, _ := a.body["id"].(string)
				m.mu.Lock()
				m.users[fmt.Sprintf("%s-probe-%d", prefix, n)] = &user{id: id, userName: fmt.Sprintf("%s-probe-%d", prefix, n)}
				m.mu.Unlock()
				break
			}
			if time.Since(readyAgain) > settle {
				break
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
	time.Sleep(3 * time.Second) // load after the fault too
	stopLoad()
	wg.Wait()

	problems = append(problems, rec.problems...)
	for _, l := range m.lost {
		problems = append(problems, "never acknowledged within "+retryFor.String()+": "+l)
	}
	// Within settle of the fault's end: the final state, through SCIM and from the API server.
	var last []string
	_ = waitFor(ctx, faultEnded.Add(settle), 2*time.Second, func() error {
		last = check(ctx, k8s, lb, prefix, m)
		if len(last) > 0 {
			return fmt.Errorf("%d problems", len(last))
		}
		return nil
	})
	problems = append(problems, last...)

	m.mu.Lock()
	live := 0
	for _, u := range m.users {
		if !u.deleted {
			live++
		}
	}
	m.mu.Unlock()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	summary = fmt.Sprintf("%d requests, %d answered, %d 503s, %d users live of %d created; longest time without an acknowledged write %.1f s; load %.0f s",
		rec.requests, rec.answered, rec.unavailable, live, len(m.users), rec.longestWriteGap.Seconds(), time.Since(began).Seconds())
	if !readyAgain.IsZero() {
		summary += fmt.Sprintf("; first write acknowledged %.1f s after the API server was ready", firstWriteAfterReady.Seconds())
	}
	return problems, summary
}

// check compares the final state with the model: every acknowledged create, change,
// membership and delete, through SCIM and in the API server; userNames unique; every filter
// answers; every object reconciled.
func check(ctx context.Context, k8s client.Client, lb *balancer, prefix string, m *model) []string {
	var problems []string
	add := func(format string, args ...any) {
		if len(problems) < 15 {
			problems = append(problems, fmt.Sprintf(format, args...))
		}
	}
	var list scimv1.ScimUserList
	if err := k8s.List(ctx, &list, client.InNamespace(ns)); err != nil {
		return []string{"listing users from the API server: " + err.Error()}
	}
	stored := map[string]*scimv1.ScimUser{}
	holders := map[string][]string{}
	for i := range list.Items {
		u := &list.Items[i]
		if !u.DeletionTimestamp.IsZero() {
			continue
		}
		stored[u.Name] = u
		holders[store.FoldKey(u.Spec.UserName)] = append(holders[store.FoldKey(u.Spec.UserName)], u.Name)
		if u.Status.ObservedGeneration != u.Generation {
			add("user %s not reconciled: observedGeneration %d, generation %d", u.Spec.UserName, u.Status.ObservedGeneration, u.Generation)
		}
	}
	for name, ids := range holders {
		if len(ids) > 1 {
			add("userName %s held by %d users: %v", name, len(ids), ids)
		}
	}
	m.mu.Lock()
	users := make([]user, 0, len(m.users))
	for _, u := range m.users {
		users = append(users, *u)
	}
	members := map[string][]string{}
	for g, set := range m.members {
		for id := range set {
			members[g] = append(members[g], id)
		}
		sort.Strings(members[g])
	}
	m.mu.Unlock()
	wanted := map[string]bool{}
	for _, u := range users {
		s := stored[u.id]
		a := lb.do(http.MethodGet, "/Users?filter="+url.QueryEscape(`userName eq "`+u.userName+`"`), nil)
		resources, _ := a.body["Resources"].([]any)
		switch {
		case a.status != http.StatusOK:
			add("filter on %s: %d %v", u.userName, a.status, a.err)
		case u.deleted && len(resources) != 0:
			add("deleted user %s still found by its userName", u.userName)
		case !u.deleted && len(resources) != 1:
			add("user %s found %d times by its userName", u.userName, len(resources))
		case !u.deleted:
			if got, _ := resources[0].(map[string]any)["displayName"].(string); got != u.displayName && u.displayName != "" {
				add("user %s through SCIM: displayName %q, acknowledged %q", u.userName, got, u.displayName)
			}
		}
		switch {
		case u.deleted && s != nil:
			add("deleted user %s still in the API server", u.userName)
		case !u.deleted && s == nil:
			add("user %s (%s) missing from the API server", u.userName, u.id)
		case !u.deleted && s.Spec.DisplayName != u.displayName:
			add("user %s in the API server: displayName %q, acknowledged %q", u.userName, s.Spec.DisplayName, u.displayName)
		}
		if !u.deleted {
			wanted[u.id] = true
		}
	}
	for id, s := range stored {
		if strings.HasPrefix(s.Spec.UserName, prefix+"-") && !wanted[id] {
			add("user %s in the API server was never acknowledged as created (or was deleted)", s.Spec.UserName)
		}
	}
	for g, want := range members {
		a := lb.do(http.MethodGet, "/Groups/"+g, nil)
		if a.status != http.StatusOK {
			add("group %s: %d %v", g, a.status, a.err)
			continue
		}
		var got []string
		list, _ := a.body["members"].([]any)
		for _, mem := range list {
			if v, ok := mem.(map[string]any)["value"].(string); ok {
				got = append(got, v)
			}
		}
		sort.Strings(got)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			add("group %s members: %d through SCIM, %d acknowledged (%v vs %v)", g, len(got), len(want), diff(got, want), diff(want, got))
		}
		var sg scimv1.ScimGroup
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: g}, &sg); err != nil {
			add("group %s in the API server: %v", g, err)
		} else if sg.Status.ObservedGeneration != sg.Generation {
			add("group %s not reconciled: observedGeneration %d, generation %d", g, sg.Status.ObservedGeneration, sg.Generation)
		}
	}
	return problems
}

// diff lists what a has and b does not.
func diff(a, b []string) []string {
	inB := map[string]bool{}
	for _, s := range b {
		inB[s] = true
	}
	var out []string
	for _, s := range a {
		if !inB[s] {
			out = append(out, s)
		}
	}
	return out
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
