// Package outage_test proves what identity providers see when the Kubernetes API server goes
// away under the operator: retryable 503s, and no acknowledged write lost.
package outage_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/internal/operator"
	"github.com/scim-operator/scim-operator/internal/operatortest"
	"github.com/scim-operator/scim-operator/internal/tenant"
	"github.com/scim-operator/scim-operator/internal/testenv"
)

func TestAPIServerDownGivesRetryable503(t *testing.T) {
	env, cfg, err := testenv.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = env.Stop() }()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The operator reaches the API server through a proxy the test can cut.
	proxy := startProxy(t, cfg.Host)
	opCfg := rest.CopyConfig(cfg)
	opCfg.Host = "https://" + proxy.addr()
	op, stop, err := operatortest.Start(opCfg, operator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = stop() }()

	k8s, err := client.New(cfg, client.Options{Scheme: operator.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "outage"}}
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: "outage", Name: "token", Labels: map[string]string{tenant.CredentialLabel: tenant.MethodBearer}},
		Data:       map[string][]byte{tenant.TokenKey: []byte("outage-token")},
	}
	if err := k8s.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	if err := k8s.Create(ctx, &scimv1.ScimTenant{ObjectMeta: metav1.ObjectMeta{Namespace: "outage", Name: "tenant"}}); err != nil {
		t.Fatal(err)
	}
	if err := k8s.Create(ctx, secret); err != nil {
		t.Fatal(err)
	}
	post := func(userName string) *http.Response {
		body, _ := json.Marshal(map[string]any{"userName": userName})
		req, _ := http.NewRequest(http.MethodPost, op.SCIMURL()+"/Users", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer outage-token")
		res, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	var acknowledged *http.Response
	deadline := time.Now().Add(10 * time.Second)
	for acknowledged = post("before"); acknowledged.StatusCode == http.StatusUnauthorized && time.Now().Before(deadline); acknowledged = post("before") {
		time.Sleep(50 * time.Millisecond) // the token Secret is not in the cache yet
	}
	if acknowledged.StatusCode != http.StatusCreated {
		t.Fatalf("POST before the outage: %d", acknowledged.StatusCode)
	}

	proxy.cut()
	res := post("during")
	var body map[string]any
	_ = json.NewDecoder(res.Body).Decode(&body)
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" || body["status"] != "503" {
		t.Errorf("POST during the outage: %d, Retry-After %q, body %v", res.StatusCode, res.Header.Get("Retry-After"), body)
	}

	// The write acknowledged before the outage is stored; the refused one is not.
	var list scimv1.ScimUserList
	if err := k8s.List(ctx, &list, client.InNamespace("outage")); err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 1 || list.Items[0].Spec.UserName != "before" {
		t.Errorf("users after the outage: %+v", list.Items)
	}
}

// proxy forwards TCP connections to the API server until cut, after which nothing answers.
type proxy struct {
	listener net.Listener
	mu       sync.Mutex
	conns    []net.Conn
}

func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{listener: ln}
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", u.Host)
			if err != nil {
				_ = in.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, in, out)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(out, in); _ = out.Close() }()
			go func() { _, _ = io.Copy(in, out); _ = in.Close() }()
		}
	}()
	t.Cleanup(p.cut)
	return p
}

func (p *proxy) addr() string { return p.listener.Addr().String() }

// cut closes the listener and every open connection: the API server is unreachable.
func (p *proxy) cut() {
	_ = p.listener.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.conns = nil
}
