package operator_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
)

// table fetches what `kubectl get <resource> -n ns` prints: the server-side table.
func table(ns, resource string) (metav1.Table, error) {
	var tbl metav1.Table
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return tbl, err
	}
	url := fmt.Sprintf("%s/apis/%s/namespaces/%s/%s", strings.TrimSuffix(cfg.Host, "/"), scimv1.GroupVersion, ns, resource)
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io")
	res, err := hc.Do(req)
	if err != nil {
		return tbl, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return tbl, err
	}
	if err := json.Unmarshal(body, &tbl); err != nil {
		return tbl, fmt.Errorf("%s: %w: %s", url, err, body)
	}
	return tbl, nil
}

func columns(tbl metav1.Table, priority int32) []string {
	var names []string
	for _, c := range tbl.ColumnDefinitions {
		if c.Priority <= priority {
			names = append(names, c.Name)
		}
	}
	return names
}

func TestKubectlGetShowsTheColumnsAUserChecks(t *testing.T) {
	ns, token := newTenant(t)
	userID := call(t, token, http.MethodPost, "/Users", oktaCreateUser("ada@example.com")).Expect(t, http.StatusCreated).Body["id"].(string)
	call(t, token, http.MethodPost, "/Groups", map[string]any{
		"displayName": "Admins", "members": []map[string]any{{"value": userID}},
	}).Expect(t, http.StatusCreated)

	eventually(t, func() error {
		users, err := table(ns, "scimusers")
		if err != nil {
			return err
		}
		if diff := cmp.Diff([]string{"Name", "Username", "Display Name", "Active", "Ready", "Age"}, columns(users, 0)); diff != "" {
			return fmt.Errorf("scimusers columns (-want +got):\n%s", diff)
		}
		if len(users.Rows) != 1 {
			return fmt.Errorf("%d rows", len(users.Rows))
		}
		if diff := cmp.Diff([]any{userID, "ada@example.com", "Ada Lovelace", true, "True"}, users.Rows[0].Cells[:5]); diff != "" {
			return fmt.Errorf("scimusers row (-want +got):\n%s", diff)
		}
		groups, err := table(ns, "scimgroups")
		if err != nil {
			return err
		}
		if diff := cmp.Diff([]string{"Name", "Display Name", "Members", "Ready", "Age"}, columns(groups, 0)); diff != "" {
			return fmt.Errorf("scimgroups columns (-want +got):\n%s", diff)
		}
		if len(groups.Rows) != 1 {
			return fmt.Errorf("%d rows", len(groups.Rows))
		}
		if diff := cmp.Diff([]any{"Admins", float64(1), "True"}, groups.Rows[0].Cells[1:4]); diff != "" {
			return fmt.Errorf("scimgroups row (-want +got):\n%s", diff)
		}
		return nil
	})
}

func TestShortNamesAndTheScimCategory(t *testing.T) {
	for name, want := range map[string]apiextensionsv1.CustomResourceDefinitionNames{
		"scimusers.scim.scim-operator.io":  {ShortNames: []string{"su"}, Categories: []string{"scim"}},
		"scimgroups.scim.scim-operator.io": {ShortNames: []string{"sg"}, Categories: []string{"scim"}},
	} {
		var crd apiextensionsv1.CustomResourceDefinition
		if err := k8s.Get(context.Background(), types.NamespacedName{Name: name}, &crd); err != nil {
			t.Fatal(err)
		}
		got := apiextensionsv1.CustomResourceDefinitionNames{ShortNames: crd.Spec.Names.ShortNames, Categories: crd.Spec.Names.Categories}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s names (-want +got):\n%s", name, diff)
		}
	}
}

// A duplicate made with kubectl is reported on its status, and only the older user keeps the
// userName; when the older one goes, the newer becomes Ready.
func TestDuplicateUserNameMadeWithKubectlIsReported(t *testing.T) {
	ns, token := newTenant(t)
	ctx := context.Background()
	first := &scimv1.ScimUser{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "first"}, Spec: scimv1.ScimUserSpec{UserName: "dup@example.com"}}
	if err := k8s.Create(ctx, first); err != nil {
		t.Fatal(err)
	}
	waitReady(t, ns, "first", metav1.ConditionTrue, scimv1.ReasonAccepted)
	second := &scimv1.ScimUser{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "second"}, Spec: scimv1.ScimUserSpec{UserName: "DUP@example.com"}}
	if err := k8s.Create(ctx, second); err != nil {
		t.Fatal(err)
	}
	waitReady(t, ns, "second", metav1.ConditionFalse, scimv1.ReasonDuplicate)
	waitReady(t, ns, "first", metav1.ConditionTrue, scimv1.ReasonAccepted)
	// SCIM serves the one that holds the userName, in listings and filters alike.
	servedIDs := func() []string {
		var ids []string
		for _, q := range []url.Values{nil, {"filter": {`userName eq "dup@example.com"`}}} {
			res := get(t, token, "/Users", q).Expect(t, http.StatusOK)
			for _, r := range res.Body["Resources"].([]any) {
				ids = append(ids, r.(map[string]any)["id"].(string))
			}
		}
		return ids
	}
	eventually(t, func() error {
		if ids := servedIDs(); !slices.Equal(ids, []string{"first", "first"}) {
			return fmt.Errorf("served %v, want first in the listing and the filter", ids)
		}
		return nil
	})

	if err := k8s.Delete(ctx, first); err != nil {
		t.Fatal(err)
	}
	waitReady(t, ns, "second", metav1.ConditionTrue, scimv1.ReasonAccepted)
	eventually(t, func() error {
		if ids := servedIDs(); !slices.Equal(ids, []string{"second", "second"}) {
			return fmt.Errorf("served %v, want second once first is gone", ids)
		}
		return nil
	})
}

func waitReady(t *testing.T, ns, name string, status metav1.ConditionStatus, reason string) {
	t.Helper()
	eventually(t, func() error {
		var u scimv1.ScimUser
		if err := k8s.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, &u); err != nil {
			return err
		}
		c := meta.FindStatusCondition(u.Status.Conditions, scimv1.ConditionReady)
		if c == nil || c.Status != status || c.Reason != reason || c.ObservedGeneration != u.Generation || u.Status.ObservedGeneration != u.Generation {
			return fmt.Errorf("%s: Ready is %+v, want %s/%s", name, c, status, reason)
		}
		return nil
	})
}

func TestAPIServerValidatesWhatItCan(t *testing.T) {
	ns, _ := newTenant(t)
	cases := map[string]scimv1.ScimUserSpec{
		"empty userName":      {UserName: ""},
		"two primary emails":  {UserName: "x", Emails: []scimv1.MultiValuedAttribute{{Value: "a", Primary: true}, {Value: "b", Primary: true}}},
		"two primary address": {UserName: "x", Addresses: []scimv1.Address{{Primary: true}, {Primary: true}}},
	}
	for reason, spec := range cases {
		u := &scimv1.ScimUser{ObjectMeta: metav1.ObjectMeta{Namespace: ns, GenerateName: "bad-"}, Spec: spec}
		if err := k8s.Create(context.Background(), u); err == nil {
			t.Errorf("%s: the API server accepted it", reason)
		}
	}
	// active defaults to true, as identity providers expect of a user created without it.
	u := &scimv1.ScimUser{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "defaulted"}, Spec: scimv1.ScimUserSpec{UserName: "y"}}
	if err := k8s.Create(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	if !ptr.Deref(u.Spec.Active, false) {
		t.Errorf("active %v, want true", u.Spec.Active)
	}
}
