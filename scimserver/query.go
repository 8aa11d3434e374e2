package scimserver

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/internal/filter"
	"github.com/scim-operator/scim-operator/internal/resource"
	"github.com/scim-operator/scim-operator/internal/schema"
	"github.com/scim-operator/scim-operator/internal/scimerr"
	"github.com/scim-operator/scim-operator/internal/store"
	"github.com/scim-operator/scim-operator/internal/tenant"
)

// Queries (RFC 7644 §3.4.2, and cursors of RFC 9865) are answered from the informer cache:
// candidates come from an index when the filter has an equality the index answers, otherwise
// from the tenant's whole list; every candidate is then checked against the filter.

const searchRequestSchema = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"

// searchRequest holds the query parameters, from a URL or a POST /.search body.
type searchRequest struct {
	Schemas            []string `json:"schemas"`
	Attributes         []string `json:"attributes"`
	ExcludedAttributes []string `json:"excludedAttributes"`
	Filter             string   `json:"filter"`
	SortBy             string   `json:"sortBy"`
	SortOrder          string   `json:"sortOrder"`
	StartIndex         *int     `json:"startIndex"`
	Count              *int     `json:"count"`
	Cursor             *string  `json:"cursor"`
}

func searchFromURL(q url.Values) (searchRequest, error) {
	req := searchRequest{Filter: q.Get("filter"), SortBy: q.Get("sortBy"), SortOrder: q.Get("sortOrder")}
	if v := q.Get("attributes"); v != "" {
		req.Attributes = []string{v}
	}
	if v := q.Get("excludedAttributes"); v != "" {
		req.ExcludedAttributes = []string{v}
	}
	for name, dst := range map[string]**int{"startIndex": &req.StartIndex, "count": &req.Count} {
		if v := q.Get(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return req, scimerr.InvalidValue("%s must be an integer", name)
			}
			*dst = &n
		}
	}
	if q.Has("cursor") {
		c := q.Get("cursor")
		req.Cursor = &c
	}
	return req, nil
}

// query is a parsed searchRequest for one resource type.
type query struct {
	filter     *filter.Filter
	sort       *filter.SortKey
	descending bool
	startIndex int
	count      int
	cursor     *cursor // non-nil in cursor pagination
	projection projection
	// needsGroups / needsMembers: the filter or sort looks at a User's groups / a Group's
	// members, which are costly to load and left out of documents otherwise.
	needsGroups, needsMembers bool
}

func (s *Server) parseQuery(req searchRequest, rt *schema.ResourceType, t tenant.Tenant) (*query, error) {
	defaultPage, maxPage := s.pageSizes(t)
	q := &query{startIndex: 1, count: defaultPage}
	var err error
	if req.Filter != "" {
		if passwordFilter.MatchString(req.Filter) {
			// A password is write-only: it can neither be returned nor searched for.
			return nil, scimerr.InvalidFilter("password cannot be used in a filter")
		}
		if q.filter, err = filter.Parse(req.Filter, rt); err != nil {
			return nil, err
		}
	}
	if req.SortBy != "" {
		if q.sort, err = filter.ParseSortBy(req.SortBy, rt); err != nil {
			return nil, err
		}
	}
	switch strings.ToLower(req.SortOrder) {
	case "", "ascending":
	case "descending":
		q.descending = true
	default:
		return nil, scimerr.InvalidValue("sortOrder must be ascending or descending")
	}
	if req.StartIndex != nil {
		q.startIndex = max(*req.StartIndex, 1)
	}
	if req.Count != nil {
		q.count = min(max(*req.Count, 0), maxPage)
	}
	if req.Cursor != nil {
		if req.StartIndex != nil {
			return nil, scimerr.InvalidValue("use either cursor or startIndex, not both")
		}
		if q.sort != nil {
			return nil, scimerr.InvalidValue("cursor pagination follows the server's order; sortBy cannot be combined with it")
		}
		if q.cursor, err = parseCursor(*req.Cursor); err != nil {
			return nil, err
		}
	}
	if q.projection, err = parseProjection(rt, req.Attributes, req.ExcludedAttributes); err != nil {
		return nil, err
	}
	mentions := strings.ToLower(req.Filter + " " + req.SortBy)
	q.needsGroups = strings.Contains(mentions, "groups")
	q.needsMembers = strings.Contains(mentions, "members")
	return q, nil
}

