// Package slapd runs a throwaway OpenLDAP slapd for tests: an mdb database for Suffix in a
// scratch directory, listening on 127.0.0.1, seeded with UsersDN, GroupsDN and OperatorDN.
// Stop removes it; should the test binary die first, the kernel kills it (Linux) and the next
// run removes its files.
package slapd

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/scim-operator/scim-operator/internal/testapps/proc"
)

// The directory's fixed layout.
const (
	Suffix = "dc=example,dc=test"
	// AdminDN is the root DN: it may do and read everything.
	AdminDN       = "cn=admin," + Suffix
	AdminPassword = "admin-secret"
	// OperatorDN is an ordinary entry with write access that cannot read userPassword, as a
	// production bind DN often is.
	OperatorDN       = "cn=operator," + Suffix
	OperatorPassword = "operator-secret"
	UsersDN          = "ou=people," + Suffix
	GroupsDN         = "ou=groups," + Suffix
)

const schemaDir = "/etc/ldap/schema"

// debianPackages have slapd and its schema files.
var debianPackages = []string{"slapd", "ldap-utils"}

// Options tune the server.
type Options struct {
	// IdleTimeout makes slapd drop connections idle this long; zero keeps them.
	IdleTimeout time.Duration
	// TLSCertFile and TLSKeyFile, PEM files, let clients use StartTLS on the ldap:// port.
	TLSCertFile, TLSKeyFile string
}

// Server is a running (or, between Down and Up, stopped) slapd.
type Server struct {
	url, dir, bin string
	out           *proc.Output

	mu   sync.Mutex
	proc *proc.Process
}

// Start starts slapd on a free port and seeds the directory.
func Start(opts Options) (*Server, error) {
	bin, err := findSlapd()
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(schemaDir + "/inetorgperson.schema"); err != nil {
		return nil, proc.Missing(schemaDir+"/inetorgperson.schema", err, debianPackages...)
	}
	dir, err := proc.TempDir("scim-slapd-")
	if err != nil {
		return nil, err
	}
	port, err := proc.FreePort()
	if err != nil {
		return nil, err
	}
	s := &Server{url: fmt.Sprintf("ldap://127.0.0.1:%d/", port), dir: dir, bin: bin, out: &proc.Output{}}
	fail := func(err error) (*Server, error) {
		_ = s.Stop()
		return nil, err
	}
	if err := os.Mkdir(filepath.Join(dir, "db"), 0o700); err != nil {
		return fail(err)
	}
	if err := os.WriteFile(s.conf(), []byte(config(dir, opts)), 0o600); err != nil {
		return fail(err)
	}
	if err := s.Up(); err != nil {
		return fail(err)
	}
	if err := s.seed(); err != nil {
		return fail(fmt.Errorf("seeding the directory: %w\n%s", err, s.Output()))
	}
	return s, nil
}

// URL is the server's ldap:// URL; it stays the same across Down and Up.
func (s *Server) URL() string { return s.url }

// Dial connects and binds as AdminDN.
func (s *Server) Dial() (*goldap.Conn, error) {
	conn, err := goldap.DialURL(s.url)
	if err != nil {
		return nil, err
	}
	if err := conn.Bind(AdminDN, AdminPassword); err != nil {
		_ = conn.Close()
		return nil, err
	}
	return conn, nil
}

// Output is what slapd has written.
func (s *Server) Output() string { return s.out.String() }

// Down stops slapd and keeps its database, as an outage would: Up starts it again.
func (s *Server) Down() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		s.proc.Stop(5*time.Second, syscall.SIGTERM)
		s.proc = nil
	}
	return nil
}

// Up starts slapd on its URL and waits until the root DN can bind.
func (s *Server) Up() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		return nil
	}
	// -d keeps slapd in the foreground, as our child; it runs as the test's user, which owns
	// the scratch directory, so neither -u nor chown is needed, as root or not.
	cmd := exec.Command(s.bin, "-d", "0", "-h", s.url, "-f", s.conf())
	cmd.Stdout, cmd.Stderr = s.out, s.out
	p, err := proc.Start(cmd, syscall.SIGKILL)
	if err != nil {
		return fmt.Errorf("starting %s: %w", s.bin, err)
	}
	if err := s.waitReady(p, 15*time.Second); err != nil {
		p.Stop(time.Second)
		return fmt.Errorf("%w\nslapd output:\n%s", err, s.Output())
	}
	s.proc = p
	return nil
}

