package ldap_test

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"
)

// The directory every test uses: a real OpenLDAP slapd started by TestMain.
const (
	suffix  = "dc=example,dc=test"
	adminDN = "cn=admin," + suffix
	adminPW = "admin-secret"
	// operatorDN is an ordinary entry with write access that cannot read userPassword, as a
	// production bind DN often is.
	operatorDN = "cn=operator," + suffix
	operatorPW = "operator-secret"
	usersDN    = "ou=people," + suffix
	groupsDN   = "ou=groups," + suffix
	schemaDir  = "/etc/ldap/schema"
	// installHint names what a Debian machine needs for these tests.
	idleTimeout = 2 * time.Second
	tempPrefix  = "scim-ldap-test-"
	installHint = "install the Debian packages slapd and ldap-utils (apt-get install -y slapd ldap-utils)"
)

// ldapURL is the test server's URL, set by TestMain.
var ldapURL string

func TestMain(m *testing.M) { os.Exit(runTests(m)) }

func runTests(m *testing.M) int {
	// Pdeathsig follows the thread that started slapd: keep that thread alive until exit.
	runtime.LockOSThread()
	srv, err := startSlapd()
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: connectors/ldap tests need a real OpenLDAP slapd: %v\n", err)
		return 1
	}
	defer srv.stop()
	ldapURL = srv.url
	if err := seed(); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: seeding the test directory: %v\n%s", err, srv.output())
		return 1
	}
	return m.Run()
}

type slapd struct {
	url  string
	dir  string
	cmd  *exec.Cmd
	done chan struct{}
	out  *syncBuffer
}

func findSlapd() (string, error) {
	if path, err := exec.LookPath("slapd"); err == nil {
		return path, nil
	}
	// Debian puts it in /usr/sbin, which a non-root PATH often lacks.
	if _, err := os.Stat("/usr/sbin/slapd"); err == nil {
		return "/usr/sbin/slapd", nil
	}
	return "", errors.New("slapd is not installed: " + installHint)
}

func slapdConfig(dir string) string {
	var b strings.Builder
	for _, s := range []string{"core", "cosine", "inetorgperson"} {
		fmt.Fprintf(&b, "include %s/%s.schema\n", schemaDir, s)
	}
	fmt.Fprintf(&b, "pidfile %s/slapd.pid\n", dir)
	// Drop idle connections soon, so a test can see the client replace them.
	fmt.Fprintf(&b, "idletimeout %d\n", idleTimeout/time.Second)
	// Debian builds the database backends as modules.
	if _, err := os.Stat("/usr/lib/ldap/back_mdb.so"); err == nil {
		b.WriteString("modulepath /usr/lib/ldap\nmoduleload back_mdb\n")
	}
	fmt.Fprintf(&b, "database mdb\nmaxsize 67108864\nsuffix %q\nrootdn %q\nrootpw %s\ndirectory %s/db\n",
		suffix, adminDN, adminPW, dir)
	// Users may bind with their password, which nobody but the root DN reads; the operator
	// may only write it.
	fmt.Fprintf(&b, "access to attrs=userPassword by dn.exact=%q =w by self write by anonymous auth by * none\n", operatorDN)
	fmt.Fprintf(&b, "access to * by dn.exact=%q write by * read\n", operatorDN)
	return b.String()
}

func startSlapd() (*slapd, error) {
	bin, err := findSlapd()
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(schemaDir + "/inetorgperson.schema"); err != nil {
		return nil, fmt.Errorf("%s/inetorgperson.schema is missing: %s", schemaDir, installHint)
	}
	removeStale()
	dir, err := os.MkdirTemp("", tempPrefix)
	if err != nil {
		return nil, err
	}
	conf := filepath.Join(dir, "slapd.conf")
	if err := os.Mkdir(filepath.Join(dir, "db"), 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(conf, []byte(slapdConfig(dir)), 0o600); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &slapd{url: fmt.Sprintf("ldap://127.0.0.1:%d/", port), dir: dir, done: make(chan struct{}), out: &syncBuffer{}}
	// -d keeps slapd in the foreground, as our child; it runs as the test's user, which owns
	// the temporary directory, so neither -u nor chown is needed, as root or not.
	s.cmd = exec.Command(bin, "-d", "0", "-h", s.url, "-f", conf)
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	s.cmd.SysProcAttr = dieWithParent()
	if err := s.cmd.Start(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	if err := s.waitReady(15 * time.Second); err != nil {
		s.stop()
		return nil, fmt.Errorf("%w\nslapd output:\n%s", err, s.output())
	}
	return s, nil
}

// waitReady polls until the root DN can bind.
func (s *slapd) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		conn, err := goldap.DialURL(s.url)
		if err == nil {
			err = conn.Bind(adminDN, adminPW)
			_ = conn.Close()
			if err == nil {
				return nil
			}
		}
		select {
		case <-s.done:
			return fmt.Errorf("slapd exited: %v", s.cmd.ProcessState)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("slapd did not accept a bind within %s: %v", timeout, err)
		}
	}
}

func (s *slapd) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	_ = os.RemoveAll(s.dir)
}

// removeStale deletes the directories of earlier runs whose slapd is gone: a run that
// panicked or timed out had no chance to.
func removeStale() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), tempPrefix+"*"))
	for _, dir := range dirs {
		data, err := os.ReadFile(filepath.Join(dir, "slapd.pid"))
		pid, convErr := strconv.Atoi(strings.TrimSpace(string(data)))
		if err == nil && convErr == nil && !alive(pid) {
			_ = os.RemoveAll(dir)
		}
	}
}

func (s *slapd) output() string { return s.out.String() }

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// seed adds the suffix and the two parent entries.
func seed() error {
	conn, err := adminConn()
	if err != nil {
		return err
	}
	defer conn.Close()
	entries := []struct {
		dn    string
		attrs map[string][]string
	}{
		{suffix, map[string][]string{"objectClass": {"dcObject", "organization"}, "dc": {"example"}, "o": {"Example"}}},
		{usersDN, map[string][]string{"objectClass": {"organizationalUnit"}, "ou": {"people"}}},
		{groupsDN, map[string][]string{"objectClass": {"organizationalUnit"}, "ou": {"groups"}}},
		{operatorDN, map[string][]string{"objectClass": {"organizationalRole", "simpleSecurityObject"}, "cn": {"operator"}, "userPassword": {operatorPW}}},
	}
	for _, e := range entries {
		req := goldap.NewAddRequest(e.dn, nil)
		for name, values := range e.attrs {
			req.Attribute(name, values)
		}
		if err := conn.Add(req); err != nil {
			return fmt.Errorf("adding %s: %w", e.dn, err)
		}
	}
	return nil
}

func adminConn() (*goldap.Conn, error) {
	conn, err := goldap.DialURL(ldapURL)
	if err != nil {
		return nil, err
	}
	if err := conn.Bind(adminDN, adminPW); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

// syncBuffer collects slapd's output, which its goroutines write while tests read it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