// pageSizes are the tenant's default and maximum page sizes, or the server's.
func (s *Server) pageSizes(t tenant.Tenant) (defaultPage, maxPage int) {
	defaultPage, maxPage = s.opts.DefaultPageSize, s.opts.MaxPageSize
	if t.Settings != nil && t.Settings.MaxPageSize != nil {
		maxPage = int(*t.Settings.MaxPageSize)
	}
	if t.Settings != nil && t.Settings.DefaultPageSize != nil {
		defaultPage = int(*t.Settings.DefaultPageSize)
	}
	return min(defaultPage, maxPage), maxPage
}

// passwordFilter finds the password attribute used in a filter.
var passwordFilter = regexp.MustCompile(`(?i)(^|[\s(\[.:])password\s+(eq|ne|co|sw|ew|gt|ge|lt|le|pr)\b`)

// cursor marks a position in the server's order (creation time, then name): the next page
// starts after it. It stays valid as resources come and go, and never expires.
type cursor struct {
	Created time.Time `json:"c"`
	Name    string    `json:"n"`
	first   bool
}

func parseCursor(s string) (*cursor, error) {
	if s == "" {
		return &cursor{first: true}, nil
	}
	data, err := base64.RawURLEncoding.DecodeString(s)
	var c cursor
	if err != nil || json.Unmarshal(data, &c) != nil || c.Name == "" {
		return nil, scimerr.New(http.StatusBadRequest, "invalidCursor", "the cursor is not one this server issued")
	}
	return &c, nil
}

func (c cursor) String() string {
	data, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(data)
}

// after reports whether obj comes after the cursor in the server's order.
func (c *cursor) after(obj metav1.Object) bool {
	if c.first {
		return true
	}
	t := obj.GetCreationTimestamp().Time
	return t.After(c.Created) || t.Equal(c.Created) && obj.GetName() > c.Name
}

// match is one candidate that passed the filter, with the document it was checked on.
type match[T any] struct {
	obj *T
	doc map[string]any
}

// windowOf selects the part of objs, in the order of the answer, that a query asks for: by
// startIndex, or after a cursor (objs are then in the server's order), with the next cursor.
func windowOf[T any, PT interface {
	*T
	metav1.Object
}](q *query, objs []*T) (window []*T, startIndex int, next string) {
	if q.cursor == nil {
		from := min(q.startIndex-1, len(objs))
		return objs[from:min(from+q.count, len(objs))], q.startIndex, ""
	}
	from := sort.Search(len(objs), func(i int) bool { return q.cursor.after(PT(objs[i])) })
	to := min(from+q.count, len(objs))
	if to < len(objs) && to > from {
		last := PT(objs[to-1])
		next = cursor{Created: last.GetCreationTimestamp().Time, Name: last.GetName()}.String()
	}
	return objs[from:to], from + 1, next
}

// sortMatches orders matches by the query's sort key; without one they stay in the server's
// order (oldest first), which is stable across pages.
func sortMatches[T any](q *query, matches []match[T]) {
	if q.sort == nil {
		return
	}
	sort.SliceStable(matches, func(i, j int) bool {
		c := q.sort.Compare(matches[i].doc, matches[j].doc)
		if q.descending {
			return c > 0
		}
		return c < 0
	})
}

// listing is the resources SCIM serves of one type: see store.Order.
type listing[T any] interface {
	Read(ctx context.Context, ns string, fn func(served []*T)) error
}

// resourceKind is what the query pipeline needs to know of one resource type.
type resourceKind[T any] struct {
	rt *schema.ResourceType
	// served is every resource SCIM serves, per tenant, in the server's order (read only).
	served listing[T]
	// candidates returns the served resources that may match the filter, in the server's
	// order (read only); all of them match when exact is set (the filter is one equality
	// that an index answered with the filter's own comparison).
	candidates func(r *http.Request, t tenant.Tenant, f *filter.Filter) (objs []*T, exact bool, err error)
	// document is the representation a filter or sort key is evaluated on.
	document func(r *http.Request, t tenant.Tenant, obj *T, q *query, loc locations) (any, error)
	// renderer prepares what rendering a page needs once, and returns how each resource of
	// the page is represented.
	renderer func(r *http.Request, t tenant.Tenant, q *query, loc locations) (func(obj *T) (any, error), error)
}

