package operator_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func userNames(res response) []string {
	names := []string{}
	for _, r := range res.Body["Resources"].([]any) {
		names = append(names, r.(map[string]any)["userName"].(string))
	}
	return names
}

func get(t *testing.T, token, path string, query url.Values) response {
	t.Helper()
	return call(t, token, http.MethodGet, path+"?"+query.Encode(), nil)
}

func TestFiltersIdentityProvidersSend(t *testing.T) {
	_, token := newTenant(t)
	for i, name := range []string{"Ada@Example.com", "bob@example.com", "carol@example.com"} {
		call(t, token, http.MethodPost, "/Users", map[string]any{
			"userName": name, "externalId": fmt.Sprint("ext-", i), "active": i != 1,
			"emails": []any{map[string]any{"value": fmt.Sprint("work", i, "@corp.example"), "type": "work"}},
		}).Expect(t, http.StatusCreated)
	}
	cases := []struct {
		reason string
		filter string
		want   []string
	}{
		{"K1, E7: userName eq is case-insensitive", `userName eq "ada@example.com"`, []string{"Ada@Example.com"}},
		{"operators and attribute names are case-insensitive", `USERNAME Eq "BOB@example.com"`, []string{"bob@example.com"}},
		{"E6: externalId eq", `externalId eq "ext-2"`, []string{"carol@example.com"}},
		{"externalId is case-exact", `externalId eq "EXT-2"`, []string{}},
		{"E6: the work email, Entra's form", `emails[type eq "work"].value eq "work1@corp.example"`, []string{"bob@example.com"}},
		{"E8: a user that does not exist is an empty list, not 404", `userName eq "no-such-user@example.com"`, []string{}},
		{"E10: inactive users are returned by filters", `active eq false`, []string{"bob@example.com"}},
		{"co, or, not and parentheses", `userName co "example" and not (userName sw "bob" or userName sw "carol")`, []string{"Ada@Example.com"}},
		{"pr", `externalId pr`, []string{"Ada@Example.com", "bob@example.com", "carol@example.com"}},
		{"meta.created is a dateTime", `meta.created gt "2000-01-01T00:00:00Z"`, []string{"Ada@Example.com", "bob@example.com", "carol@example.com"}},
	}
	for _, c := range cases {
		t.Run(c.reason, func(t *testing.T) {
			res := get(t, token, "/Users", url.Values{"filter": {c.filter}, "startIndex": {"1"}, "count": {"100"}}).Expect(t, http.StatusOK)
			if diff := cmp.Diff(c.want, userNames(res), cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if res.Body["totalResults"] != float64(len(c.want)) {
				t.Errorf("totalResults %v", res.Body["totalResults"])
			}
		})
	}
	// Okta sends spaces as '+'.
	res := call(t, token, http.MethodGet, `/Users?filter=userName+eq+%22bob%40example.com%22&startIndex=1&count=100`, nil).Expect(t, http.StatusOK)
	if diff := cmp.Diff([]string{"bob@example.com"}, userNames(res)); diff != "" {
		t.Errorf("+-encoded filter (-want +got):\n%s", diff)
	}
}

func TestBadQueriesAre400(t *testing.T) {
	_, token := newTenant(t)
	cases := []struct {
		reason   string
		query    url.Values
		scimType string
	}{
		{"a malformed filter", url.Values{"filter": {`userName eq`}}, "invalidFilter"},
		{"an unknown attribute in a filter", url.Values{"filter": {`shoeSize eq 1`}}, "invalidFilter"},
		{"a filter nested 10,000 deep", url.Values{"filter": {deepFilter(10000)}}, "invalidFilter"},
		{"an unknown sort key", url.Values{"sortBy": {"shoeSize"}}, "invalidValue"},
		{"a bad sortOrder", url.Values{"sortOrder": {"sideways"}}, "invalidValue"},
		{"a count that is not a number", url.Values{"count": {"ten"}}, "invalidValue"},
		{"an unknown attribute to return", url.Values{"attributes": {"shoeSize"}}, "invalidValue"},
		{"a cursor this server did not issue", url.Values{"cursor": {"garbage"}}, "invalidCursor"},
	}
	res := get(t, token, "/Users", url.Values{"filter": {`password eq "hunter2"`}}).Expect(t, http.StatusForbidden)
	if res.Body["scimType"] != "sensitive" {
		t.Errorf("a password in a URL: %s", res.Raw)
	}
	search := call(t, token, http.MethodPost, "/Users/.search", map[string]any{"filter": `PASSWORD eq "hunter2"`}).Expect(t, http.StatusBadRequest)
	if search.Body["scimType"] != "invalidFilter" {
		t.Errorf("a password filter: %s", search.Raw)
	}
	for _, c := range cases {
		t.Run(c.reason, func(t *testing.T) {
			res := get(t, token, "/Users", c.query).Expect(t, http.StatusBadRequest)
			if res.Body["scimType"] != c.scimType {
				t.Errorf("scimType %v, want %s", res.Body["scimType"], c.scimType)
			}
		})
	}
}

func deepFilter(depth int) string {
	f := `userName eq "x"`
	for range depth {
		f = "(" + f + ")"
	}
	return f
}

func TestPagingSortingAndCursors(t *testing.T) {
	_, token := newTenant(t)
	names := []string{"e", "c", "a", "d", "b"}
	for _, n := range names {
		call(t, token, http.MethodPost, "/Users", map[string]any{"userName": n}).Expect(t, http.StatusCreated)
	}
	// The server's order is creation time (to the second, as Kubernetes keeps it), then id:
	// stable across pages (K7).
	order := userNames(get(t, token, "/Users", nil).Expect(t, http.StatusOK))
	if diff := cmp.Diff(names, order, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Fatalf("listing (-want +got):\n%s", diff)
	}
	page2 := get(t, token, "/Users", url.Values{"startIndex": {"3"}, "count": {"2"}}).Expect(t, http.StatusOK)
	if diff := cmp.Diff(order[2:4], userNames(page2)); diff != "" || page2.Body["startIndex"] != 3.0 || page2.Body["itemsPerPage"] != 2.0 || page2.Body["totalResults"] != 5.0 {
		t.Errorf("page 2 (-want +got):\n%s\n%s", diff, page2.Raw)
	}
	none := get(t, token, "/Users", url.Values{"count": {"0"}}).Expect(t, http.StatusOK)
	if none.Body["totalResults"] != 5.0 || len(none.Body["Resources"].([]any)) != 0 {
		t.Errorf("count=0: %s", none.Raw)
	}
	sorted := get(t, token, "/Users", url.Values{"sortBy": {"userName"}, "sortOrder": {"descending"}}).Expect(t, http.StatusOK)
	if diff := cmp.Diff([]string{"e", "d", "c", "b", "a"}, userNames(sorted)); diff != "" {
		t.Errorf("sorted (-want +got):\n%s", diff)
	}
	// RFC 9865 cursors: an empty cursor starts, nextCursor continues, the last page has none.
	var seen []string
	cursor := ""
	for range 10 {
		res := get(t, token, "/Users", url.Values{"cursor": {cursor}, "count": {"2"}}).Expect(t, http.StatusOK)
		seen = append(seen, userNames(res)...)
		next, _ := res.Body["nextCursor"].(string)
		if next == "" {
			break
		}
		cursor = next
	}
	if diff := cmp.Diff(order, seen); diff != "" {
		t.Errorf("cursor pages (-want +got):\n%s", diff)
	}

	// Pages are cut from an ordered listing kept beside the cache: right after a DELETE on
	// this replica, the listing no longer has the user (read-your-writes), with no waiting.
	first := get(t, token, "/Users", url.Values{"count": {"1"}}).Expect(t, http.StatusOK)
	id := first.Body["Resources"].([]any)[0].(map[string]any)["id"].(string)
	call(t, token, http.MethodDelete, "/Users/"+id, nil).Expect(t, http.StatusNoContent)
	after := get(t, token, "/Users", nil).Expect(t, http.StatusOK)
	if diff := cmp.Diff(order[1:], userNames(after)); diff != "" || after.Body["totalResults"] != 4.0 {
		t.Errorf("listing right after deleting %q (-want +got):\n%s\n%s", order[0], diff, after.Raw)
	}
}

func TestAttributesAndExcludedAttributes(t *testing.T) {
	_, token := newTenant(t)
	id := call(t, token, http.MethodPost, "/Users", oktaCreateUser("proj@example.com")).Expect(t, http.StatusCreated).Body["id"].(string)
	res := get(t, token, "/Users/"+id, url.Values{"attributes": {"userName,name.givenName"}}).Expect(t, http.StatusOK)
	want := map[string]any{"userName": "proj@example.com", "name": map[string]any{"givenName": "Ada"}}
	for k, v := range want {
		if !cmp.Equal(res.Body[k], v) {
			t.Errorf("%s = %v, want %v", k, res.Body[k], v)
		}
	}
	if res.Body["emails"] != nil || res.Body["displayName"] != nil || res.Body["id"] != id || res.Body["meta"] == nil {
		t.Errorf("attributes=userName,name.givenName: %s", res.Raw)
	}
	list := get(t, token, "/Users", url.Values{"excludedAttributes": {"emails,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"}}).Expect(t, http.StatusOK)
	u := list.Body["Resources"].([]any)[0].(map[string]any)
	if u["emails"] != nil || u["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"].(map[string]any)["department"] != nil || u["userName"] == nil {
		t.Errorf("excludedAttributes: %v", u)
	}
}

func TestGroupQueriesAsEntraSendsThem(t *testing.T) {
	_, token := newTenant(t)
	u := newUsers(t, token, 2)
	group := call(t, token, http.MethodPost, "/Groups", map[string]any{
		"displayName": "Sales", "externalId": "g-ext", "members": []any{map[string]any{"value": u[0]}},
	}).Expect(t, http.StatusCreated).Body["id"].(string)
	call(t, token, http.MethodPost, "/Groups", map[string]any{"displayName": "Support"}).Expect(t, http.StatusCreated)

	// E6: displayName eq with excludedAttributes=members, on lists and on GET by id.
	res := get(t, token, "/Groups", url.Values{"filter": {`displayName eq "sales"`}, "excludedAttributes": {"members"}}).Expect(t, http.StatusOK)
	if res.Body["totalResults"] != 1.0 {
		t.Fatalf("%s", res.Raw)
	}
	if g := res.Body["Resources"].([]any)[0].(map[string]any); g["id"] != group || g["members"] != nil {
		t.Errorf("group %v", g)
	}
	byID := get(t, token, "/Groups/"+group, url.Values{"excludedAttributes": {"members"}}).Expect(t, http.StatusOK)
	if byID.Body["members"] != nil || byID.Body["displayName"] != "Sales" {
		t.Errorf("GET excludedAttributes=members: %s", byID.Raw)
	}
	for filter, want := range map[string]float64{
		fmt.Sprintf(`members[value eq "%s"]`, u[0]):                      1,
		fmt.Sprintf(`members[value eq "%s"]`, u[1]):                      0,
		fmt.Sprintf(`id eq "%s" and members.value eq "%s"`, group, u[0]): 1,
		`externalId eq "g-ext"`:                                          1,
		`displayName sw "S"`:                                             2,
	} {
		if res := get(t, token, "/Groups", url.Values{"filter": {filter}}).Expect(t, http.StatusOK); res.Body["totalResults"] != want {
			t.Errorf("%s: totalResults %v, want %v", filter, res.Body["totalResults"], want)
		}
	}
}

func TestSearchWithPost(t *testing.T) {
	_, token := newTenant(t)
	call(t, token, http.MethodPost, "/Users", map[string]any{"userName": "searcher"}).Expect(t, http.StatusCreated)
	call(t, token, http.MethodPost, "/Groups", map[string]any{"displayName": "searchers"}).Expect(t, http.StatusCreated)
	body := map[string]any{
		"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:SearchRequest"},
		"filter":  `userName eq "searcher"`, "attributes": []string{"userName"},
	}
	res := call(t, token, http.MethodPost, "/Users/.search", body).Expect(t, http.StatusOK)
	if diff := cmp.Diff([]string{"searcher"}, userNames(res)); diff != "" {
		t.Errorf("/Users/.search (-want +got):\n%s", diff)
	}
	// At the root, a filter valid for users and groups searches both.
	root := call(t, token, http.MethodPost, "/.search", map[string]any{"filter": `meta.created pr`}).Expect(t, http.StatusOK)
	if root.Body["totalResults"] != 2.0 {
		t.Errorf("/.search: %s", root.Raw)
	}
}

