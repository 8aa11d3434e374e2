package scimserver

import (
	"net/url"
	"strconv"

	"github.com/scim-operator/scim-operator/internal/scimerr"
)

// page is the startIndex/count window of a query (RFC 7644 §3.4.2.4).
type page struct {
	startIndex int // 1-based
	count      int
}

// parsePage reads startIndex and count. Values below the minimum are raised to it, as the RFC
// asks; a count over the maximum is lowered to it.
func (s *Server) parsePage(q url.Values) (page, error) {
	p := page{startIndex: 1, count: s.opts.DefaultPageSize}
	if v := q.Get("startIndex"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return p, scimerr.InvalidValue("startIndex must be an integer")
		}
		p.startIndex = max(n, 1)
	}
	if v := q.Get("count"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return p, scimerr.InvalidValue("count must be an integer")
		}
		p.count = min(max(n, 0), s.opts.MaxPageSize)
	}
	return p, nil
}

// window returns the bounds of the page within total items.
func (p page) window(total int) (from, to int) {
	from = min(p.startIndex-1, total)
	to = min(from+p.count, total)
	return from, to
}
