package scim_test

import (
	"testing"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/connectors"
	"github.com/scim-operator/scim-operator/connectors/scim"
)

// TestPlaintextNeedsInsecure: an http:// url would send the token and every user in clear
// text; it is a configuration error unless the app sets insecure.
func TestPlaintextNeedsInsecure(t *testing.T) {
	for name, tc := range map[string]struct {
		conn    scimv1.SCIMConnector
		wantErr bool
	}{
		"http":               {scimv1.SCIMConnector{URL: "http://app.example/scim/v2", BearerToken: &tokenRef}, true},
		"http with insecure": {scimv1.SCIMConnector{URL: "http://app.example/scim/v2", Insecure: true, BearerToken: &tokenRef}, false},
		"https":              {scimv1.SCIMConnector{URL: "https://app.example/scim/v2", BearerToken: &tokenRef}, false},
	} {
		t.Run(name, func(t *testing.T) {
			a, s := app(tc.conn, nil)
			c, err := scim.Connector{}.Connect(t.Context(), a, s)
			if err == nil {
				_ = c.Close()
			}
			if tc.wantErr != (err != nil) || (err != nil && !connectors.IsConfig(err)) {
				t.Errorf("Connect: %v; want a configuration error: %v", err, tc.wantErr)
			}
		})
	}
}
