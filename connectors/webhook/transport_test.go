package webhook_test

import (
	"testing"

	"github.com/scim-operator/scim-operator/connectors"
	"github.com/scim-operator/scim-operator/connectors/webhook"
)

// TestPlaintextNeedsInsecure: an http:// url would send the token and every user in clear
// text; it is a configuration error unless the app sets insecure.
func TestPlaintextNeedsInsecure(t *testing.T) {
	for name, tc := range map[string]struct {
		url      string
		insecure bool
		wantErr  bool
	}{
		"http":               {"http://app.example", false, true},
		"http with insecure": {"http://app.example", true, false},
		"https":              {"https://app.example", false, false},
	} {
		t.Run(name, func(t *testing.T) {
			spec := settings(tc.url)
			spec.Insecure = tc.insecure
			c, err := webhook.Connector{}.Connect(t.Context(), appOf(spec), secrets{tokenRef: token})
			if err == nil {
				_ = c.Close()
			}
			if tc.wantErr != (err != nil) || (err != nil && !connectors.IsConfig(err)) {
				t.Errorf("Connect: %v; want a configuration error: %v", err, tc.wantErr)
			}
		})
	}
}