func (s *Server) users() resourceKind[scimv1.ScimUser] {
	return resourceKind[scimv1.ScimUser]{
		rt:         schema.UserResourceType,
		served:     s.store.UserOrder(),
		candidates: s.userCandidates,
		document: func(r *http.Request, t tenant.Tenant, u *scimv1.ScimUser, q *query, loc locations) (any, error) {
			if !q.needsGroups {
				return resource.NewUser(u, nil, loc), nil
			}
			return s.userResource(r, t, u, loc)
		},
		renderer: func(r *http.Request, t tenant.Tenant, _ *query, loc locations) (func(*scimv1.ScimUser) (any, error), error) {
			return func(u *scimv1.ScimUser) (any, error) { return s.userResource(r, t, u, loc) }, nil
		},
	}
}

func (s *Server) groups() resourceKind[scimv1.ScimGroup] {
	return resourceKind[scimv1.ScimGroup]{
		rt:         schema.GroupResourceType,
		served:     s.store.GroupOrder(),
		candidates: s.groupCandidates,
		document: func(r *http.Request, t tenant.Tenant, g *scimv1.ScimGroup, q *query, loc locations) (any, error) {
			return s.groupResource(r, t, g, loc, q.needsMembers)
		},
		renderer: func(r *http.Request, t tenant.Tenant, q *query, loc locations) (func(*scimv1.ScimGroup) (any, error), error) {
			return func(g *scimv1.ScimGroup) (any, error) {
				return s.groupResource(r, t, g, loc, q.projection.wants("members"))
			}, nil
		},
	}
}

// resultPage is one page of a query's answer.
type resultPage struct {
	resources         []any
	total, startIndex int
	next              string
}

// runQuery answers q for one resource type: the served resources, filtered, sorted, paged,
// rendered and projected. Without filter and sortBy the page is cut straight from the
// tenant's ordered listing, so its cost does not grow with the tenant.
func runQuery[T any, PT interface {
	*T
	metav1.Object
}](s *Server, r *http.Request, t tenant.Tenant, q *query, k resourceKind[T]) (resultPage, error) {
	var window []*T
	var page resultPage
	if q.filter == nil && q.sort == nil {
		err := k.served.Read(r.Context(), t.Namespace, func(served []*T) {
			page.total = len(served)
			window, page.startIndex, page.next = windowOf[T, PT](q, served)
			window = slices.Clone(window) // served may change once the lock is released
		})
		if err != nil {
			return resultPage{}, err
		}
	} else {
		matches, err := matching(s, r, t, q, k)
		if err != nil {
			return resultPage{}, err
		}
		page.total = len(matches)
		window, page.startIndex, page.next = windowOf[T, PT](q, matches)
	}
	render, err := k.renderer(r, t, q, s.locations(r))
	if err != nil {
		return resultPage{}, err
	}
	page.resources = make([]any, 0, len(window))
	for _, obj := range window {
		rep, err := render(obj)
		if err != nil {
			return resultPage{}, err
		}
		if page.resources, err = appendProjected(page.resources, rep, q.projection); err != nil {
			return resultPage{}, err
		}
	}
	return page, nil
}

// matching returns the served resources that pass q's filter, in the order q asks for.
func matching[T any](s *Server, r *http.Request, t tenant.Tenant, q *query, k resourceKind[T]) ([]*T, error) {
	candidates, exact, err := k.candidates(r, t, q.filter)
	if err != nil {
		return nil, err
	}
	if exact && q.sort == nil {
		return candidates, nil // no document to build: the hot path of identity providers' lookups
	}
	loc := s.locations(r)
	matches := make([]match[T], 0, len(candidates))
	for _, obj := range candidates {
		rep, err := k.document(r, t, obj, q, loc)
		if err != nil {
			return nil, err
		}
		m := match[T]{obj: obj}
		if m.doc, err = toDocument(rep); err != nil {
			return nil, err
		}
		if q.filter != nil && !q.filter.Matches(m.doc) {
			continue
		}
		if q.sort == nil {
			m.doc = nil // only sorting needs it: a match costs a pointer, not a document
		}
		matches = append(matches, m)
	}
	sortMatches(q, matches)
	objs := make([]*T, len(matches))
	for i, m := range matches {
		objs[i] = m.obj
	}
	return objs, nil
}

