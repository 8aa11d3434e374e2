package filter

import (
	"strings"
	"testing"
	"time"

	"github.com/scim-operator/scim-operator/internal/schema"
)

func TestParseErrors(t *testing.T) {
	tests := []struct {
		filter string
		rt     *schema.ResourceType
		reason string
	}{
		// malformed
		{``, nil, "an empty filter."},
		{`   `, nil, "only spaces."},
		{`userName`, nil, "an attribute without an operator."},
		{`userName eq`, nil, "an operator without a value."},
		{`userName xx "a"`, nil, "an unknown operator."},
		{`userName eq"a"`, nil, "RFC 7644 needs a space before the value."},
		{"userName\teq \"a\"", nil, "only SP separates tokens."},
		{`userName eq "a" and`, nil, "a dangling and."},
		{`userName eq "a" or`, nil, "a dangling or."},
		{`and userName eq "a"`, nil, "a leading and."},
		{`userName eq "a" userName eq "b"`, nil, "two expressions without a logical operator."},
		{`not userName eq "a"`, nil, "not needs parentheses."},
		{`(userName pr`, nil, "an unclosed parenthesis."},
		{`userName pr)`, nil, "an unopened parenthesis."},
		{`emails[type eq "work"`, nil, "an unclosed bracket."},
		{`emails[type eq "work")`, nil, "mismatched brackets."},
		{`emails[]`, nil, "an empty value filter."},
		{`()`, nil, "empty parentheses."},
		{`[type eq "work"]`, nil, "a value filter without an attribute."},
		{`userName eq "abc`, nil, "an unterminated string."},
		{`userName eq "a\qb"`, nil, "an invalid JSON escape."},
		{`userName eq "a` + "\x01" + `"`, nil, "a control character in a string."},
		{`userName pr pr`, nil, "trailing garbage."},
		{`userName eq "a" and emails[type eq "work"] eq "x"`, nil, "a value path is not an attribute to compare."},
		{`emails[type eq "work"].value`, nil, "Entra's form needs an operator."},
		{`emails[type eq "work"].value eq`, nil, "Entra's form needs a value."},
		{`userName eq 'a b'`, nil, "single quotes do not delimit strings, so 'a b' is two words."},
		{`userName eq a b`, nil, "an unquoted value is one word."},

		// schema violations
		{`foo eq "x"`, nil, "an unknown attribute."},
		{`name.foo eq "x"`, nil, "an unknown sub-attribute."},
		{`userName.foo eq "x"`, nil, "a sub-attribute of a simple attribute."},
		{`members.value eq "x"`, nil, "a Group attribute on Users."},
		{`userName eq "x"`, schema.GroupResourceType, "a User attribute on Groups."},
		{`urn:example:unknown:2.0:User:department eq "x"`, nil, "an unknown schema URN."},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:nope eq "x"`, nil, "an unknown extension attribute."},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.nope eq "x"`, nil, "an unknown extension sub-attribute."},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "x"`, schema.GroupResourceType, "the enterprise extension is not a Group extension."},
		{`urn:ietf:params:scim:schemas:core:2.0:User:userName eq "x"`, schema.GroupResourceType, "the User URN on Groups."},
		{`name.givenName.x eq "y"`, nil, "paths have at most one sub-attribute."},
		{`emails.value[type eq "work"]`, nil, "a value path on a sub-attribute."},
		{`userName[value eq "x"]`, nil, "a value path on a simple attribute."},
		{`emails[foo eq "x"]`, nil, "an unknown sub-attribute in a value path."},
		{`emails[value[type eq "x"]]`, nil, "nested value paths."},
		{`emails[emails.value eq "x"]`, nil, "sub-attribute paths inside a value path."},
		{`emails[type eq "work"].nope eq "x"`, nil, "Entra's form with an unknown sub-attribute."},
		{`name eq "x"`, nil, "a single-valued complex attribute needs a sub-attribute."},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager eq "x"`, nil, "manager is single-valued complex."},
		{`addresses eq "x"`, nil, "addresses has no value sub-attribute."},
		{`active eq "yes"`, nil, "a string that is not a boolean."},
		{`active eq 1`, nil, "a number for a boolean."},
		{`active gt true`, nil, "gt on a boolean."},
		{`active co "t"`, nil, "co on a boolean."},
		{`emails.primary le false`, nil, "le on a boolean sub-attribute."},
		{`x509Certificates.value gt "a"`, nil, "gt on a binary attribute."},
		{`userName eq 1`, nil, "a number for a string."},
		{`userName eq true`, nil, "a boolean for a string."},
		{`userName gt null`, nil, "only eq and ne compare with null."},
		{`userName co null`, nil, "co null."},
		{`meta.created gt "yesterday"`, nil, "not a dateTime."},
		{`meta.created eq 2026`, nil, "a number for a dateTime."},
		{`cores eq "2"`, deviceType, "a string for an integer."},
		{`cores co 2`, deviceType, "co on a number."},
		{`load gt 1e999`, deviceType, "a number out of range."},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			rt := tt.rt
			if rt == nil {
				rt = schema.UserResourceType
			}
			_, err := Parse(tt.filter, rt)
			if err == nil {
				t.Fatalf("Parse succeeded; want invalidFilter because %s", tt.reason)
			}
			checkInvalidFilter(t, err)
			t.Log(err)
		})
	}
}

func TestParseLimits(t *testing.T) {
	nest := func(open, close string, n int) string {
		return strings.Repeat(open, n) + `userName eq "x"` + strings.Repeat(close, n)
	}
	tests := []struct {
		name   string
		filter string
		ok     bool
		reason string
	}{
		{"64 parentheses", nest("(", ")", MaxFilterDepth), true, "the maximum depth is allowed."},
		{"65 parentheses", nest("(", ")", MaxFilterDepth+1), false, "one more is rejected."},
		{"10000 parentheses", nest("(", ")", 10000), false, "deep nesting is rejected before parsing."},
		{"10000 unclosed", strings.Repeat("(", 10000), false, "unbalanced deep nesting too."},
		{"10000 nots", strings.Repeat("not (", 1600) + "userName pr" + strings.Repeat(")", 1600), false, "not adds depth like any parenthesis."},
		{"64 mixed", strings.Repeat("(", 63) + `emails[type eq "work"]` + strings.Repeat(")", 63), true, "brackets count towards depth."},
		{"65 mixed", strings.Repeat("(", 64) + `emails[type eq "work"]` + strings.Repeat(")", 64), false, "brackets count towards depth."},
		{"8 KiB", `userName eq "` + strings.Repeat("x", MaxFilterLength-len(`userName eq ""`)) + `"`, true, "the maximum length is allowed."},
		{"8 KiB + 1", `userName eq "` + strings.Repeat("x", MaxFilterLength-len(`userName eq ""`)+1) + `"`, false, "one byte more is rejected."},
		{"long chain", "userName pr" + strings.Repeat(" and userName pr", (MaxFilterLength-11)/16), true, "a long flat chain within the length limit parses."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			f, err := Parse(tt.filter, schema.UserResourceType)
			if elapsed := time.Since(start); elapsed > 2*time.Second {
				t.Errorf("Parse took %v", elapsed)
			}
			if tt.ok {
				if err != nil {
					t.Fatalf("Parse: %v; %s", err, tt.reason)
				}
				f.Matches(users(t)["alice"])
				return
			}
			if err == nil {
				t.Fatalf("Parse succeeded; %s", tt.reason)
			}
			checkInvalidFilter(t, err)
		})
	}
}
