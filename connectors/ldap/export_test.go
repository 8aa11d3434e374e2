package ldap

import "crypto/x509"

// TrustRoots makes clients connected from now on verify directories against roots, and
// returns a function that restores the system's roots.
func TrustRoots(roots *x509.CertPool) (restore func()) {
	rootCAs = roots
	return func() { rootCAs = nil }
}
