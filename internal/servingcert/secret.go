package servingcert

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
)

// load swaps in the Secret's certificate if it is valid. An invalid one is refused so that a bad
// edit, or a half-written renewal, never takes HTTPS down.
func (r *Reloader) load(s *corev1.Secret) {
	log := r.log.WithValues("resourceVersion", s.ResourceVersion)
	cert, err := parse(s)
	if err != nil {
		// The error comes from parsing and never quotes key material.
		log.Error(err, "Invalid serving certificate Secret; keeping the last good certificate",
			"serving", r.Ready())
		return
	}
	old := r.cert.Swap(cert)
	if old != nil && slices.EqualFunc(old.Certificate, cert.Certificate, bytes.Equal) {
		return // Secret updated (labels, annotations) but the certificate is the same.
	}
	leaf := cert.Leaf
	log.Info("Loaded serving certificate", "serial", leaf.SerialNumber.Text(16),
		"notBefore", leaf.NotBefore, "notAfter", leaf.NotAfter, "sans", sans(leaf))
	if now := time.Now(); now.After(leaf.NotAfter) || now.Before(leaf.NotBefore) {
		log.Info("Warning: the serving certificate is outside its validity period; clients will reject it",
			"notBefore", leaf.NotBefore, "notAfter", leaf.NotAfter)
	}
}

// deleted keeps the current certificate: a deleted Secret is usually about to be recreated
// (cert-manager does so), and stopping HTTPS meanwhile helps nobody.
func (r *Reloader) deleted(coreinformers.DeletedSecret) {
	r.log.Info("Warning: serving certificate Secret was deleted; keeping the last good certificate",
		"serving", r.Ready())
}

// parse reads tls.crt and tls.key the way a kubernetes.io/tls Secret holds them.
func parse(s *corev1.Secret) (*tls.Certificate, error) {
	crt, key := s.Data[corev1.TLSCertKey], s.Data[corev1.TLSPrivateKeyKey]
	if len(crt) == 0 || len(key) == 0 {
		return nil, fmt.Errorf("the Secret needs both %s and %s", corev1.TLSCertKey, corev1.TLSPrivateKeyKey)
	}
	cert, err := tls.X509KeyPair(crt, key)
	if err != nil {
		return nil, err
	}
	if cert.Leaf == nil { // Only with GODEBUG x509keypairleaf=0.
		if cert.Leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return nil, err
		}
	}
	return &cert, nil
}

// sans lists every subject alternative name, the names clients check.
func sans(c *x509.Certificate) []string {
	out := slices.Clone(c.DNSNames)
	for _, ip := range c.IPAddresses {
		out = append(out, ip.String())
	}
	for _, u := range c.URIs {
		out = append(out, u.String())
	}
	return append(out, c.EmailAddresses...)
}