// A root-level search pages across users, then groups, with the totals of both: each page is
// the slice of the whole answer the caller asks for, whether it falls among users, groups or
// across the two.
func TestRootSearchPagesAcrossUsersAndGroups(t *testing.T) {
	_, token := newTenant(t)
	for i := range 3 {
		call(t, token, http.MethodPost, "/Users", map[string]any{"userName": fmt.Sprintf("root-user-%d", i)}).Expect(t, http.StatusCreated)
	}
	for i := range 2 {
		call(t, token, http.MethodPost, "/Groups", map[string]any{"displayName": fmt.Sprintf("root-group-%d", i)}).Expect(t, http.StatusCreated)
	}
	search := func(body map[string]any) (names []string, total, startIndex any) {
		res := call(t, token, http.MethodPost, "/.search", body).Expect(t, http.StatusOK)
		for _, r := range res.Body["Resources"].([]any) {
			doc := r.(map[string]any)
			if n, ok := doc["userName"].(string); ok {
				names = append(names, n)
			} else {
				names = append(names, doc["displayName"].(string))
			}
		}
		return names, res.Body["totalResults"], res.Body["startIndex"]
	}
	all, total, _ := search(map[string]any{})
	if len(all) != 5 || total != 5.0 || !strings.HasPrefix(all[2], "root-user-") || !strings.HasPrefix(all[3], "root-group-") {
		t.Fatalf("the whole answer: %v, total %v; want 3 users, then 2 groups", all, total)
	}
	for _, c := range []struct{ startIndex, count int }{{1, 2}, {3, 2}, {2, 3}, {5, 10}, {4, 0}, {9, 3}} {
		names, total, startIndex := search(map[string]any{"startIndex": c.startIndex, "count": c.count})
		from := min(c.startIndex-1, len(all))
		want := all[from:min(from+c.count, len(all))]
		if len(want) == 0 {
			want = nil
		}
		if diff := cmp.Diff(want, names); diff != "" || total != 5.0 || startIndex != float64(c.startIndex) {
			t.Errorf("from %d, %d: total %v, startIndex %v (-want +got):\n%s", c.startIndex, c.count, total, startIndex, diff)
		}
	}
	names, total, _ := search(map[string]any{"filter": `displayName sw "root-group"`, "startIndex": 2, "count": 5})
	if diff := cmp.Diff(all[4:], names); diff != "" || total != 2.0 {
		t.Errorf("filtered: total %v (-want +got):\n%s", total, diff)
	}
}