// searchWith answers a query of one resource type with a ListResponse.
func searchWith[T any, PT interface {
	*T
	metav1.Object
}](s *Server, w http.ResponseWriter, r *http.Request, t tenant.Tenant, req searchRequest, k resourceKind[T]) error {
	q, err := s.parseQuery(req, k.rt, t)
	if err != nil {
		return err
	}
	page, err := runQuery[T, PT](s, r, t, q, k)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, resource.NewListResponse(page.total, page.startIndex, page.resources).WithNextCursor(page.next))
	return nil
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request, t tenant.Tenant) error {
	req, err := searchFromURL(r.URL.Query())
	if err != nil {
		return err
	}
	if passwordFilter.MatchString(req.Filter) {
		// In a URL, which proxies and logs keep (RFC 7644 §3.12 "sensitive").
		return scimerr.New(http.StatusForbidden, scimerr.TypeSensitive, "a password must never be sent in a URL; and it cannot be searched for")
	}
	return searchWith(s, w, r, t, req, s.users())
}

func (s *Server) listGroups(w http.ResponseWriter, r *http.Request, t tenant.Tenant) error {
	req, err := searchFromURL(r.URL.Query())
	if err != nil {
		return err
	}
	return searchWith(s, w, r, t, req, s.groups())
}

// userCandidates returns the users that may match f: through an index when f has an equality
// one answers, otherwise all of the tenant's. They are shared with the cache: read only.
func (s *Server) userCandidates(r *http.Request, t tenant.Tenant, f *filter.Filter) ([]*scimv1.ScimUser, bool, error) {
	ctx := r.Context()
	hint, ok := indexHint(f)
	var users []*scimv1.ScimUser
	var err error
	switch {
	case !ok:
		users, err = s.store.Users(ctx, t.Namespace)
		return users, false, err
	case hint.Path == "id":
		u, err := s.store.User(ctx, t.Namespace, hint.Value)
		if scimerr.IsNotFound(err) || err == nil && !store.IsServed(u) {
			return nil, hint.Whole, nil
		}
		return []*scimv1.ScimUser{u}, hint.Whole, err
	case hint.Path == "userName":
		users, err = s.store.UsersByIndex(ctx, t.Namespace, store.IndexUserName, store.FoldKey(hint.Value))
	case hint.Path == "externalId":
		users, err = s.store.UsersByIndex(ctx, t.Namespace, store.IndexUserExternalID, hint.Value)
	case hint.Path == "emails.value":
		users, err = s.store.UsersByIndex(ctx, t.Namespace, store.IndexUserEmail, store.FoldKey(hint.Value))
	default:
		users, err = s.store.Users(ctx, t.Namespace)
		return users, false, err
	}
	return users, hint.Whole, err
}

func (s *Server) groupCandidates(r *http.Request, t tenant.Tenant, f *filter.Filter) ([]*scimv1.ScimGroup, bool, error) {
	ctx := r.Context()
	hint, ok := indexHint(f)
	var groups []*scimv1.ScimGroup
	var err error
	switch {
	case !ok:
		groups, err = s.store.Groups(ctx, t.Namespace)
		return groups, false, err
	case hint.Path == "id":
		g, err := s.store.Group(ctx, t.Namespace, hint.Value)
		if scimerr.IsNotFound(err) || err == nil && !store.IsServed(g) {
			return nil, hint.Whole, nil
		}
		return []*scimv1.ScimGroup{g}, hint.Whole, err
	case hint.Path == "displayName":
		groups, err = s.store.GroupsByIndex(ctx, t.Namespace, store.IndexGroupDisplayName, store.FoldKey(hint.Value))
	case hint.Path == "externalId":
		groups, err = s.store.GroupsByIndex(ctx, t.Namespace, store.IndexGroupExternalID, hint.Value)
	case hint.Path == "members.value":
		groups, err = s.groupsWithMember(r, t, hint.Value)
	default:
		groups, err = s.store.Groups(ctx, t.Namespace)
		return groups, false, err
	}
	return groups, hint.Whole, err
}

