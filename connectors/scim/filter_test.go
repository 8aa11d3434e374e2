package scim_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/connectors"
	"github.com/scim-operator/scim-operator/internal/filter"
	"github.com/scim-operator/scim-operator/internal/schema"
)

// hostile are userNames that would break out of a filter literal written carelessly.
var hostile = []string{
	`o"brien`,
	`back\slash`,
	`x" or userName pr "`,
	`trailing\`,
	"new\nline\ttab",
	`<b>&amp;</b>`,
}

// fakeApp is a SCIM app in Go for what the scimmy server cannot show: it evaluates filters
// with the operator's own RFC 7644 parser (internal/filter), or, when sloppy, ignores them and
// answers every user. It records the requests.
type fakeApp struct {
	users  []map[string]any
	sloppy bool
	// status, when set, answers every request.
	status int
	body   string

	mu       sync.Mutex
	requests []recorded
}

type recorded struct {
	Method, Path string
	Body         map[string]any
}

func (f *fakeApp) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := recorded{Method: r.Method, Path: r.URL.Path}
	_ = json.NewDecoder(r.Body).Decode(&rec.Body)
	f.mu.Lock()
	f.requests = append(f.requests, rec)
	f.mu.Unlock()

	w.Header().Set("Content-Type", "application/scim+json")
	if f.status != 0 {
		w.WriteHeader(f.status)
		_, _ = w.Write([]byte(f.body))
		return
	}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/Users":
		found := f.users
		if !f.sloppy {
			flt, err := filter.Parse(r.URL.Query().Get("filter"), schema.UserResourceType)
			if err != nil {
				w.WriteHeader(http.StatusBadRequest)
				_, _ = w.Write([]byte(`{"detail":` + quote(err.Error()) + `}`))
				return
			}
			found = nil
			for _, u := range f.users {
				if flt.Matches(u) {
					found = append(found, u)
				}
			}
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"totalResults": len(found), "Resources": found})
	case r.Method == http.MethodPost:
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"id":"new"}`))
	case r.Method == http.MethodGet:
		_, _ = w.Write([]byte(`{"id":"new","userName":"someone"}`))
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// serve starts f and connects to it with updateMethod.
func serve(t *testing.T, f *fakeApp, updateMethod string) connectors.Client {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return connect(t, scimv1.SCIMConnector{URL: srv.URL, Insecure: true, BearerToken: &tokenRef, UpdateMethod: updateMethod}, nil)
}

func TestFilterKeepsUserNameOneLiteral(t *testing.T) {
	t.Parallel()
	users := []map[string]any{{"id": "alice", "userName": "alice"}}
	for i, name := range hostile {
		users = append(users, map[string]any{"id": "hostile-" + string(rune('a'+i)), "userName": name})
	}
	for i, name := range hostile {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			t.Log("quotes, backslashes and control characters stay inside the filter's one string literal (RFC 7644 §3.4.2.2).")
			c := serve(t, &fakeApp{users: users}, "")
			got, err := c.ObserveUser(t.Context(), connectors.User{UserName: name})
			if err != nil {
				t.Fatalf("ObserveUser: %v", err)
			}
			want := "hostile-" + string(rune('a'+i))
			if !got.Exists || got.ExternalID != want {
				t.Errorf("ObserveUser(%q) = %+v, want the account %q", name, got, want)
			}
		})
	}
}

func TestObserveTrustsOnlyExactMatches(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		reason   string
		userName string
		users    []map[string]any
		want     connectors.Observation
		// wantErr says ObserveUser fails.
		wantErr bool
	}{
		"exact match among others": {
			reason:   "of an answer holding everyone, only the account with the userName counts.",
			userName: "bob",
			users:    []map[string]any{{"id": "1", "userName": "alice"}, {"id": "2", "userName": "bob"}, {"id": "3", "userName": "BOB"}},
			want:     connectors.Observation{Exists: true, ExternalID: "2"},
		},
		"one match in another case": {
			reason:   "userName is case-insensitive in SCIM: the one account that differs in case is it.",
			userName: "carol",
			users:    []map[string]any{{"id": "1", "userName": "alice"}, {"id": "4", "userName": "Carol"}},
			want:     connectors.Observation{Exists: true, ExternalID: "4"},
		},
		"no match": {
			reason:   "an answer without the userName means the account does not exist.",
			userName: "dave",
			users:    []map[string]any{{"id": "1", "userName": "alice"}},
		},
		"ambiguous case": {
			reason:   "two accounts differing only in case from the userName cannot be told apart.",
			userName: "erin",
			users:    []map[string]any{{"id": "5", "userName": "Erin"}, {"id": "6", "userName": "ERIN"}},
			wantErr:  true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := serve(t, &fakeApp{users: tc.users, sloppy: true}, "")
			got, err := c.ObserveUser(t.Context(), connectors.User{UserName: tc.userName})
			if (err != nil) != tc.wantErr {
				t.Fatalf("%s\nObserveUser error = %v, want error %v", tc.reason, err, tc.wantErr)
			}
			// UpToDate is beside the point here: the fake's accounts hold only id and userName.
			got.UpToDate = false
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nObserveUser (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}

// TestQuotedUserNameAgainstScimmy shows what a quote does against scimmy, whose filter lexer
// (1.3.5) does not know RFC 7644's escapes and refuses the filter: the observation fails
// rather than matching anyone.
func TestQuotedUserNameAgainstScimmy(t *testing.T) {
	t.Parallel()
	c := connect(t, bearer(""), nil)
	mustCreate(t, c, user(unique("victim")))
	for _, name := range hostile[:3] {
		got, err := c.ObserveUser(t.Context(), connectors.User{UserName: name})
		if got.Exists {
			t.Errorf("ObserveUser(%q) = %+v, %v: it matched an account of another userName", name, got, err)
		}
		if err != nil && !strings.Contains(err.Error(), "400") {
			t.Errorf("ObserveUser(%q) failed otherwise than with scimmy's 400: %v", name, err)
		}
	}
}
