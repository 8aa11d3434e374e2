package scimserver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/scim-operator/scim-operator/internal/resource"
	"github.com/scim-operator/scim-operator/internal/scimerr"
	"github.com/scim-operator/scim-operator/internal/tenant"
)

// Bulk (RFC 7644 §3.7): each operation is dispatched to the same handlers as a single request,
// with "bulkId:<id>" references replaced by the ids the operations they name created.

const (
	bulkRequestSchema  = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
	bulkResponseSchema = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
)

type bulkRequest struct {
	Schemas      []string        `json:"schemas"`
	FailOnErrors int             `json:"failOnErrors"`
	Operations   []bulkOperation `json:"Operations"`
}

type bulkOperation struct {
	Method  string          `json:"method"`
	BulkID  string          `json:"bulkId,omitempty"`
	Version string          `json:"version,omitempty"`
	Path    string          `json:"path"`
	Data    json.RawMessage `json:"data,omitempty"`
}

type bulkResult struct {
	Location string          `json:"location,omitempty"`
	Method   string          `json:"method"`
	BulkID   string          `json:"bulkId,omitempty"`
	Version  string          `json:"version,omitempty"`
	Status   string          `json:"status"`
	Response json.RawMessage `json:"response,omitempty"`
}

type bulkResponse struct {
	Schemas    []string     `json:"schemas"`
	Operations []bulkResult `json:"Operations"`
}

var bulkIDReference = regexp.MustCompile(`bulkId:([^"/\s]+)`)

func (s *Server) bulk(w http.ResponseWriter, r *http.Request, t tenant.Tenant) error {
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	var req bulkRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return scimerr.InvalidSyntax("malformed BulkRequest: %v", err)
	}
	if len(req.Operations) > s.opts.BulkMaxOperations {
		return scimerr.New(http.StatusRequestEntityTooLarge, "", "the request has %d operations; the maximum is %d", len(req.Operations), s.opts.BulkMaxOperations)
	}
	for i, op := range req.Operations {
		if err := validateBulkOperation(op); err != nil {
			return scimerr.InvalidValue("operation %d: %s", i, err.Error())
		}
	}

	results := make([]*bulkResult, len(req.Operations))
	created := map[string]string{} // bulkId → id
	failures := 0
	// Operations run in request order, except that one referring to a bulkId not created yet
	// waits until it is (forward references). Whatever cannot be resolved is reported.
	for progress := true; progress; {
		progress = false
		for i, op := range req.Operations {
			if results[i] != nil || !referencesResolved(op, created) {
				continue
			}
			if req.FailOnErrors > 0 && failures >= req.FailOnErrors {
				break
			}
			results[i] = s.runBulkOperation(r, t, op, created)
			progress = true
			if status, _ := strconv.Atoi(results[i].Status); status >= 400 {
				failures++
			}
		}
	}
	out := bulkResponse{Schemas: []string{bulkResponseSchema}}
	for i, op := range req.Operations {
		if results[i] == nil {
			if req.FailOnErrors > 0 && failures >= req.FailOnErrors {
				continue // not attempted: failOnErrors was reached
			}
			results[i] = bulkError(op, scimerr.New(http.StatusConflict, scimerr.TypeInvalidValue,
				"the operation refers to a bulkId that no successful operation of this request created, or to a circular reference"))
		}
		out.Operations = append(out.Operations, *results[i])
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func validateBulkOperation(op bulkOperation) error {
	switch strings.ToUpper(op.Method) {
	case http.MethodPost:
		if op.BulkID == "" {
			return fmt.Errorf("a POST needs a bulkId")
		}
	case http.MethodPut, http.MethodPatch, http.MethodDelete:
	default:
		return fmt.Errorf("method %q is not POST, PUT, PATCH or DELETE", op.Method)
	}
	endpoint, _, _ := strings.Cut(strings.TrimPrefix(op.Path, "/"), "/")
	if !strings.EqualFold(endpoint, "Users") && !strings.EqualFold(endpoint, "Groups") {
		return fmt.Errorf("path %q is not under /Users or /Groups", op.Path)
	}
	return nil
}

func referencesResolved(op bulkOperation, created map[string]string) bool {
	for _, m := range bulkIDReference.FindAllStringSubmatch(op.Path+string(op.Data), -1) {
		if _, ok := created[m[1]]; !ok {
			return false
		}
	}
	return true
}

// runBulkOperation dispatches one operation through the server's own routes, as the tenant
// the bulk request was authenticated as.
func (s *Server) runBulkOperation(outer *http.Request, t tenant.Tenant, op bulkOperation, created map[string]string) *bulkResult {
	resolve := func(text string) string {
		return bulkIDReference.ReplaceAllStringFunc(text, func(ref string) string { return created[strings.TrimPrefix(ref, "bulkId:")] })
	}
	method := strings.ToUpper(op.Method)
	path := BasePath + "/" + strings.TrimPrefix(resolve(op.Path), "/")
	ctx := context.WithValue(outer.Context(), bulkTenantKey{}, t)
	inner, err := http.NewRequestWithContext(ctx, method, path, bytes.NewReader([]byte(resolve(string(op.Data)))))
	if err != nil {
		return bulkError(op, scimerr.InvalidValue("invalid path %q", op.Path))
	}
	inner.Host, inner.TLS, inner.RemoteAddr = outer.Host, outer.TLS, outer.RemoteAddr
	inner.Header.Set("Content-Type", ContentType)
	if op.Version != "" {
		inner.Header.Set("If-Match", op.Version)
	}
	inner.URL.Path = canonicalPath(inner.URL.Path)
	rec := &recorder{header: http.Header{}}
	s.mux.ServeHTTP(rec, inner)

	result := &bulkResult{Method: method, BulkID: op.BulkID, Status: strconv.Itoa(rec.status),
		Location: rec.header.Get("Location"), Version: rec.header.Get("ETag")}
	if rec.status >= 400 {
		result.Response = rec.body.Bytes()
		return result
	}
	if method == http.MethodPost && op.BulkID != "" {
		var res struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(rec.body.Bytes(), &res) == nil && res.ID != "" {
			created[op.BulkID] = res.ID
		}
	}
	return result
}

func bulkError(op bulkOperation, e *scimerr.Error) *bulkResult {
	body, _ := resource.Marshal(errorBody{Schemas: []string{resource.ErrorSchema}, Status: strconv.Itoa(e.Status), ScimType: e.ScimType, Detail: e.Detail})
	return &bulkResult{Method: strings.ToUpper(op.Method), BulkID: op.BulkID, Status: strconv.Itoa(e.Status), Response: body}
}

// recorder captures the response of an operation dispatched inside a bulk request.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}
