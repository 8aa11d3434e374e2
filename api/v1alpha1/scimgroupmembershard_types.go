package v1alpha1

import (
	"encoding/json"
	"strings"
	"unicode/utf8"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// MemberType says what a group member is.
// +kubebuilder:validation:Enum=User;Group
type MemberType string

// Member types.
const (
	MemberTypeUser  MemberType = "User"
	MemberTypeGroup MemberType = "Group"
)

// GroupMember is one member of a ScimGroup.
type GroupMember struct {
	// value is the SCIM id (the object name) of the member ScimUser or ScimGroup.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Value string `json:"value"`

	// type is User or Group; User when omitted.
	// +optional
	Type MemberType `json:"type,omitempty"`

	// display is the member's display name as the client sent it.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Display string `json:"display,omitempty"`
}

// ScimGroupMemberShardSpec lists some of the members of one group.
type ScimGroupMemberShardSpec struct {
	// group is the name of the ScimGroup, in the same namespace, these members belong to.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="group is immutable"
	Group string `json:"group"`

	// members of the group held by this shard, one per line: "<value>", "<value> <type>" or
	// "<value> <type> <display>" (type User or Group; User when omitted). The SCIM server writes
	// each value once and checks that it names a user or group of the tenant; the API server
	// checks neither, and readers count a repeated value once.
	// +optional
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=1048576
	Members MemberList `json:"members,omitempty"`
}

// MemberList is the members of a shard. In the API it is one string, a member per line, not a
// list: the API server decodes, validates, converts and copies every element of a list on
// each write, which made a one-member change to a shard of 1,600 members cost it about 30 ms
// of CPU and limited such writes to ~30/s on two cores; a string of the same members costs
// it a scan (see docs/architecture.md, "Group membership").
type MemberList []GroupMember

// MarshalText writes the list as its one-string form, which encoding/json then quotes. (A
// MarshalJSON result is scanned and copied once more by encoding/json: 55 KB for a shard of
// 1,600 members, on every write.)
func (l MemberList) MarshalText() ([]byte, error) {
	size := 0
	for _, m := range l {
		size += len(m.Value) + len(m.Display) + 8
	}
	b := make([]byte, 0, size)
	for i, m := range l {
		if i > 0 {
			b = append(b, '\n')
		}
		b = append(b, m.Value...)
		typ := m.Type
		if typ == "" {
			typ = MemberTypeUser
		}
		if typ != MemberTypeUser || m.Display != "" {
			b = append(b, ' ')
			b = append(b, typ...)
		}
		if m.Display != "" {
			b = append(b, ' ')
			b = append(b, strings.ReplaceAll(m.Display, "\n", " ")...)
		}
	}
	return b, nil
}

// UnmarshalJSON reads the one-string form, or null.
func (l *MemberList) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		*l = nil
		return nil
	}
	s, err := unquote(data)
	if err != nil {
		return err
	}
	*l = ParseMemberList(s)
	return nil
}

// unquote reads a JSON string. A member list is printable ASCII with escaped newlines; that is
// unescaped here in one pass (the decoder calling UnmarshalJSON has already checked the JSON;
// json.Unmarshal would check it again). Anything else is left to json.Unmarshal.
func unquote(data []byte) (string, error) {
	simple := len(data) >= 2 && data[0] == '"' && data[len(data)-1] == '"'
	escapes := 0
	for i := 1; simple && i < len(data)-1; i++ {
		switch c := data[i]; {
		case c == '\\':
			if i+1 == len(data)-1 || !strings.ContainsRune(`"\\/bfnrt`, rune(data[i+1])) {
				simple = false
			}
			escapes++
			i++
		case c < ' ' || c == '"' || c >= utf8.RuneSelf:
			simple = false
		}
	}
	if !simple {
		var s string
		err := json.Unmarshal(data, &s)
		return s, err
	}
	body := data[1 : len(data)-1]
	if escapes == 0 {
		return string(body), nil
	}
	out := make([]byte, 0, len(body)-escapes)
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c == '\\' {
			i++
			c = unescaped[body[i]]
		}
		out = append(out, c)
	}
	return string(out), nil
}

// unescaped maps the letter of each one-letter JSON escape to the byte it stands for.
var unescaped = [256]byte{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

// ParseMemberList reads members written one per line; blank lines are skipped. The members'
// strings share the memory of s.
func ParseMemberList(s string) MemberList {
	l := make(MemberList, 0, strings.Count(s, "\n")+1)
	for line := range strings.Lines(s) {
		line = strings.TrimRight(line, "\r\n")
		value, rest, _ := strings.Cut(line, " ")
		if value == "" {
			continue
		}
		m := GroupMember{Value: value, Type: MemberTypeUser}
		if rest != "" {
			typ, display, _ := strings.Cut(rest, " ")
			m.Type, m.Display = MemberType(typ), display
		}
		l = append(l, m)
	}
	return l
}

// ScimGroupMemberShard holds part of a ScimGroup's member list. A group's members are the union
// of every shard that names it. The SCIM server spreads members over shards by a hash of the
// member id, more shards as the group grows, so no object grows past etcd's size limit, a
// one-member change rewrites a small object, and concurrent membership changes rarely touch the
// same object. Administrators may also write shards by hand.
// +kubebuilder:object:root=true
// +kubebuilder:resource:shortName=sgms
// +kubebuilder:printcolumn:name="Group",type=string,JSONPath=`.spec.group`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type ScimGroupMemberShard struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec ScimGroupMemberShardSpec `json:"spec"`

	// LastModifiedHint is when a client last changed the object, taken from its managedFields
	// by the operator's cache, which then drops them to save memory (resource.CacheTransform).
	// Never serialised: only the process that read the object knows it.
	LastModifiedHint metav1.Time `json:"-"`
}

// ScimGroupMemberShardList is a list of ScimGroupMemberShards.
// +kubebuilder:object:root=true
type ScimGroupMemberShardList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ScimGroupMemberShard `json:"items"`
}

func init() {
	SchemeBuilder.Register(&ScimGroupMemberShard{}, &ScimGroupMemberShardList{})
}
