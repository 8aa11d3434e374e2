// Package conformance_test runs third-party SCIM conformance suites, published by identity
// providers, against the whole operator on a real API server: Okta's "SCIM 2.0 Spec Test"
// (a Runscope export, run by suites/run_runscope.py) and Microsoft's "SCIM Tests" Postman
// collection (run by newman, pinned in package.json). suites/README.md says where each came from.
//
// They run with the project's tests (`make test`, or `go test ./...` with KUBEBUILDER_ASSETS
// set). python3, node and npm must be installed: a missing one fails the test, it does not skip
// it. Set SCIM_CONFORMANCE_OUTPUT=1 to see newman's whole console report, and
// SCIM_CONFORMANCE_REPORT=FILE to keep newman's JSON report (requests and responses) in FILE
// (a relative FILE is relative to this folder).
package conformance_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/internal/operator"
	"github.com/scim-operator/scim-operator/internal/operatortest"
	"github.com/scim-operator/scim-operator/internal/tenant"
	"github.com/scim-operator/scim-operator/internal/testenv"
	"github.com/scim-operator/scim-operator/scimserver"
)

const (
	// suiteTimeout bounds one run of a suite's runner (and npm ci).
	suiteTimeout = 2 * time.Minute
	// requestTimeout bounds one request the suites send.
	requestTimeout = 10 * time.Second
)

// newmanFolders are the folders of Microsoft's collection that run, in the collection's order.
// "Get Token" calls a development-only endpoint of Microsoft's sample and is left out.
var newmanFolders = []string{
	"Endpoint tests",
	"User tests",
	"Group tests",
	"ComplexAttribute tests",
	"User tests with garbage",
	"Group tests with garbage",
	"Teardown garbage",
}

// The whole operator runs once for the package, as in internal/operator's tests and `make dev`.
var (
	k8s     client.Client
	scimURL string
	// operatorCache is what the operator reads from: a tenant's settings apply once it has them.
	operatorCache client.Reader
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	env, cfg, err := testenv.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping the control plane:", err)
		}
	}()

	// The suites drive the server as fast as it answers: the default per-tenant limits would
	// turn their requests into 429s, which is not what they check.
	scimOpts := scimserver.DefaultOptions
	scimOpts.TenantLimits = scimserver.TenantLimits{}
	op, stopOperator, err := operatortest.Start(cfg, operator.Options{SCIM: scimOpts})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	stop := func() {
		if err := stopOperator(); err != nil {
			fmt.Fprintln(os.Stderr, "operator stopped with:", err)
		}
	}
	operatorCache = op.Manager.GetCache()
	scimURL = op.SCIMURL()
	k8s, err = client.New(cfg, client.Options{Scheme: operator.Scheme()})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		stop()
		return 1
	}
	code := m.Run()
	stop()
	return code
}

// TestOktaSpecSuite runs Okta's SCIM 2.0 Spec Test, which Okta asks integrators to pass.
func TestOktaSpecSuite(t *testing.T) {
	python := requireTool(t, "python3")
	token := newTenant(t, scimv1.ScimTenantSpec{})
	// The suite reads the first listed user and expects it to carry a name, emails and active.
	createUser(t, token, map[string]any{
		"schemas":  []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
		"userName": "first.user@example.com",
		"name":     map[string]any{"givenName": "First", "familyName": "User"},
		"emails":   []map[string]any{{"value": "first.user@example.com", "type": "work", "primary": true}},
		"active":   true,
	})

	out, err := runTool(t, ".", python, "suites/run_runscope.py", "suites/Okta-SCIM-20-SPEC-Test.json",
		"--base-url", scimURL, "--auth", "Bearer "+token,
		"--timeout", fmt.Sprint(requestTimeout.Seconds()))
	if err != nil {
		t.Fatalf("Okta SCIM 2.0 Spec Test failed (%v): %s\n%s", err, lastLine(out), out)
	}
	t.Logf("Okta SCIM 2.0 Spec Test: %s\n%s", lastLine(out), out)
}