// indexHint is f's index hint; the indexes compare as the filter does (FoldKey is the
// filter's case folding), so a whole-filter hint needs no check of each candidate.
func indexHint(f *filter.Filter) (filter.Equality, bool) {
	if f == nil {
		return filter.Equality{}, false
	}
	return f.IndexHint()
}

func (s *Server) groupsWithMember(r *http.Request, t tenant.Tenant, id string) ([]*scimv1.ScimGroup, error) {
	names, err := s.store.GroupsOf(r.Context(), t.Namespace, id)
	if err != nil {
		return nil, err
	}
	var groups []*scimv1.ScimGroup
	for _, name := range names {
		g, err := s.store.Group(r.Context(), t.Namespace, name)
		if scimerr.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if store.IsServed(g) {
			groups = append(groups, g)
		}
	}
	slices.SortFunc(groups, func(a, b *scimv1.ScimGroup) int { return store.CompareOlderFirst(a, b) })
	return groups, nil
}

// appendProjected adds a representation to a page, trimmed to the requested attributes.
func appendProjected(resources []any, rep any, p projection) ([]any, error) {
	if p.empty() {
		return append(resources, rep), nil
	}
	doc, err := toDocument(rep)
	if err != nil {
		return nil, err
	}
	return append(resources, p.apply(doc)), nil
}

// search is POST /.search: at the root it searches users and groups, per resource type it
// searches that type (RFC 7644 §3.4.3).
func (s *Server) search(rt *schema.ResourceType) func(http.ResponseWriter, *http.Request, tenant.Tenant) error {
	return func(w http.ResponseWriter, r *http.Request, t tenant.Tenant) error {
		body, err := s.readBody(w, r)
		if err != nil {
			return err
		}
		var req searchRequest
		if err := json.Unmarshal(body, &req); err != nil {
			return scimerr.InvalidSyntax("malformed SearchRequest: %v", err)
		}
		switch rt {
		case schema.UserResourceType:
			return searchWith(s, w, r, t, req, s.users())
		case schema.GroupResourceType:
			return searchWith(s, w, r, t, req, s.groups())
		}
		return s.searchAll(w, r, t, req)
	}
}

// searchAll answers a root-level search: the filter is applied to each resource type it is
// valid for, and the results are users first, then groups.
func (s *Server) searchAll(w http.ResponseWriter, r *http.Request, t tenant.Tenant, req searchRequest) error {
	if req.Cursor != nil || req.SortBy != "" {
		return scimerr.InvalidValue("a search across resource types supports neither sortBy nor cursor")
	}
	page, err := searchAcross(s, r, t, req, s.users(), s.groups())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, resource.NewListResponse(page.total, page.startIndex, page.resources))
	return nil
}

// searchAcross pages before it renders: the requested window of "users, then groups" is cut
// from each type's matches, so only the page is rendered, whatever the size of the tenant.
func searchAcross(s *Server, r *http.Request, t tenant.Tenant, req searchRequest,
	users resourceKind[scimv1.ScimUser], groups resourceKind[scimv1.ScimGroup]) (resultPage, error) {
	paged, err := s.parseQuery(searchRequest{StartIndex: req.StartIndex, Count: req.Count}, schema.UserResourceType, t)
	if err != nil {
		return resultPage{}, err
	}
	userQuery, userErr := s.parseQuery(req, schema.UserResourceType, t)
	groupQuery, groupErr := s.parseQuery(req, schema.GroupResourceType, t)
	if userErr != nil && groupErr != nil {
		return resultPage{}, userErr
	}
	page := resultPage{startIndex: paged.startIndex}
	skip, count := paged.startIndex-1, paged.count // still to skip and to take, across types
	if userErr == nil {
		userQuery.startIndex, userQuery.count = skip+1, count
		part, err := runQuery(s, r, t, userQuery, users)
		if err != nil {
			return resultPage{}, err
		}
		page.total += part.total
		page.resources = part.resources
		skip, count = max(skip-part.total, 0), count-len(part.resources)
	}
	if groupErr == nil {
		groupQuery.startIndex, groupQuery.count = skip+1, count
		part, err := runQuery(s, r, t, groupQuery, groups)
		if err != nil {
			return resultPage{}, err
		}
		page.total += part.total
		page.resources = append(page.resources, part.resources...)
	}
	return page, nil
}
