package ldap

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCheckPassword(t *testing.T) {
	hashed := hashPassword("s3cret")
	cases := []struct {
		name, reason string
		stored       []string
		want         [2]bool // match, verified
	}{
		{"ssha match", "a hash written by the connector verifies against its password", []string{hashed}, [2]bool{true, true}},
		{"ssha mismatch", "a hash of another password is a verified mismatch", []string{hashPassword("other")}, [2]bool{false, true}},
		{"scheme case", "schemes are case-insensitive, as OpenLDAP reads them", []string{"{ssha}" + hashed[len("{SSHA}"):]}, [2]bool{true, true}},
		{"clear text", "a clear-text value is compared as is", []string{"s3cret"}, [2]bool{true, true}},
		{"unknown scheme", "a scheme the connector cannot compute cannot be verified", []string{"{CRYPT}$6$abc$def"}, [2]bool{false, false}},
		{"corrupt ssha", "an undecodable {SSHA} value is a mismatch, not a match", []string{"{SSHA}!!!"}, [2]bool{false, true}},
		{"unreadable", "no value read means nothing to verify", nil, [2]bool{false, false}},
		{"one of several", "any matching value counts", []string{"{CRYPT}x", hashed}, [2]bool{true, true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			match, verified := checkPassword(tc.stored, "s3cret")
			if diff := cmp.Diff(tc.want, [2]bool{match, verified}); diff != "" {
				t.Errorf("(-want +got):\n%s\n%s", diff, tc.reason)
			}
		})
	}
	if hashPassword("s3cret") == hashed {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
}
