package filter

// isAttrPath reports whether w is an attrPath of RFC 7644 §3.4.2.2:
// [URI ":"] ATTRNAME ["." ATTRNAME], where ATTRNAME is ["$"] ALPHA *("-" / "_" / DIGIT / ALPHA)
// ("$" for "$ref").
func isAttrPath(w string) bool {
	_, _, _, ok := splitAttrPath(w)
	return ok
}

// splitAttrPath splits an attrPath into its URI prefix (with the trailing ":", or ""), the
// attribute name and the sub-attribute name (or ""). The URI is the longest run of
// `segment:`, where a segment is made of letters, digits, "-" and ".", as in
// "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:".
func splitAttrPath(w string) (uri, name, sub string, ok bool) {
	i := 0
	for {
		j := i
		for j < len(w) && (isAlnum(w[j]) || w[j] == '-' || w[j] == '.') {
			j++
		}
		if j == i || j == len(w) || w[j] != ':' {
			break
		}
		i = j + 1
	}
	uri = w[:i]
	end := attrNameEnd(w, i)
	if end < 0 {
		return "", "", "", false
	}
	name = w[i:end]
	if end < len(w) && w[end] == '.' {
		subEnd := attrNameEnd(w, end+1)
		if subEnd < 0 {
			return "", "", "", false
		}
		sub, end = w[end+1:subEnd], subEnd
	}
	return uri, name, sub, end == len(w)
}

// attrNameEnd returns the end of the ATTRNAME that starts at w[i], or -1.
func attrNameEnd(w string, i int) int {
	if i < len(w) && w[i] == '$' {
		i++
	}
	if i >= len(w) || !isAlpha(w[i]) {
		return -1
	}
	for i++; i < len(w) && (isAlnum(w[i]) || w[i] == '-' || w[i] == '_'); i++ {
	}
	return i
}

func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isAlnum(c byte) bool { return isAlpha(c) || '0' <= c && c <= '9' }
