package scimserver

import (
	"net/http"
	"strconv"

	"github.com/scim-operator/scim-operator/internal/resource"
	"github.com/scim-operator/scim-operator/internal/scimerr"
	"github.com/scim-operator/scim-operator/internal/store"
)

// ContentType is the media type of every SCIM request and response (RFC 7644 §3.1).
const ContentType = "application/scim+json"

// errorBody is the error response of RFC 7644 §3.12.
type errorBody struct {
	Schemas  []string `json:"schemas"`
	Status   string   `json:"status"`
	ScimType string   `json:"scimType,omitempty"`
	Detail   string   `json:"detail,omitempty"`
}

// writeJSON encodes v once, into the response.
func writeJSON(w http.ResponseWriter, status int, v any) {
	written := false
	write := func(data []byte) error {
		written = true
		h := w.Header()
		h.Set("Content-Type", ContentType)
		h.Set("Content-Length", strconv.Itoa(len(data)))
		w.WriteHeader(status)
		// A Write that returns nil has copied or sent data; one that fails (the client went
		// away) keeps the buffer out of the pool.
		_, err := w.Write(data)
		return err
	}
	if err := resource.Encode(v, write); err != nil && !written {
		// Only values this server built reach here; failing to encode them is a bug.
		status = http.StatusInternalServerError
		_ = resource.Encode(errorBody{Schemas: []string{resource.ErrorSchema}, Status: "500", Detail: "internal error"}, write)
	}
}

// writeError answers with the SCIM error body of err. Errors that are not SCIM errors are
// logged and answered with a generic 500 that reveals nothing of them.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := scimerr.As(store.FromAPI(err))
	if e == nil {
		s.log.Error(err, "request failed", "method", r.Method, "path", r.URL.Path)
		e = scimerr.New(http.StatusInternalServerError, "", "internal error")
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(e.RetryAfter.Seconds()+0.5)))
	}
	writeJSON(w, e.Status, errorBody{
		Schemas:  []string{resource.ErrorSchema},
		Status:   strconv.Itoa(e.Status),
		ScimType: e.ScimType,
		Detail:   e.Detail,
	})
}

// writeResource answers with one resource, its Location and ETag, or 304 Not Modified when a
// GET's If-None-Match names the current version.
// The projection trims the body to the requested attributes.
func (s *Server) writeResource(w http.ResponseWriter, r *http.Request, status int, meta resource.Meta, body any, p projection) error {
	h := w.Header()
	h.Set("Location", meta.Location)
	h.Set("ETag", meta.Version)
	if r.Method == http.MethodGet && notModified(r, meta.Version) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	if !p.empty() {
		doc, err := toDocument(body)
		if err != nil {
			return err
		}
		body = p.apply(doc)
	}
	writeJSON(w, status, body)
	return nil
}
