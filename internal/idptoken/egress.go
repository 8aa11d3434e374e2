package idptoken

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"syscall"
	"time"
)

// A JWKS URL is written by whoever may edit a ScimTenant, and the operator fetches it from
// inside the cluster: without limits, a tenant could make the operator read the cloud's
// metadata service (and its credentials) or downgrade the fetch to plain HTTP, where anyone on
// the path can substitute keys and so mint tokens.

// ErrJWKSURL means a JWKS URL is not one the operator may fetch.
var ErrJWKSURL = errors.New("JWKS URL not allowed")

// loopbackHosts are the hosts where plain HTTP is allowed: nothing leaves the machine, and
// tests serve their key sets there.
var loopbackHosts = map[string]bool{"127.0.0.1": true, "::1": true, "localhost": true}

// CheckJWKSURL reports whether raw may be fetched: an absolute https URL, or http with a
// literal loopback host, and no user information (which hides the real host from a reader:
// http://localhost@169.254.169.254/). The CRD's CEL rule says the same.
func CheckJWKSURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%w: not a URL", ErrJWKSURL)
	}
	switch {
	case u.User != nil:
		return fmt.Errorf("%w: %s carries user information", ErrJWKSURL, u.Redacted())
	case u.Hostname() == "":
		return fmt.Errorf("%w: %s has no host", ErrJWKSURL, u.Redacted())
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && loopbackHosts[u.Hostname()]:
		return nil
	}
	return fmt.Errorf("%w: %s is not https (plain http only on a loopback host)", ErrJWKSURL, u.Redacted())
}

// maxRedirects bounds a chain of redirects within one origin.
const maxRedirects = 5

// sameOrigin refuses a redirect to another scheme or host: a provider's JWKS URL may move
// within the provider, but a redirect must not turn an allowed URL into a forbidden one
// (https into http, a public host into an internal one).
func sameOrigin(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return fmt.Errorf("%w: more than %d redirects", ErrJWKSURL, maxRedirects)
	}
	first := via[0].URL
	if req.URL.Scheme != first.Scheme || req.URL.Host != first.Host {
		return fmt.Errorf("%w: redirect from %s to another scheme or host (%s://%s)", ErrJWKSURL, first.Redacted(), req.URL.Scheme, req.URL.Host)
	}
	return nil
}

// metadataAddrs are cloud metadata services outside the link-local ranges.
var metadataAddrs = []netip.Addr{
	netip.MustParseAddr("fd00:ec2::254"),   // AWS, IPv6
	netip.MustParseAddr("100.100.100.200"), // Alibaba Cloud
}

// forbiddenAddr reports why a dialled address must not be reached, or "" when it may.
func forbiddenAddr(ip netip.Addr) string {
	ip = ip.Unmap()
	switch {
	case ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast():
		return "a link-local address (cloud metadata services live there)"
	case ip.IsUnspecified() || ip.IsMulticast():
		return "not a unicast address"
	}
	for _, m := range metadataAddrs {
		if ip == m {
			return "a cloud metadata address"
		}
	}
	return ""
}

// dialControl runs after name resolution, on the address actually dialled: a host name that
// resolves (or is re-bound) to a forbidden address is refused too.
func dialControl(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: dialling %q", ErrJWKSURL, address)
	}
	if why := forbiddenAddr(ap.Addr()); why != "" {
		return fmt.Errorf("%w: %s is %s", ErrJWKSURL, ap.Addr(), why)
	}
	return nil
}

// NewHTTPClient returns the client key sets are fetched with: it refuses to connect to
// link-local and metadata addresses and to follow a redirect to another scheme or host.
// tlsConfig may be nil (the system's roots); tests pass one trusting their own server.
//
// A proxy from the environment (HTTPS_PROXY) is used when set: the proxy then resolves and
// connects, so it must refuse those addresses itself.
func NewHTTPClient(tlsConfig *tls.Config) *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second, Control: dialControl}
	transport := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		TLSClientConfig:       tlsConfig,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: fetchTimeout,
		MaxIdleConns:          16,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{Transport: transport, Timeout: fetchTimeout, CheckRedirect: sameOrigin}
}
