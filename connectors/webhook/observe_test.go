package webhook_test

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/connectors"
)

func TestObserveUser(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		reason  string
		spec    func(*scimv1.WebhookConnector)
		active  *bool
		status  int
		body    string
		want    connectors.Observation
		outcome string
		// requests is how many requests the app gets.
		requests int
	}{
		"found and up to date": {
			reason: "an answer holding every field of the update body is up to date.",
			status: http.StatusOK, body: `{"id": "42", "name": "Barbara Jensen", "active": true, "extra": [1]}`,
			want: connectors.Observation{Exists: true, ExternalID: "42", UpToDate: true}, outcome: "ok", requests: 1,
		},
		"numeric id": {
			reason: "a numeric id is the app's id as written.",
			status: http.StatusOK, body: `{"id": 12345678901234567890, "name": "Barbara Jensen", "active": true}`,
			want: connectors.Observation{Exists: true, ExternalID: "12345678901234567890", UpToDate: true}, outcome: "ok", requests: 1,
		},
		"found without id": {
			reason: "without an id in the answer, the userName is the app's id.",
			status: http.StatusOK, body: `{"name": "Barbara Jensen", "active": true}`,
			want: connectors.Observation{Exists: true, ExternalID: "bjensen@example.com", UpToDate: true}, outcome: "ok", requests: 1,
		},
		"found and different": {
			reason: "a field of the update body with another value is not up to date.",
			status: http.StatusOK, body: `{"id": "42", "name": "Someone Else", "active": true}`,
			want: connectors.Observation{Exists: true, ExternalID: "42"}, outcome: "ok", requests: 1,
		},
		"found without the fields": {
			reason: "an answer missing a field of the update body is not up to date.",
			status: http.StatusOK, body: `{"id": "42"}`,
			want: connectors.Observation{Exists: true, ExternalID: "42"}, outcome: "ok", requests: 1,
		},
		"answer that is not JSON": {
			reason: "an answer that is not JSON proves the account exists but cannot be compared.",
			status: http.StatusOK, body: `OK`,
			want: connectors.Observation{Exists: true, ExternalID: "bjensen@example.com"}, outcome: "ok", requests: 1,
		},
		"inactive with a disable without body": {
			reason: "a request without a body cannot be compared, so it is sent again.",
			active: new(bool),
			status: http.StatusOK, body: `{"id": "42", "active": false}`,
			want: connectors.Observation{Exists: true, ExternalID: "42"}, outcome: "ok", requests: 1,
		},
		"absent": {
			reason: "404 means the app has no such account.",
			status: http.StatusNotFound, body: `{"error": "no such user"}`,
			outcome: "ok", requests: 1,
		},
		"search finds nothing": {
			reason: "a search answering an empty list finds no account.",
			status: http.StatusOK, body: `[]`,
			outcome: "ok", requests: 1,
		},
		"search finds the account": {
			reason: "a search answering one account finds it.",
			status: http.StatusOK, body: `[{"id": "42", "name": "Barbara Jensen", "active": true}]`,
			want: connectors.Observation{Exists: true, ExternalID: "42", UpToDate: true}, outcome: "ok", requests: 1,
		},
		"search finds two": {
			reason: "two accounts for one userName cannot be told apart.",
			status: http.StatusOK, body: `[{"id": "42"}, {"id": "43"}]`,
			outcome: "transient", requests: 1,
		},
		"no get": {
			reason: "without get, the account is reported absent without asking the app.",
			spec:   func(s *scimv1.WebhookConnector) { s.Get = nil },
			status: http.StatusOK, outcome: "ok", requests: 0,
		},
		"unauthorized": {
			reason: "401 is a configuration error.",
			status: http.StatusUnauthorized, outcome: "config", requests: 1,
		},
		"server error": {
			reason: "5xx is transient.",
			status: http.StatusBadGateway, outcome: "transient", requests: 1,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			a := &app{respond: answer(http.MethodGet, tc.status, tc.body)}
			spec := settings(start(t, a))
			if tc.spec != nil {
				tc.spec(&spec)
			}
			u := user()
			if tc.active != nil {
				u.Active = *tc.active
			}
			got, err := connect(t, spec).ObserveUser(t.Context(), u)
			if outcome(err) != tc.outcome {
				t.Fatalf("%s\nObserveUser error = %v (%s), want %s", tc.reason, err, outcome(err), tc.outcome)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nObserveUser (-want +got):\n%s", tc.reason, diff)
			}
			if n := len(a.received()); n != tc.requests {
				t.Errorf("%s\nthe app got %d requests, want %d", tc.reason, n, tc.requests)
			}
		})
	}
}
