package postgres

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLiteral(t *testing.T) {
	cases := map[string]struct {
		reason  string
		in      string
		want    string
		wantErr bool
	}{
		"Plain": {
			reason: "A plain string is only wrapped.",
			in:     "abc",
			want:   "E'abc'",
		},
		"SingleQuote": {
			reason: "A single quote is doubled so it cannot end the literal.",
			in:     "it's'); DROP ROLE x; --",
			want:   "E'it''s''); DROP ROLE x; --'",
		},
		"Backslash": {
			reason: "A backslash is doubled so it cannot escape the closing quote.",
			in:     `a\'`,
			want:   `E'a\\'''`,
		},
		"NUL": {
			reason:  "A NUL byte cannot be stored and is refused.",
			in:      "a\x00b",
			wantErr: true,
		},
		"InvalidUTF8": {
			reason:  "Bytes that are not UTF-8 are refused rather than sent.",
			in:      "a\xff'",
			wantErr: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := literal(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("%s\nliteral(%q): error %v, want error %v", tc.reason, tc.in, err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nliteral(%q) (-want +got):\n%s", tc.reason, tc.in, diff)
			}
		})
	}
}

// TestLiteralRoundTrip has the server read each literal back, with standard_conforming_strings
// on and off: the E'...' form must mean the same string either way.
func TestLiteralRoundTrip(t *testing.T) {
	inputs := []string{``, `'`, `''`, `\`, `\'`, `'\`, `\\'`, `$$`, `E'x'`, `"; DROP ROLE postgres; --`, "tab\tnewline\n", "ünïcødé ✓"}
	for _, scs := range []string{"on", "off"} {
		conn, err := admin.Acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec(context.Background(), "SET standard_conforming_strings = "+scs); err != nil {
			t.Fatal(err)
		}
		for _, in := range inputs {
			var got string
			err := conn.QueryRow(context.Background(), "SELECT "+mustLiteral(in)).Scan(&got)
			if err != nil || got != in {
				t.Errorf("standard_conforming_strings=%s: SELECT %s = %q, %v; want %q", scs, mustLiteral(in), got, err, in)
			}
		}
		// The pool must not hand a changed session to other tests.
		_ = conn.Conn().Close(context.Background())
		conn.Release()
	}
}
