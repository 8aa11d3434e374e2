package scim_test

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scim-operator/scim-operator/connectors"
)

const department = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"

// mapping makes the connector send title and the enterprise department; the values, the
// source paths, are the controller's business.
var mapping = map[string]string{"title": "title", department: department}

// user is a user with every attribute the connector sends.
func user(userName string) connectors.User {
	return connectors.User{
		ID: "scim-" + userName, UserName: userName, ExternalID: "idp-" + userName, Active: true,
		DisplayName: "Barbara Jensen", GivenName: "Barbara", FamilyName: "Jensen", Email: userName,
		Attributes: map[string]string{"title": "Tour Guide", department: "Tours"},
	}
}

// account is what the tests look at of a user in the app.
type account struct {
	UserName, ExternalID, GivenName, FamilyName, DisplayName, Email, Title, Department string
	Active                                                                             bool
}

func accountOf(doc map[string]any) account {
	str := func(m any, key string) string {
		s, _ := m.(map[string]any)[key].(string)
		return s
	}
	a := account{
		UserName: str(doc, "userName"), ExternalID: str(doc, "externalId"), DisplayName: str(doc, "displayName"),
		GivenName: str(doc["name"], "givenName"), FamilyName: str(doc["name"], "familyName"),
		Title: str(doc, "title"), Department: str(doc["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"], "department"),
	}
	a.Active, _ = doc["active"].(bool)
	if emails, _ := doc["emails"].([]any); len(emails) > 0 {
		a.Email = str(emails[0], "value")
	}
	return a
}

// expected is the account u should have in the app.
func expected(u connectors.User) account {
	ext := u.ExternalID
	if ext == "" {
		ext = u.ID
	}
	return account{
		UserName: u.UserName, ExternalID: ext, GivenName: u.GivenName, FamilyName: u.FamilyName,
		DisplayName: u.DisplayName, Email: u.Email, Title: u.Attributes["title"],
		Department: u.Attributes[department], Active: u.Active,
	}
}

func TestUsers(t *testing.T) {
	t.Parallel()
	edit := func(u *connectors.User) {
		u.GivenName, u.FamilyName, u.DisplayName = "Babs", "Jensen-Smith", "Babs Jensen-Smith"
		u.Email = "babs." + u.UserName
		u.Attributes = map[string]string{"title": "Manager", department: "Sales"}
	}
	clear := func(u *connectors.User) {
		u.DisplayName = ""
		u.Attributes = map[string]string{department: "Tours"}
	}
	deactivate := func(u *connectors.User) { u.Active = false }
	activate := func(u *connectors.User) { u.Active = true }

	cases := map[string]struct {
		reason string
		// method is the app's updateMethod.
		method string
		// create changes the user before it is created, change before it is updated (no update
		// when nil).
		create, change func(*connectors.User)
	}{
		"create": {
			reason: "a new account holds every attribute the connector sends.",
		},
		"create inactive": {
			reason: "a user created inactive arrives with active false.",
			create: deactivate,
		},
		"externalId falls back to the SCIM id": {
			reason: "a user without an identity provider externalId is sent the operator's SCIM id.",
			create: func(u *connectors.User) { u.ExternalID = "" },
		},
		"update with PATCH": {
			reason: "PATCH replaces the attributes that changed.",
			method: http.MethodPatch, change: edit,
		},
		"PATCH removes what the user no longer has": {
			reason: "an attribute the user lost is removed from the account.",
			method: http.MethodPatch, change: clear,
		},
		"update with PUT": {
			reason: "PUT replaces the account with the user.",
			method: http.MethodPut, change: edit,
		},
		"PUT removes what the user no longer has": {
			reason: "a PUT leaves out an attribute the user lost.",
			method: http.MethodPut, change: clear,
		},
		"deactivate with PATCH": {
			reason: "a deactivated user's account gets active false.",
			method: http.MethodPatch, change: deactivate,
		},
		"reactivate with PATCH": {
			reason: "a reactivated user's account gets active true again.",
			method: http.MethodPatch, create: deactivate, change: activate,
		},
		"deactivate with PUT": {
			reason: "a PUT carries active false.",
			method: http.MethodPut, change: deactivate,
		},
		"reactivate with PUT": {
			reason: "a PUT carries active true.",
			method: http.MethodPut, create: deactivate, change: activate,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			c := connect(t, bearer(tc.method), mapping)
			u := user(unique("user"))
			if tc.create != nil {
				tc.create(&u)
			}
			id, err := c.CreateUser(ctx, u)
			if err != nil {
				t.Fatalf("%s\nCreateUser: %v", tc.reason, err)
			}
			observe(t, tc.reason, c, u, connectors.Observation{Exists: true, ExternalID: id, UpToDate: true})
			if tc.change != nil {
				tc.change(&u)
				observe(t, tc.reason, c, u, connectors.Observation{Exists: true, ExternalID: id, UpToDate: false})
				if err := c.UpdateUser(ctx, u, id); err != nil {
					t.Fatalf("%s\nUpdateUser: %v", tc.reason, err)
				}
				observe(t, tc.reason, c, u, connectors.Observation{Exists: true, ExternalID: id, UpToDate: true})
			}
			if diff := cmp.Diff(expected(u), accountOf(downstream(t, "/Users", id))); diff != "" {
				t.Errorf("%s\naccount in the app (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}

// observe checks what ObserveUser reports of u.
func observe(t *testing.T, reason string, c connectors.Client, u connectors.User, want connectors.Observation) {
	t.Helper()
	got, err := c.ObserveUser(t.Context(), u)
	if err != nil {
		t.Fatalf("%s\nObserveUser: %v", reason, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s\nObserveUser (-want +got):\n%s", reason, diff)
	}
}
