package provisioning_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/internal/testapps/scimmy"
)

// TestSCIM provisions into a SCIM 2.0 service provider this project did not write (scimmy):
// users and groups become its Users and Groups.
func TestSCIM(t *testing.T) {
	t.Parallel()
	testLifecycle(t, newSCIMApp(t))
}

type scimApp struct{ srv *scimmy.Server }

func newSCIMApp(t *testing.T) *scimApp {
	srv, err := scimmy.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Error(err)
		}
	})
	return &scimApp{srv: srv}
}

func (a *scimApp) connector() (scimv1.Connectors, map[string][]byte) {
	return scimv1.Connectors{SCIM: &scimv1.SCIMConnector{
		// insecure: the test's SCIM app listens on 127.0.0.1 without TLS.
		URL: a.srv.URL(), Insecure: true, BearerToken: &scimv1.SecretKeyRef{Name: appSecret, Key: "token"},
	}}, map[string][]byte{"token": []byte(a.srv.Token())}
}

// request is a request to the app with its own token, as the app's administrator would send.
func (a *scimApp) request(method, path string) (map[string]any, error) {
	req, err := http.NewRequest(method, a.srv.URL()+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+a.srv.Token())
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	var doc map[string]any
	_ = json.NewDecoder(res.Body).Decode(&doc)
	if res.StatusCode/100 != 2 {
		return nil, fmt.Errorf("%s %s: %d %v", method, path, res.StatusCode, doc)
	}
	return doc, nil
}

// find lists the resources of endpoint whose attr equals value.
func (a *scimApp) find(endpoint, attr, value string) ([]map[string]any, error) {
	q := url.Values{"filter": {attr + ` eq "` + value + `"`}}
	doc, err := a.request(http.MethodGet, endpoint+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	list, _ := doc["Resources"].([]any)
	out := make([]map[string]any, len(list))
	for i, r := range list {
		out[i], _ = r.(map[string]any)
	}
	return out, nil
}

// one finds exactly one resource, or says what it found.
func (a *scimApp) one(endpoint, attr, value string) (map[string]any, error) {
	found, err := a.find(endpoint, attr, value)
	if err != nil {
		return nil, err
	}
	if len(found) != 1 {
		return nil, fmt.Errorf("%d %s with %s %q, want 1", len(found), strings.TrimPrefix(endpoint, "/"), attr, value)
	}
	return found[0], nil
}

// account: one User with the userName, the user's displayName and primary email, and active
// as the user is. (A SCIM app never returns passwords.)
func (a *scimApp) account(u wantUser) error {
	r, err := a.one("/Users", "userName", u.UserName)
	if err != nil {
		return err
	}
	active, ok := r["active"].(bool)
	if !ok {
		active = true
	}
	var email string
	emails, _ := r["emails"].([]any)
	for _, e := range emails {
		if e, _ := e.(map[string]any); e["primary"] == true {
			email, _ = e["value"].(string)
		}
	}
	if active != u.Active || r["displayName"] != u.DisplayName || email != u.Email {
		return fmt.Errorf("user %s: active %v, displayName %v, primary email %q; want %v, %q, %q",
			u.UserName, active, r["displayName"], email, u.Active, u.DisplayName, u.Email)
	}
	return nil
}

func (a *scimApp) noAccount(userName string) error {
	found, err := a.find("/Users", "userName", userName)
	if err == nil && len(found) > 0 {
		err = fmt.Errorf("user %s exists: %v", userName, found)
	}
	return err
}

func (a *scimApp) accounts(t *testing.T, userName string) int {
	found, err := a.find("/Users", "userName", userName)
	if err != nil {
		t.Fatal(err)
	}
	return len(found)
}

// group: one Group with the displayName whose members are the members' Users.
func (a *scimApp) group(displayName string, members ...string) error {
	g, err := a.one("/Groups", "displayName", displayName)
	if err != nil {
		return err
	}
	var have []string
	list, _ := g["members"].([]any)
	for _, m := range list {
		m, _ := m.(map[string]any)
		id, _ := m["value"].(string)
		u, err := a.request(http.MethodGet, "/Users/"+url.PathEscape(id))
		if err != nil {
			return fmt.Errorf("member %s of %s: %w", id, displayName, err)
		}
		have = append(have, fmt.Sprint(u["userName"]))
	}
	slices.Sort(have)
	if want := slices.Sorted(slices.Values(members)); !slices.Equal(have, want) {
		return fmt.Errorf("members of %s: %v, want %v", displayName, have, want)
	}
	return nil
}

func (a *scimApp) noGroup(displayName string) error {
	found, err := a.find("/Groups", "displayName", displayName)
	if err == nil && len(found) > 0 {
		err = fmt.Errorf("group %s exists: %v", displayName, found)
	}
	return err
}

func (a *scimApp) deleteAccount(t *testing.T, userName string) {
	u, err := a.one("/Users", "userName", userName)
	if err == nil {
		_, err = a.request(http.MethodDelete, "/Users/"+url.PathEscape(fmt.Sprint(u["id"])))
	}
	if err != nil {
		t.Fatal(err)
	}
}

func (a *scimApp) down(t *testing.T) {
	if err := a.srv.Down(); err != nil {
		t.Fatal(err)
	}
}

func (a *scimApp) up(t *testing.T) {
	if err := a.srv.Up(); err != nil {
		t.Fatal(err)
	}
}
