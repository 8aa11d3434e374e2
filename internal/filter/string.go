package filter

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/scim-operator/scim-operator/internal/schema"
)

// String writes the filter back in canonical RFC 7644 form: attribute names as the schema
// spells them, operators in lower case, string values quoted, `eq null` for "not present"
// and only the parentheses precedence needs. Parse (ParseValueFilter for a value filter) reads
// it back as the same filter.
func (f *Filter) String() string {
	var b strings.Builder
	write(&b, f.root)
	return b.String()
}

func write(b *strings.Builder, n node) {
	switch n := n.(type) {
	case *orNode:
		write(b, n.l)
		b.WriteString(" or ")
		write(b, n.r)
	case *andNode:
		writeOperand(b, n.l)
		b.WriteString(" and ")
		writeOperand(b, n.r)
	case *notNode:
		if p, ok := n.x.(*presentNode); ok {
			// What `eq null` parses to (RFC 7643 §2.5).
			b.WriteString(p.path + " eq null")
			return
		}
		b.WriteString("not (")
		write(b, n.x)
		b.WriteString(")")
	case *presentNode:
		b.WriteString(n.path + " pr")
	case *valuePathNode:
		b.WriteString(n.path + "[")
		write(b, n.filter)
		b.WriteString("]")
	case *cmpNode:
		b.WriteString(n.path + " " + n.op + " ")
		switch n.typ {
		case schema.TypeBoolean:
			b.WriteString(strconv.FormatBool(n.b))
		case schema.TypeInteger, schema.TypeDecimal:
			b.WriteString(n.num.String())
		default:
			q, _ := json.Marshal(n.raw) // a string always marshals
			b.Write(q)
		}
	}
}

// writeOperand writes an operand of "and", in parentheses if it is an "or".
func writeOperand(b *strings.Builder, n node) {
	if _, ok := n.(*orNode); ok {
		b.WriteString("(")
		write(b, n)
		b.WriteString(")")
		return
	}
	write(b, n)
}
