package ldap

import (
	"crypto/rand"
	"crypto/sha1" // {SSHA} is SHA-1 by definition; it is what OpenLDAP verifies without modules.
	"crypto/subtle"
	"encoding/base64"
	"strings"
)

const sshaPrefix = "{SSHA}"

// hashPassword returns password as an {SSHA} userPassword value, so the directory never
// stores it in clear text.
func hashPassword(password string) string {
	salt := make([]byte, 8)
	_, _ = rand.Read(salt) // crypto/rand.Read never fails
	sum := sha1.Sum(append([]byte(password), salt...))
	return sshaPrefix + base64.StdEncoding.EncodeToString(append(sum[:], salt...))
}

// passwordMatches reports whether the userPassword value stored holds password; known is
// false for a scheme it cannot verify.
func passwordMatches(stored, password string) (match, known bool) {
	switch {
	case !strings.HasPrefix(stored, "{"):
		return subtle.ConstantTimeCompare([]byte(stored), []byte(password)) == 1, true
	case len(stored) >= len(sshaPrefix) && strings.EqualFold(stored[:len(sshaPrefix)], sshaPrefix):
		raw, err := base64.StdEncoding.DecodeString(stored[len(sshaPrefix):])
		if err != nil || len(raw) <= sha1.Size {
			return false, true
		}
		digest, salt := raw[:sha1.Size], raw[sha1.Size:]
		sum := sha1.Sum(append([]byte(password), salt...))
		return subtle.ConstantTimeCompare(digest, sum[:]) == 1, true
	}
	return false, false
}

// checkPassword reports whether one of the userPassword values the bind DN can read holds
// password, and whether any of them could be verified at all: none may be readable, or all
// may be in schemes this package does not know.
func checkPassword(stored []string, password string) (match, verified bool) {
	for _, s := range stored {
		m, known := passwordMatches(s, password)
		if m {
			return true, true
		}
		verified = verified || known
	}
	return false, verified
}
