package tenant

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
)

// builderIndexer registers SetupIndexes' indexes with a fake client builder.
type builderIndexer struct{ b *fake.ClientBuilder }

func (i builderIndexer) IndexField(_ context.Context, obj client.Object, field string, f client.IndexerFunc) error {
	i.b.WithIndex(obj, field, f)
	return nil
}

var t0 = time.Unix(1_800_000_000, 0)

func scimTenant(ns, name string, created time.Duration, issuers ...scimv1.JWTIssuer) *scimv1.ScimTenant {
	return &scimv1.ScimTenant{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, UID: types.UID(ns + "/" + name),
			CreationTimestamp: metav1.NewTime(t0.Add(created))},
		Spec: scimv1.ScimTenantSpec{JWTIssuers: issuers},
	}
}

func trusting(issuer string, audiences ...string) scimv1.JWTIssuer {
	return scimv1.JWTIssuer{Issuer: issuer, Audiences: audiences, JWKSURL: "https://idp.example/keys"}
}

func TestCheckJWTTrust(t *testing.T) {
	const entra = "https://sts.windows.net/dir/"
	a := scimTenant("team-a", "settings", 0, trusting(entra, "app-a", "shared"))
	b := scimTenant("team-b", "settings", time.Minute, trusting(entra, "shared", "app-b"))
	// Same second as b: the namespace breaks the tie, so every replica agrees.
	c := scimTenant("team-c", "settings", time.Minute, trusting(entra, "app-b"))
	// An older ScimTenant of team-d applies; the younger one's trust counts for nothing.
	d := scimTenant("team-d", "a-settings", 0)
	dExtra := scimTenant("team-d", "b-extra", time.Hour, trusting(entra, "app-d"))

	scheme := runtime.NewScheme()
	if err := scimv1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	b2 := fake.NewClientBuilder().WithScheme(scheme).WithObjects(a, b, c, d, dExtra)
	if err := setupSettingsIndexes(context.Background(), builderIndexer{b2}); err != nil {
		t.Fatal(err)
	}
	reader := b2.Build()

	cases := map[string]struct {
		reason string
		st     *scimv1.ScimTenant
		want   JWTTrust
	}{
		"first": {
			reason: "the first to declare a pair keeps it.",
			st:     a,
			want:   JWTTrust{},
		},
		"later": {
			reason: "a later tenant declaring the same pair is told who has it; its other pair is its own.",
			st:     b,
			want:   JWTTrust{Conflicts: []IssuerConflict{{Issuer: entra, Audience: "shared", Owner: types.NamespacedName{Namespace: "team-a", Name: "settings"}}}},
		},
		"tie": {
			reason: "created in the same second: namespace order decides.",
			st:     c,
			want:   JWTTrust{Conflicts: []IssuerConflict{{Issuer: entra, Audience: "app-b", Owner: types.NamespacedName{Namespace: "team-b", Name: "settings"}}}},
		},
		"superseded": {
			reason: "only the oldest ScimTenant of a namespace applies.",
			st:     dExtra,
			want:   JWTTrust{SupersededBy: "a-settings"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := CheckJWTTrust(context.Background(), reader, tc.st)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%s\nCheckJWTTrust(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}

	owners, err := pairOwners(context.Background(), reader, entra)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for aud, o := range owners {
		got[aud] = o.tenant.Namespace
	}
	want := map[string]string{"app-a": "team-a", "shared": "team-a", "app-b": "team-b"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("owners of entra's audiences (app-d's ScimTenant does not apply): -want, +got:\n%s", diff)
	}
}
