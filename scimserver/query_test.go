package scimserver

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/internal/resource"
	"github.com/scim-operator/scim-operator/internal/schema"
	"github.com/scim-operator/scim-operator/internal/tenant"
)

// fixedListing serves one tenant's resources, already in the server's order.
type fixedListing[T any] []*T

func (l fixedListing[T]) Read(_ context.Context, _ string, fn func([]*T)) error {
	fn(l)
	return nil
}

func manyUsers(n int) fixedListing[scimv1.ScimUser] {
	users := make(fixedListing[scimv1.ScimUser], n)
	created := metav1.NewTime(time.Unix(1_700_000_000, 0))
	for i := range users {
		users[i] = &scimv1.ScimUser{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("u%06d", i), Namespace: "big", CreationTimestamp: created},
			Spec:       scimv1.ScimUserSpec{UserName: fmt.Sprintf("user-%06d@example.com", i)},
		}
	}
	return users
}

// rootSearch runs a root-level search over the given users (and no groups), rendering users
// as the server does without their groups.
func rootSearch(t testing.TB, users fixedListing[scimv1.ScimUser], req searchRequest) resultPage {
	s := &Server{opts: DefaultOptions}
	r := httptest.NewRequest("POST", BasePath+"/.search", nil)
	ten := tenant.Tenant{Namespace: "big", Settings: &scimv1.ScimTenantSpec{}}
	userKind := resourceKind[scimv1.ScimUser]{
		rt:     schema.UserResourceType,
		served: users,
		renderer: func(_ *http.Request, _ tenant.Tenant, _ *query, loc locations) (func(*scimv1.ScimUser) (any, error), error) {
			return func(u *scimv1.ScimUser) (any, error) { return resource.NewUser(u, nil, loc), nil }, nil
		},
	}
	groupKind := resourceKind[scimv1.ScimGroup]{
		rt:     schema.GroupResourceType,
		served: fixedListing[scimv1.ScimGroup]{},
		renderer: func(*http.Request, tenant.Tenant, *query, locations) (func(*scimv1.ScimGroup) (any, error), error) {
			return func(*scimv1.ScimGroup) (any, error) { return map[string]any{}, nil }, nil
		},
	}
	page, err := searchAcross(s, r, ten, req, userKind, groupKind)
	if err != nil {
		t.Fatal(err)
	}
	return page
}

// A root-level search renders the page it answers, not the tenant: the memory it allocates
// is the same over 1,000 users as over 100,000.
func TestRootSearchMemoryDoesNotGrowWithTheTenant(t *testing.T) {
	req := searchRequest{StartIndex: ptr.To(51), Count: ptr.To(10)}
	allocs := map[int]float64{}
	for _, n := range []int{1_000, 100_000} {
		users := manyUsers(n)
		page := rootSearch(t, users, req)
		if page.total != n || len(page.resources) != 10 {
			t.Fatalf("%d users: total %d, %d resources", n, page.total, len(page.resources))
		}
		allocs[n] = testing.AllocsPerRun(5, func() { rootSearch(t, users, req) })
	}
	if allocs[100_000] > allocs[1_000]+5 {
		t.Errorf("allocations per search: %v over 1,000 users, %v over 100,000", allocs[1_000], allocs[100_000])
	}
}