// TestMicrosoftPostmanCollection runs Microsoft's SCIM Tests Postman collection with newman.
// It starts from an empty tenant: some checks count users.
func TestMicrosoftPostmanCollection(t *testing.T) {
	node := requireTool(t, "node")
	npm := requireTool(t, "npm")
	newman := installNewman(t, node, npm)
	// The collection's "garbage" folders send misspelt attributes and member ids that name
	// nothing, and expect them to be ignored as Microsoft's reference implementation does.
	// That is a tenant setting (unknownInput: Ignore); the default is to refuse them with 400.
	token := newTenant(t, scimv1.ScimTenantSpec{UnknownInput: scimv1.InputIgnore})
	u, err := url.Parse(scimURL)
	if err != nil {
		t.Fatal(err)
	}

	report := os.Getenv("SCIM_CONFORMANCE_REPORT")
	if report == "" {
		report = filepath.Join(t.TempDir(), "newman.json")
	} else if report, err = filepath.Abs(report); err != nil {
		t.Fatal(err)
	}
	_ = os.Remove(report) // never read an earlier run's report
	args := []string{
		newman, "run", "suites/AzureAD-SCIMReferenceCode-PostmanCollection.json",
		"--env-var", "Protocol=" + u.Scheme,
		"--env-var", "Server=" + u.Hostname(),
		"--env-var", "Port=:" + u.Port(),
		"--env-var", "Api=" + strings.TrimPrefix(u.Path, "/"),
		"--env-var", "token=" + token,
	}
	for _, folder := range newmanFolders {
		args = append(args, "--folder", folder)
	}
	args = append(args,
		"--timeout-request", fmt.Sprint(requestTimeout.Milliseconds()),
		"--color", "off", "--disable-unicode",
		"--reporters", "cli,json", "--reporter-json-export", report)
	// newman is a node script; running it with the node found above names that node in errors.
	out, runErr := runTool(t, ".", node, args...)
	if os.Getenv("SCIM_CONFORMANCE_OUTPUT") != "" {
		t.Logf("newman output:\n%s", out)
	}

	summary, err := readNewmanReport(report)
	if err != nil {
		t.Fatalf("newman (%v) left no usable JSON report: %v\nnewman output:\n%s", runErr, err, out)
	}
	if runErr != nil && len(summary.failures) == 0 {
		t.Fatalf("newman failed (%v) without a failed check: %s\nnewman output:\n%s", runErr, summary.stats, out)
	}
	if runErr != nil || len(summary.failures) > 0 {
		t.Fatalf("Microsoft SCIM Tests collection failed (%v): %s\n%s",
			runErr, summary.stats, strings.Join(summary.failures, "\n"))
	}
	t.Logf("Microsoft SCIM Tests collection: %s", summary.stats)
}

// requireTool finds an executable on PATH, or fails: CI installs the suites' runners.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not installed, and the SCIM conformance suites need it: "+
			"install python3, nodejs and npm (apt-get install python3 nodejs npm): %v", name, err)
	}
	return path
}

// installNewman makes sure node_modules holds the newman that package.json pins, running
// `npm ci` when it does not, and returns the path of newman's command. It holds a shared lock on
// package.json until the test ends, so that a concurrent test binary does not reinstall newman
// under a running one.
func installNewman(t *testing.T, node, npm string) string {
	t.Helper()
	var pkg struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	lock, err := os.Open("package.json")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = lock.Close() }) // closing releases the lock
	if err := json.NewDecoder(lock).Decode(&pkg); err != nil {
		t.Fatalf("package.json: %v", err)
	}
	want := pkg.Dependencies["newman"]
	if want == "" {
		t.Fatal("package.json does not pin newman")
	}
	newman := filepath.Join("node_modules", ".bin", "newman")
	installed := func() string {
		if _, err := os.Stat(newman); err != nil {
			return "not installed"
		}
		out, err := runTool(t, ".", node, newman, "--version")
		if got := strings.TrimSpace(out); err != nil || got != want {
			return fmt.Sprintf("newman --version says %q (%v)", got, err)
		}
		return ""
	}

	if err := lockFile(lock, true); err != nil {
		t.Fatalf("locking package.json: %v", err)
	}
	if problem := installed(); problem != "" {
		t.Logf("installing newman %s from package-lock.json with npm ci: %s", want, problem)
		out, err := runTool(t, ".", npm, "ci", "--no-audit", "--no-fund")
		if err != nil {
			t.Fatalf("npm ci (installing newman from package-lock.json) failed: %v\n%s", err, out)
		}
		if problem := installed(); problem != "" {
			t.Fatalf("npm ci did not install newman %s: %s", want, problem)
		}
	}
	if err := lockFile(lock, false); err != nil {
		t.Fatalf("locking package.json: %v", err)
	}
	return newman
}

