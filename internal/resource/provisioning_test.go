package resource

import (
	"strings"
	"testing"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
)

// An entry recorded for an older generation reports Pending: the change just written has not
// reached the app, whatever the app's state was before it.
func TestReportedAppsOfAnOlderGenerationArePending(t *testing.T) {
	apps := []scimv1.AppProvisioningStatus{
		{Name: "current", State: scimv1.ProvisioningProvisioned, ObservedGeneration: 3},
		{Name: "behind", State: scimv1.ProvisioningProvisioned, ExternalID: "42", ObservedGeneration: 2},
		{Name: "failed-behind", State: scimv1.ProvisioningFailed, Message: "refused", ObservedGeneration: 1},
	}
	got := reportedApps(apps, 3)
	want := []struct{ state, message string }{
		{string(scimv1.ProvisioningProvisioned), ""},
		{string(scimv1.ProvisioningPending), PendingChange},
		{string(scimv1.ProvisioningPending), PendingChange},
	}
	for i, w := range want {
		if string(got[i].State) != w.state || got[i].Message != w.message {
			t.Errorf("%s: %s %q, want %s %q", got[i].Name, got[i].State, got[i].Message, w.state, w.message)
		}
	}
	if got[1].ExternalID != "42" {
		t.Errorf("externalId %q, want the entry's", got[1].ExternalID)
	}
	if apps[1].State != scimv1.ProvisioningProvisioned {
		t.Error("the status itself was changed")
	}
	u := &scimv1.ScimUser{Spec: scimv1.ScimUserSpec{UserName: "ada"}}
	u.Generation = 3
	u.Status.Apps = apps
	data, err := Marshal(NewUser(u, nil, noLocations{}))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `{"name":"behind","state":"Pending","externalId":"42","message":"`+PendingChange+`"`) {
		t.Errorf("representation: %s", data)
	}
}

type noLocations struct{}

func (noLocations) UserLocation(string) string  { return "" }
func (noLocations) GroupLocation(string) string { return "" }
