package scimserver

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ParseTrustedProxies reads a comma-separated list of CIDRs or single addresses, such as
// "10.0.0.0/8,192.168.1.7".
func ParseTrustedProxies(list string) ([]netip.Prefix, error) {
	var prefixes []netip.Prefix
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if !strings.Contains(item, "/") {
			addr, err := netip.ParseAddr(item)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q is neither a CIDR nor an address", item)
			}
			prefixes = append(prefixes, netip.PrefixFrom(addr.Unmap(), addr.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(item)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q is not a CIDR: %v", item, err)
		}
		if p.Addr().Is4In6() {
			p = netip.PrefixFrom(p.Addr().Unmap(), max(p.Bits()-96, 0))
		}
		prefixes = append(prefixes, p.Masked())
	}
	return prefixes, nil
}

// clientAddr is the address of the client that sent r. It is the TCP peer, unless the peer is
// a trusted proxy: then it is the right-most address of the forwarding chain that is not a
// trusted proxy. Addresses to the left of that one were written by the client itself and
// prove nothing. X-Forwarded-For is read first, since common ingress controllers append to
// it but pass a client's own Forwarded header through; Forwarded (RFC 7239) only without it.
func clientAddr(r *http.Request, trusted []netip.Prefix) netip.Addr {
	peer := peerAddr(r)
	if !peer.IsValid() || !isTrusted(peer, trusted) {
		return peer
	}
	chain := forwardedChain(r)
	addr := peer
	for i := len(chain) - 1; i >= 0; i-- {
		hop, ok := parseHop(chain[i])
		if !ok {
			break // a trusted proxy wrote something unreadable: the last proxy is the client
		}
		addr = hop
		if !isTrusted(hop, trusted) {
			break
		}
	}
	return addr
}

func peerAddr(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return addr.Unmap().WithZone("")
}

func isTrusted(addr netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// forwardedChain lists the hops of X-Forwarded-For, or of Forwarded's "for" parameters,
// left (the first client) to right (the last proxy), across repeated headers.
func forwardedChain(r *http.Request) []string {
	var chain []string
	if values := r.Header.Values("X-Forwarded-For"); len(values) > 0 {
		for _, v := range values {
			for _, hop := range strings.Split(v, ",") {
				chain = append(chain, strings.TrimSpace(hop))
			}
		}
		return chain
	}
	for _, v := range r.Header.Values("Forwarded") {
		for _, element := range strings.Split(v, ",") {
			hop := ""
			for _, pair := range strings.Split(element, ";") {
				name, value, _ := strings.Cut(strings.TrimSpace(pair), "=")
				if strings.EqualFold(name, "for") {
					hop = strings.Trim(value, `"`)
				}
			}
			chain = append(chain, hop) // an element without "for" is an unknown hop
		}
	}
	return chain
}

// parseHop reads one hop: "192.0.2.1", "192.0.2.1:4711", "2001:db8::1", "[2001:db8::1]:4711".
// Obfuscated and "unknown" identifiers (RFC 7239 §6) are not addresses.
func parseHop(hop string) (netip.Addr, bool) {
	if addr, err := netip.ParseAddr(hop); err == nil {
		return addr.Unmap().WithZone(""), true
	}
	if ap, err := netip.ParseAddrPort(hop); err == nil {
		return ap.Addr().Unmap().WithZone(""), true
	}
	if h := strings.TrimSuffix(strings.TrimPrefix(hop, "["), "]"); h != hop {
		if addr, err := netip.ParseAddr(h); err == nil {
			return addr.Unmap().WithZone(""), true
		}
	}
	return netip.Addr{}, false
}

// addrGroup is the part of an address that identifies one client for throttling: an IPv4
// address, or an IPv6 /64, the smallest block a site is usually given, so that one client
// cannot make itself 2^64 clients.
func addrGroup(addr netip.Addr) string {
	if !addr.IsValid() {
		return "unknown"
	}
	if addr.Is6() {
		p, _ := addr.Prefix(64)
		return p.String()
	}
	return addr.String()
}
