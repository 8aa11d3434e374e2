package chaos_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// requestDeadline is the longest any SCIM request may take; a request cut off by it fails
// the scenario.
const requestDeadline = 30 * time.Second

// balancer sends each request to the next replica in turn; a replica that refuses the
// connection (killed) is skipped, as a load balancer's health check would.
type balancer struct {
	urls  []string
	token string
	next  atomic.Uint64
	http  *http.Client
	rec   *recorder
}

// answer is one request and what came back.
type answer struct {
	status     int // 0: no answer (connection failed or deadline)
	retryAfter string
	body       map[string]any
	err        error
	took       time.Duration
}

func (b *balancer) do(method, path string, body any) answer {
	var payload []byte
	if body != nil {
		payload, _ = json.Marshal(body)
	}
	start := b.next.Add(1)
	var a answer
	for i := range b.urls {
		base := b.urls[(int(start)+i)%len(b.urls)]
		req, _ := http.NewRequest(method, base+path, bytes.NewReader(payload))
		req.Header.Set("Authorization", "Bearer "+b.token)
		req.Header.Set("Content-Type", "application/scim+json")
		began := time.Now()
		res, err := b.http.Do(req)
		a = answer{err: err, took: time.Since(began)}
		if err != nil {
			if errors.Is(err, syscall.ECONNREFUSED) {
				continue // that replica is down: the next one
			}
			break
		}
		a.status, a.retryAfter = res.StatusCode, res.Header.Get("Retry-After")
		_ = json.NewDecoder(res.Body).Decode(&a.body)
		_ = res.Body.Close()
		break
	}
	if b.rec != nil {
		b.rec.record(method, path, a)
	}
	return a
}

// recorder keeps what every request got, and what is wrong with it.
type recorder struct {
	mu                 sync.Mutex
	requests, answered int
	unavailable        int
	problems           []string
	lastWriteOK        time.Time
	longestWriteGap    time.Duration
}

func (r *recorder) record(method, path string, a answer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests++
	if a.status != 0 {
		r.answered++
	}
	problem := ""
	switch {
	case a.status == 0 && a.took >= requestDeadline:
		problem = fmt.Sprintf("no answer within %s", requestDeadline)
	case a.status == http.StatusServiceUnavailable:
		r.unavailable++
		if a.retryAfter == "" || a.body["status"] != "503" || a.body["schemas"] == nil {
			problem = fmt.Sprintf("503 without Retry-After or SCIM error body: %q %v", a.retryAfter, a.body)
		}
	case a.status >= 500:
		problem = fmt.Sprintf("%d %v", a.status, a.body)
	}
	if problem != "" && len(r.problems) < 20 {
		r.problems = append(r.problems, method+" "+path+": "+problem)
	}
	if method != http.MethodGet && a.status >= 200 && a.status < 300 {
		now := time.Now()
		if !r.lastWriteOK.IsZero() && now.Sub(r.lastWriteOK) > r.longestWriteGap {
			r.longestWriteGap = now.Sub(r.lastWriteOK)
		}
		r.lastWriteOK = now
	}
}

// model is what the acknowledged writes say the final state is.
type model struct {
	mu      sync.Mutex
	users   map[string]*user // by userName
	members map[string]map[string]bool
	lost    []string // operations never acknowledged
}

type user struct {
	id, userName, displayName string
	deleted                   bool
}

// writer performs a random mix of operations on its own users, one at a time, each retried
// until it is acknowledged (as identity providers retry a 503).
type writer struct {
	id     int
	prefix string
	lb     *balancer
	m      *model
	groups []string
	mine   []*user
	n      int
}

func (w *writer) run(ctx context.Context) {
	for ctx.Err() == nil {
		live := w.live()
		switch op := rand.IntN(10); {
		case op < 3 || len(live) == 0:
			w.create()
		case op < 5:
			w.rename(live[rand.IntN(len(live))])
		case op < 7:
			w.member(live[rand.IntN(len(live))], w.groups[rand.IntN(len(w.groups))], true)
		case op < 8:
			w.member(live[rand.IntN(len(live))], w.groups[rand.IntN(len(w.groups))], false)
		default:
			w.remove(live[rand.IntN(len(live))])
		}
	}
}

