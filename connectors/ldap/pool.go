package ldap

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/scim-operator/scim-operator/connectors"
)

const (
	// poolSize bounds the idle connections kept: enough for a few concurrent workers
	// without holding many server slots per app.
	poolSize       = 4
	dialTimeout    = 10 * time.Second
	requestTimeout = 30 * time.Second
)

// pool hands out connections bound as the operator's DN.
type pool struct {
	url, bindDN, password string
	startTLS              bool
	tls                   *tls.Config

	mu     sync.Mutex
	closed bool
	idle   chan *goldap.Conn
}

// rootCAs verifies the directory's certificate; nil means the system's roots. Tests set it.
var rootCAs *x509.CertPool

func newPool(cfg config, password string) *pool {
	return &pool{
		url: cfg.url, bindDN: cfg.bindDN, password: password, startTLS: cfg.startTLS,
		tls:  &tls.Config{ServerName: cfg.host, RootCAs: rootCAs, MinVersion: tls.VersionTLS12},
		idle: make(chan *goldap.Conn, poolSize),
	}
}

// do runs fn on a bound connection and classifies its error. go-ldap takes no context, so
// cancelling ctx closes the connection under fn.
func (p *pool) do(ctx context.Context, op string, fn func(*goldap.Conn) error) error {
	if err := ctx.Err(); err != nil {
		return classify(op, err)
	}
	for attempt := 0; ; attempt++ {
		conn, reused, err := p.get(ctx)
		if err != nil {
			return classify(op, err)
		}
		err = withContext(ctx, conn, fn)
		// A pooled connection may have been dropped by the server while idle: retry once on a
		// new one. Every operation re-reads before it writes, so repeating it is safe. go-ldap
		// reports a drop as a network error or, racing its reader, as a plain read error.
		if reused && attempt == 0 && err != nil && (isNetwork(err) || conn.IsClosing()) && ctx.Err() == nil {
			_ = conn.Close()
			continue
		}
		p.put(conn, err)
		return classify(op, err)
	}
}

func withContext(ctx context.Context, conn *goldap.Conn, fn func(*goldap.Conn) error) error {
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	err := fn(conn)
	if !stop() {
		return ctx.Err()
	}
	return err
}

func (p *pool) get(ctx context.Context) (*goldap.Conn, bool, error) {
	if conn := p.takeIdle(); conn != nil {
		return conn, true, nil
	}
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if closed {
		return nil, false, errors.New("client is closed")
	}
	conn, err := p.dial(ctx)
	return conn, false, err
}

// takeIdle returns an idle connection that is still open, or nil.
func (p *pool) takeIdle() *goldap.Conn {
	for {
		select {
		case conn := <-p.idle:
			if !conn.IsClosing() {
				return conn
			}
		default:
			return nil
		}
	}
}

func (p *pool) dial(ctx context.Context) (*goldap.Conn, error) {
	d := &net.Dialer{Timeout: dialTimeout}
	if deadline, ok := ctx.Deadline(); ok {
		d.Deadline = deadline
	}
	conn, err := goldap.DialURL(p.url, goldap.DialWithDialer(d), goldap.DialWithTLSConfig(p.tls))
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", p.url, err)
	}
	conn.SetTimeout(requestTimeout)
	err = withContext(ctx, conn, func(conn *goldap.Conn) error {
		// Before the bind, so that the password travels encrypted; a server that refuses
		// StartTLS or a certificate that does not verify ends here.
		if p.startTLS {
			if err := conn.StartTLS(p.tls); err != nil {
				return fmt.Errorf("StartTLS: %w", err)
			}
		}
		return conn.Bind(p.bindDN, p.password)
	})
	if err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("binding as %s: %w", p.bindDN, err)
	}
	return conn, nil
}

// put keeps conn for reuse unless its last error broke it or the pool is full or closed.
func (p *pool) put(conn *goldap.Conn, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || conn.IsClosing() || isBroken(err) {
		_ = conn.Close()
		return
	}
	select {
	case p.idle <- conn:
	default:
		_ = conn.Close()
	}
}

func (p *pool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for {
		select {
		case conn := <-p.idle:
			_ = conn.Close()
		default:
			return
		}
	}
}

// isBroken: go-ldap reports client-side failures (network, timeouts, garbled packets) with
// codes from 200 up; after one the connection's state is unknown.
func isBroken(err error) bool {
	var le *goldap.Error
	return errors.As(err, &le) && le.ResultCode >= goldap.ErrorNetwork
}

func isNetwork(err error) bool { return goldap.IsErrorWithCode(err, goldap.ErrorNetwork) }

// configCodes are results that retrying cannot fix: the credentials, the DNs or the rights
// of the bind DN are wrong.
var configCodes = []uint16{
	goldap.LDAPResultInvalidCredentials, goldap.LDAPResultInappropriateAuthentication,
	goldap.LDAPResultInsufficientAccessRights, goldap.LDAPResultInvalidDNSyntax,
	goldap.LDAPResultUndefinedAttributeType, goldap.LDAPResultAuthMethodNotSupported,
	goldap.LDAPResultStrongAuthRequired, goldap.LDAPResultConfidentialityRequired,
	goldap.ErrorEmptyPassword,
}

func classify(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case connectors.IsConfig(err), errors.Is(err, ErrConflict):
		return err
	case goldap.IsErrorAnyOf(err, configCodes...):
		return connectors.ConfigError("ldap: %s: %v", op, err)
	}
	return fmt.Errorf("ldap: %s: %w", op, err)
}