// Stop stops slapd and removes its files.
func (s *Server) Stop() error {
	err := s.Down()
	return errors.Join(err, os.RemoveAll(s.dir))
}

func (s *Server) conf() string { return filepath.Join(s.dir, "slapd.conf") }

func (s *Server) waitReady(p *proc.Process, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		conn, err := s.Dial()
		if err == nil {
			return conn.Close()
		}
		select {
		case <-p.Done():
			return fmt.Errorf("slapd exited (%s)", p.Exited())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("slapd did not accept a bind within %s: %w", timeout, err)
		}
	}
}

func findSlapd() (string, error) {
	path, err := exec.LookPath("slapd")
	if err == nil {
		return path, nil
	}
	// Debian puts it in /usr/sbin, which a non-root PATH often lacks.
	if _, statErr := os.Stat("/usr/sbin/slapd"); statErr == nil {
		return "/usr/sbin/slapd", nil
	}
	return "", proc.Missing("slapd", err, debianPackages...)
}

func config(dir string, opts Options) string {
	var b strings.Builder
	for _, s := range []string{"core", "cosine", "inetorgperson"} {
		fmt.Fprintf(&b, "include %s/%s.schema\n", schemaDir, s)
	}
	fmt.Fprintf(&b, "pidfile %s/slapd.pid\n", dir)
	if opts.TLSCertFile != "" {
		fmt.Fprintf(&b, "TLSCertificateFile %s\nTLSCertificateKeyFile %s\n", opts.TLSCertFile, opts.TLSKeyFile)
	}
	if opts.IdleTimeout > 0 {
		fmt.Fprintf(&b, "idletimeout %d\n", max(1, int(opts.IdleTimeout/time.Second)))
	}
	// Debian builds the database backends as modules.
	if _, err := os.Stat("/usr/lib/ldap/back_mdb.so"); err == nil {
		b.WriteString("modulepath /usr/lib/ldap\nmoduleload back_mdb\n")
	}
	fmt.Fprintf(&b, "database mdb\nmaxsize 67108864\nsuffix %q\nrootdn %q\nrootpw %s\ndirectory %s/db\n",
		Suffix, AdminDN, AdminPassword, dir)
	// Users may bind with their password, which nobody but the root DN reads; the operator may
	// only write it.
	fmt.Fprintf(&b, "access to attrs=userPassword by dn.exact=%q =w by self write by anonymous auth by * none\n", OperatorDN)
	fmt.Fprintf(&b, "access to * by dn.exact=%q write by * read\n", OperatorDN)
	return b.String()
}

// seed adds the suffix, the two parent entries and the operator's entry.
func (s *Server) seed() error {
	conn, err := s.Dial()
	if err != nil {
		return err
	}
	defer conn.Close()
	type attrs = []goldap.Attribute
	entries := []struct {
		dn    string
		attrs attrs
	}{
		{Suffix, attrs{{Type: "objectClass", Vals: []string{"dcObject", "organization"}}, {Type: "dc", Vals: []string{"example"}}, {Type: "o", Vals: []string{"Example"}}}},
		{UsersDN, attrs{{Type: "objectClass", Vals: []string{"organizationalUnit"}}, {Type: "ou", Vals: []string{"people"}}}},
		{GroupsDN, attrs{{Type: "objectClass", Vals: []string{"organizationalUnit"}}, {Type: "ou", Vals: []string{"groups"}}}},
		{OperatorDN, attrs{{Type: "objectClass", Vals: []string{"organizationalRole", "simpleSecurityObject"}}, {Type: "cn", Vals: []string{"operator"}}, {Type: "userPassword", Vals: []string{OperatorPassword}}}},
	}
	for _, e := range entries {
		if err := conn.Add(&goldap.AddRequest{DN: e.dn, Attributes: e.attrs}); err != nil {
			return fmt.Errorf("adding %s: %w", e.dn, err)
		}
	}
	return nil
}
