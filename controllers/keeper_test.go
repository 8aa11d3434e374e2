package controllers

import (
	"errors"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
)

func user(name string, created time.Time, deleting bool) scimv1.ScimUser {
	u := scimv1.ScimUser{ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: metav1.NewTime(created)}}
	if deleting {
		u.DeletionTimestamp = &metav1.Time{Time: created}
	}
	return u
}

// TestKeeper: of resources sharing a value, the one the claim names keeps it, however new and
// whatever its name; without it, the oldest, then the first by name; one being deleted keeps
// nothing, and the claim is not read when nothing is contested.
func TestKeeper(t *testing.T) {
	second := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	claimNames := func(holder string) func() (string, error) {
		return func() (string, error) { return holder, nil }
	}
	unread := func() (string, error) { return "", errors.New("the claim was read") }
	for _, tc := range []struct {
		name  string
		users []scimv1.ScimUser
		claim func() (string, error)
		want  string
	}{
		{"claimed beats an older kubectl user", []scimv1.ScimUser{user("0-kubectl", second.Add(-time.Hour), false), user("scim", second, false)}, claimNames("scim"), "scim"},
		{"claimed beats a kubectl user of the same second that sorts first", []scimv1.ScimUser{user("0-kubectl", second, false), user("scim", second, false)}, claimNames("scim"), "scim"},
		{"claimless: oldest", []scimv1.ScimUser{user("a", second, false), user("b", second.Add(-time.Second), false)}, claimNames(""), "b"},
		{"claimless: same second, first by name", []scimv1.ScimUser{user("b", second, false), user("a", second, false)}, claimNames("gone"), "a"},
		{"deleting keeps nothing", []scimv1.ScimUser{user("old", second.Add(-time.Hour), true), user("new", second, false)}, unread, ""},
		{"alone", []scimv1.ScimUser{user("only", second, false)}, unread, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := keeper(tc.users, tc.claim)
			if err != nil {
				t.Fatal(err)
			}
			name := ""
			if got != nil {
				name = got.GetName()
			}
			if name != tc.want {
				t.Errorf("keeper %q, want %q", name, tc.want)
			}
		})
	}
}
