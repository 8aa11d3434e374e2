package scimserver

import (
	"net/http/httptest"
	"testing"
)

func TestClientAddr(t *testing.T) {
	trusted, err := ParseTrustedProxies("10.0.0.0/8, 192.168.1.7, 2001:db8:ffff::/48")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, peer string
		header     [2]string
		want       string
	}{
		{"an untrusted peer is the client, whatever it claims", "198.51.100.1:5000", [2]string{"X-Forwarded-For", "203.0.113.9"}, "198.51.100.1"},
		{"a trusted proxy names the client", "10.1.2.3:5000", [2]string{"X-Forwarded-For", "203.0.113.9"}, "203.0.113.9"},
		{"the right-most untrusted hop, not the client's own claim", "10.1.2.3:5000", [2]string{"X-Forwarded-For", "1.2.3.4, 203.0.113.9, 10.9.9.9"}, "203.0.113.9"},
		{"a single trusted address", "192.168.1.7:80", [2]string{"X-Forwarded-For", "203.0.113.9"}, "203.0.113.9"},
		{"a neighbour of the trusted address is not trusted", "192.168.1.8:80", [2]string{"X-Forwarded-For", "203.0.113.9"}, "192.168.1.8"},
		{"Forwarded, with ports and IPv6", "[2001:db8:ffff::1]:443", [2]string{"Forwarded", `for=198.51.100.3;proto=https, for="[2001:db8:1:2::5]:4711"`}, "2001:db8:1:2::5"},
		{"an unreadable hop: the proxy that wrote it is the client", "10.1.2.3:5000", [2]string{"X-Forwarded-For", "garbage, 10.4.4.4"}, "10.4.4.4"},
		{"no header from a trusted proxy", "10.1.2.3:5000", [2]string{}, "10.1.2.3"},
		{"IPv4-mapped IPv6 peer", "[::ffff:10.1.2.3]:5000", [2]string{"X-Forwarded-For", "203.0.113.9"}, "203.0.113.9"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.peer
		if c.header[0] != "" {
			r.Header.Set(c.header[0], c.header[1])
		}
		if got := clientAddr(r, trusted).String(); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
	if _, err := ParseTrustedProxies("10.0.0.0/33"); err == nil {
		t.Error("an invalid CIDR was accepted")
	}
}

// One IPv6 client may use any address of its /64: it is one client.
func TestAddrGroupIsAnIPv6Slash64(t *testing.T) {
	a, _ := parseHop("2001:db8:1:2::1")
	b, _ := parseHop("2001:db8:1:2:ffff:ffff:ffff:ffff")
	c, _ := parseHop("2001:db8:1:3::1")
	if addrGroup(a) != addrGroup(b) || addrGroup(a) == addrGroup(c) {
		t.Errorf("groups %s %s %s", addrGroup(a), addrGroup(b), addrGroup(c))
	}
	v4, _ := parseHop("192.0.2.1")
	if addrGroup(v4) != "192.0.2.1" {
		t.Errorf("IPv4 group %s", addrGroup(v4))
	}
}
