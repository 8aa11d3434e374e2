package scimmy_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/scim-operator/scim-operator/internal/testapps/proc"
	"github.com/scim-operator/scim-operator/internal/testapps/scimmy"
)

func TestMain(m *testing.M) {
	if os.Getenv(proc.OrphanEnv) != "" {
		proc.ServeOrphan(func() (string, error) {
			s, err := scimmy.Start()
			if err != nil {
				return "", err
			}
			u, err := url.Parse(s.URL())
			return u.Host, err
		})
	}
	os.Exit(m.Run())
}

func TestDownAndUpKeepTheData(t *testing.T) {
	s, err := scimmy.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := s.Stop(); err != nil {
			t.Error(err)
		}
	}()
	status, user := call(t, s, http.MethodPost, "/Users", map[string]any{
		"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": "kept",
	})
	if status != http.StatusCreated {
		t.Fatalf("POST /Users: %d %v", status, user)
	}
	status, group := call(t, s, http.MethodPost, "/Groups", map[string]any{
		"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"}, "displayName": "kept",
		"members": []any{map[string]any{"value": user["id"]}},
	})
	if status != http.StatusCreated {
		t.Fatalf("POST /Groups: %d %v", status, group)
	}

	if err := s.Down(); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(s.URL() + "/Users"); err == nil {
		t.Fatal("the server answers while it is down")
	}
	if err := s.Up(); err != nil {
		t.Fatal(err)
	}
	if status, got := call(t, s, http.MethodGet, "/Users/"+user["id"].(string), nil); status != http.StatusOK || got["userName"] != "kept" {
		t.Errorf("the user made before the outage, after it: %d %v", status, got)
	}
	status, got := call(t, s, http.MethodGet, "/Groups/"+group["id"].(string), nil)
	if members, _ := got["members"].([]any); status != http.StatusOK || len(members) != 1 {
		t.Errorf("the group made before the outage, after it: %d %v", status, got)
	}
}

func TestServerDiesWithTheTestBinary(t *testing.T) {
	if addr, err := proc.KillWhileRunning(60 * time.Second); err != nil {
		t.Fatalf("%s: %v", addr, err)
	}
	proc.RemoveStale("scim-scimmy-") // the files it left
}

func call(t *testing.T, s *scimmy.Server, method, path string, body any) (int, map[string]any) {
	t.Helper()
	data, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	if body == nil {
		data = nil
	}
	req, err := http.NewRequest(method, s.URL()+path, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.Token())
	req.Header.Set("Content-Type", "application/scim+json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var doc map[string]any
	if err := json.NewDecoder(res.Body).Decode(&doc); err != nil {
		t.Fatal(fmt.Errorf("%s %s: %w", method, path, err))
	}
	return res.StatusCode, doc
}