// runTool runs a command in dir with a timeout and returns its combined output. The command
// gets its own process group, which is killed if the timeout strikes, so no child outlives it.
func runTool(t *testing.T, dir, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), suiteTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	cmd.Env = append(os.Environ(), "NO_COLOR=1", "NPM_CONFIG_UPDATE_NOTIFIER=false")
	ownProcessGroup(cmd)
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("%s did not finish within %s: %w", filepath.Base(name), suiteTimeout, err)
	}
	return out.String(), err
}

// newTenant creates a namespace with a bearer-token Secret and the given settings, and returns
// the token once the operator accepts it.
func newTenant(t *testing.T, settings scimv1.ScimTenantSpec) string {
	t.Helper()
	ctx := t.Context()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "conformance-"}}
	if err := k8s.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	st := &scimv1.ScimTenant{ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "tenant"}, Spec: settings}
	if err := k8s.Create(ctx, st); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); operatorCache.Get(ctx, client.ObjectKeyFromObject(st), &scimv1.ScimTenant{}) != nil; {
		if time.Now().After(deadline) {
			t.Fatal("the operator did not see the tenant's settings within 30s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	token := "token-" + ns.Name
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: ns.Name, Name: "idp-token",
			Labels: map[string]string{tenant.CredentialLabel: tenant.MethodBearer},
		},
		Data: map[string][]byte{tenant.TokenKey: []byte(token)},
	}
	if err := k8s.Create(ctx, secret); err != nil {
		t.Fatal(err)
	}
	// The token works once the operator's cache has the Secret.
	deadline := time.Now().Add(30 * time.Second)
	for {
		status, body, err := call(t, token, http.MethodGet, "/Users", nil)
		if err == nil && status == http.StatusOK {
			return token
		}
		if time.Now().After(deadline) {
			t.Fatalf("the tenant's token was not accepted within 30s: GET /Users: status %d, error %v: %s",
				status, err, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// createUser creates a user through SCIM and fails unless the server answers 201.
func createUser(t *testing.T, token string, user map[string]any) {
	t.Helper()
	status, body, err := call(t, token, http.MethodPost, "/Users", user)
	if err != nil {
		t.Fatal(err)
	}
	if status != http.StatusCreated {
		t.Fatalf("POST /Users: status %d, want 201: %s", status, body)
	}
}

// call sends one SCIM request with a bearer token and returns the status and body.
func call(t *testing.T, token, method, path string, body any) (int, []byte, error) {
	t.Helper()
	var reader io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		reader = bytes.NewReader(data)
	}
	ctx, cancel := context.WithTimeout(t.Context(), requestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, scimURL+path, reader)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", scimserver.ContentType)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	return res.StatusCode, raw, err
}

// lastLine is the last non-empty line of a runner's output, its tally.
func lastLine(out string) string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	return lines[len(lines)-1]
}

// newmanSummary is what a newman JSON export says, compacted for a test log.
type newmanSummary struct {
	stats    string
	failures []string
}

// newmanReport is the part of newman's JSON export that the summary reads.
type newmanReport struct {
	Run struct {
		Stats map[string]struct {
			Total  int `json:"total"`
			Failed int `json:"failed"`
		} `json:"stats"`
		Executions []struct {
			Cursor struct {
				Ref string `json:"ref"`
			} `json:"cursor"`
			Request struct {
				Method string          `json:"method"`
				URL    json.RawMessage `json:"url"`
			} `json:"request"`
			Response *struct {
				Code   int    `json:"code"`
				Status string `json:"status"`
				Stream struct {
					Data []int `json:"data"`
				} `json:"stream"`
			} `json:"response"`
			RequestError *newmanError `json:"requestError"`
		} `json:"executions"`
		Failures []struct {
			Error  newmanError `json:"error"`
			Source struct {
				Name string `json:"name"`
			} `json:"source"`
			Parent struct {
				Name string `json:"name"`
			} `json:"parent"`
			Cursor struct {
				Ref string `json:"ref"`
			} `json:"cursor"`
		} `json:"failures"`
	} `json:"run"`
}

type newmanError struct {
	Name    string `json:"name"`
	Test    string `json:"test"`
	Message string `json:"message"`
}

// readNewmanReport reads newman's JSON export: its tallies, and for each request that had a
// failed assertion, script error or request error, the request, the server's answer and each
// failure.
func readNewmanReport(path string) (newmanSummary, error) {
	var s newmanSummary
	data, err := os.ReadFile(path)
	if err != nil {
		return s, err
	}
	var r newmanReport
	if err := json.Unmarshal(data, &r); err != nil {
		return s, err
	}
	if len(r.Run.Executions) == 0 {
		return s, errors.New("no request ran")
	}
	var tallies []string
	for _, k := range []string{"requests", "assertions", "testScripts", "prerequestScripts"} {
		if st, ok := r.Run.Stats[k]; ok {
			tallies = append(tallies, fmt.Sprintf("%s %d/%d passed", k, st.Total-st.Failed, st.Total))
		}
	}
	s.stats = strings.Join(tallies, ", ")

	// One entry per failing request, in the order the requests ran.
	type failed struct {
		index    int
		header   string
		problems []string
	}
	byRef := map[string]*failed{}
	index := map[string]int{}
	for i, e := range r.Run.Executions {
		index[e.Cursor.Ref] = i
	}
	var order []*failed
	for _, f := range r.Run.Failures {
		entry := byRef[f.Cursor.Ref]
		if entry == nil {
			i, ok := index[f.Cursor.Ref]
			entry = &failed{index: len(r.Run.Executions) + len(order)}
			where := fmt.Sprintf("%s / %q", f.Parent.Name, f.Source.Name)
			if !ok {
				entry.header = fmt.Sprintf("  %s (request not in the report)", where)
			} else {
				e := r.Run.Executions[i]
				entry.index = i
				answer := "no response"
				switch {
				case e.Response != nil:
					body := make([]byte, len(e.Response.Stream.Data))
					for j, b := range e.Response.Stream.Data {
						body[j] = byte(b)
					}
					answer = fmt.Sprintf("%d %s %s", e.Response.Code, e.Response.Status, oneLine(string(body)))
				case e.RequestError != nil:
					answer = "no response: " + e.RequestError.Message
				}
				entry.header = fmt.Sprintf("  #%d %s: %s %s\n      -> %s",
					i+1, where, e.Request.Method, newmanURL(e.Request.URL), answer)
			}
			byRef[f.Cursor.Ref] = entry
			order = append(order, entry)
		}
		what := f.Error.Test
		if what == "" {
			what = f.Error.Name
		}
		entry.problems = append(entry.problems, fmt.Sprintf("      FAIL %s: %s", what, oneLine(f.Error.Message)))
	}
	sort.SliceStable(order, func(a, b int) bool { return order[a].index < order[b].index })
	for _, entry := range order {
		s.failures = append(s.failures, entry.header)
		s.failures = append(s.failures, entry.problems...)
	}
	return s, nil
}

// newmanURL renders the URL of an executed request, which newman exports as an object.
func newmanURL(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var u struct {
		Path  []string `json:"path"`
		Query []struct {
			Key      string  `json:"key"`
			Value    *string `json:"value"`
			Disabled bool    `json:"disabled"`
		} `json:"query"`
	}
	if err := json.Unmarshal(raw, &u); err != nil {
		return string(raw)
	}
	out := "/" + strings.Join(u.Path, "/")
	var q []string
	for _, p := range u.Query {
		if p.Disabled {
			continue
		}
		if p.Value == nil {
			q = append(q, p.Key)
		} else {
			q = append(q, p.Key+"="+*p.Value)
		}
	}
	if len(q) > 0 {
		out += "?" + strings.Join(q, "&")
	}
	return out
}

// oneLine folds a message onto one line and shortens it.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 240 {
		s = s[:240] + "..."
	}
	return s
}