func (w *writer) live() []*user {
	var live []*user
	for _, u := range w.mine {
		if !u.deleted {
			live = append(live, u)
		}
	}
	return live
}

// until retries call until it reports an acknowledgement, or gives up after retryFor.
const retryFor = 90 * time.Second

func (w *writer) until(what string, call func() (done bool)) bool {
	deadline := time.Now().Add(retryFor)
	for !call() {
		if time.Now().After(deadline) {
			w.m.mu.Lock()
			w.m.lost = append(w.m.lost, what)
			w.m.mu.Unlock()
			return false
		}
		time.Sleep(500 * time.Millisecond)
	}
	return true
}

func (w *writer) create() {
	w.n++
	u := &user{userName: fmt.Sprintf("%s-w%d-%d", w.prefix, w.id, w.n), displayName: "v0"}
	ok := w.until("create "+u.userName, func() bool {
		a := w.lb.do(http.MethodPost, "/Users", map[string]any{
			"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": u.userName, "displayName": u.displayName})
		switch a.status {
		case http.StatusCreated:
			u.id, _ = a.body["id"].(string)
			return true
		case http.StatusConflict: // an earlier attempt was stored after all
			u.id = w.lookup(u.userName)
			return u.id != ""
		}
		return false
	})
	if ok {
		w.mine = append(w.mine, u)
		w.m.mu.Lock()
		w.m.users[u.userName] = u
		w.m.mu.Unlock()
	}
}

func (w *writer) lookup(userName string) string {
	a := w.lb.do(http.MethodGet, "/Users?filter="+url.QueryEscape(`userName eq "`+userName+`"`), nil)
	resources, _ := a.body["Resources"].([]any)
	if a.status != http.StatusOK || len(resources) != 1 {
		return ""
	}
	id, _ := resources[0].(map[string]any)["id"].(string)
	return id
}

func (w *writer) rename(u *user) {
	value := "v" + strconv.Itoa(rand.IntN(1000))
	if w.until("patch "+u.userName, func() bool {
		a := w.lb.do(http.MethodPatch, "/Users/"+u.id, patchOp("replace", "displayName", value))
		return a.status == http.StatusOK || a.status == http.StatusNoContent
	}) {
		w.m.mu.Lock()
		u.displayName = value
		w.m.mu.Unlock()
	}
}

func (w *writer) member(u *user, group string, add bool) {
	op := patchOp("add", "members", []map[string]string{{"value": u.id}})
	if !add {
		op = patchOp("remove", `members[value eq "`+u.id+`"]`, nil)
	}
	if w.until(fmt.Sprintf("member %v %s %s", add, u.userName, group), func() bool {
		a := w.lb.do(http.MethodPatch, "/Groups/"+group, op)
		return a.status == http.StatusOK || a.status == http.StatusNoContent
	}) {
		w.m.mu.Lock()
		if add {
			w.m.members[group][u.id] = true
		} else {
			delete(w.m.members[group], u.id)
		}
		w.m.mu.Unlock()
	}
}

func (w *writer) remove(u *user) {
	if w.until("delete "+u.userName, func() bool {
		a := w.lb.do(http.MethodDelete, "/Users/"+u.id, nil)
		return a.status == http.StatusNoContent || a.status == http.StatusNotFound
	}) {
		w.m.mu.Lock()
		u.deleted = true
		for _, members := range w.m.members {
			delete(members, u.id)
		}
		w.m.mu.Unlock()
	}
}

func patchOp(op, path string, value any) map[string]any {
	operation := map[string]any{"op": op, "path": path}
	if value != nil {
		operation["value"] = value
	}
	return map[string]any{
		"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []any{operation},
	}
}
