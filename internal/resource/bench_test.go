package resource

import (
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
)

// BenchmarkListPage100Users is the operator's work for a page of 100 users (Okta-like bodies)
// of GET /Users?count=100, from the cached objects to the bytes of the answer.
func BenchmarkListPage100Users(b *testing.B) {
	created := metav1.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	users := make([]*scimv1.ScimUser, 100)
	for i := range users {
		name := fmt.Sprintf("user%06d@example.com", i)
		users[i] = &scimv1.ScimUser{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("u-%016x", i), Namespace: "bench", Generation: 1, CreationTimestamp: created},
			Spec: scimv1.ScimUserSpec{
				UserName:    name,
				ExternalID:  fmt.Sprintf("00u%017d", i),
				Name:        &scimv1.Name{GivenName: "Ada", FamilyName: fmt.Sprintf("Lovelace %d", i)},
				DisplayName: fmt.Sprintf("Ada Lovelace %d", i),
				Locale:      "en-US",
				Emails:      []scimv1.MultiValuedAttribute{{Value: name, Type: "work", Primary: true}},
			},
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		page := make([]any, len(users))
		for i, u := range users {
			page[i] = NewUser(u, nil, fixedLocations{})
		}
		data, err := Marshal(NewListResponse(100000, 1, page))
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(data)))
	}
}
