package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// downstreamApp is the SCIM app of scenario 6, as the bench needs it: where it is, its token,
// and the moment an account appears in it.
type downstreamApp interface {
	url() string
	token() string
	// expect returns a channel closed once an account with userName exists; ask before the
	// user is created, so that the moment is never missed.
	expect(userName string) <-chan struct{}
	// name says which app this is, for the report.
	name() string
	close()
}

// arrivals tells waiters when accounts appear, by lower-cased userName (SCIM compares
// userNames case-insensitively).
type arrivals struct {
	mu   sync.Mutex
	seen map[string]chan struct{} // closed once the account exists
}

func (a *arrivals) channel(userName string) chan struct{} {
	if a.seen == nil {
		a.seen = map[string]chan struct{}{}
	}
	key := strings.ToLower(userName)
	ch, ok := a.seen[key]
	if !ok {
		ch = make(chan struct{})
		a.seen[key] = ch
	}
	return ch
}

func (a *arrivals) expect(userName string) <-chan struct{} {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.channel(userName)
}

func (a *arrivals) arrived(userName string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	ch := a.channel(userName)
	select {
	case <-ch: // a second create of the same account
	default:
		close(ch)
	}
}

// inProcessApp is a minimal SCIM app for machines without Node.js (where scimmy cannot run):
// users only, in memory, with the requests the scim connector sends (a userName eq filter,
// POST, GET, PUT, PATCH, DELETE by id).
type inProcessApp struct {
	arrivals
	secret string
	ln     net.Listener
	srv    *http.Server

	mu     sync.Mutex
	next   int
	byName map[string]obj // lower-cased userName → resource
	byID   map[string]string
}

func startInProcessApp(token string) (*inProcessApp, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	d := &inProcessApp{secret: token, ln: ln, byName: map[string]obj{}, byID: map[string]string{}}
	d.srv = &http.Server{Handler: d, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = d.srv.Serve(ln) }()
	return d, nil
}

func (d *inProcessApp) url() string   { return "http://" + d.ln.Addr().String() + "/scim/v2" }
func (d *inProcessApp) token() string { return d.secret }
func (d *inProcessApp) name() string  { return "in-process SCIM app (cmd/bench/downstream.go)" }
func (d *inProcessApp) close()        { _ = d.srv.Close() }

func (d *inProcessApp) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+d.secret {
		scimError(w, http.StatusUnauthorized, "bad token")
		return
	}
	path, ok := strings.CutPrefix(r.URL.Path, "/scim/v2/Users")
	if !ok {
		scimError(w, http.StatusNotFound, "only /Users is served")
		return
	}
	id := strings.TrimPrefix(path, "/")
	var body obj
	if r.Method == http.MethodPost || r.Method == http.MethodPut || r.Method == http.MethodPatch {
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			scimError(w, http.StatusBadRequest, err.Error())
			return
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	switch {
	case id == "" && r.Method == http.MethodGet:
		d.list(w, r.URL.Query().Get("filter"))
	case id == "" && r.Method == http.MethodPost:
		d.create(w, body)
	case id == "":
		scimError(w, http.StatusMethodNotAllowed, r.Method)
	case d.byID[id] == "":
		scimError(w, http.StatusNotFound, "no user "+id)
	case r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, d.byName[d.byID[id]])
	case r.Method == http.MethodPut:
		body["id"] = id
		d.byName[d.byID[id]] = body
		writeJSON(w, http.StatusOK, body)
	case r.Method == http.MethodPatch:
		d.patch(d.byName[d.byID[id]], body)
		w.WriteHeader(http.StatusNoContent)
	case r.Method == http.MethodDelete:
		delete(d.byName, d.byID[id])
		delete(d.byID, id)
		w.WriteHeader(http.StatusNoContent)
	default:
		scimError(w, http.StatusMethodNotAllowed, r.Method)
	}
}

// list answers `userName eq "…"`, the one filter the connector sends; no filter lists all.
func (d *inProcessApp) list(w http.ResponseWriter, filter string) {
	var found []obj
	if filter == "" {
		for _, u := range d.byName {
			found = append(found, u)
		}
	} else {
		attr, value, ok := strings.Cut(filter, " eq ")
		var name string
		if !ok || !strings.EqualFold(attr, "userName") || json.Unmarshal([]byte(value), &name) != nil {
			scimError(w, http.StatusBadRequest, "unsupported filter "+filter)
			return
		}
		if u := d.byName[strings.ToLower(name)]; u != nil {
			found = append(found, u)
		}
	}
	writeJSON(w, http.StatusOK, obj{
		"schemas":      []string{"urn:ietf:params:scim:api:messages:2.0:ListResponse"},
		"totalResults": len(found), "startIndex": 1, "itemsPerPage": len(found), "Resources": found,
	})
}

func (d *inProcessApp) create(w http.ResponseWriter, body obj) {
	name, _ := body["userName"].(string)
	key := strings.ToLower(name)
	if name == "" {
		scimError(w, http.StatusBadRequest, "userName is required")
		return
	}
	if d.byName[key] != nil {
		scimError(w, http.StatusConflict, "userName exists")
		return
	}
	d.next++
	id := fmt.Sprintf("app-%d", d.next)
	body["id"] = id
	delete(body, "password")
	d.byName[key], d.byID[id] = body, key
	d.arrived(name)
	writeJSON(w, http.StatusCreated, body)
}

// patch applies replace/add/remove of top-level attributes, which is all the connector sends
// for the attributes it manages.
func (d *inProcessApp) patch(u obj, body obj) {
	ops, _ := body["Operations"].([]any)
	for _, o := range ops {
		op, _ := o.(map[string]any)
		kind, _ := op["op"].(string)
		path, _ := op["path"].(string)
		switch {
		case strings.EqualFold(kind, "remove") && path != "":
			delete(u, path)
		case path != "":
			u[path] = op["value"]
		default:
			if m, ok := op["value"].(map[string]any); ok {
				for k, v := range m {
					u[k] = v
				}
			}
		}
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", scimMediaType)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func scimError(w http.ResponseWriter, status int, detail string) {
	writeJSON(w, status, obj{
		"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:Error"},
		"status":  fmt.Sprint(status), "detail": detail,
	})
}
