package resource

import (
	"strings"
	"time"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/internal/schema"
	"github.com/scim-operator/scim-operator/internal/scimerr"
)

// memberJSON is one value of a Group's "members" attribute as SCIM writes it.
type memberJSON struct {
	Value   string `json:"value"`
	Ref     string `json:"$ref,omitempty"`
	Type    string `json:"type,omitempty"`
	Display string `json:"display,omitempty"`
}

// memberInput is a member as clients write it: some (Microsoft's validator) call the display
// name "displayName".
type memberInput struct {
	memberJSON
	DisplayName string `json:"displayName,omitempty"`
}

type groupAttributes struct {
	ignoredOnInput
	DisplayName string        `json:"displayName"`
	ExternalID  string        `json:"externalId"`
	Members     []memberInput `json:"members"`
}

// GroupInput is a Group as a client wrote it. Members are stored apart from the group
// (see ScimGroupMemberShard).
type GroupInput struct {
	Spec    scimv1.ScimGroupSpec
	Members []scimv1.GroupMember
}

// DecodeGroup parses a SCIM Group body (POST or PUT).
func DecodeGroup(body []byte, opts DecodeOptions) (*GroupInput, error) {
	core, extensions, err := parseBody(body, schema.GroupResourceType)
	if err != nil {
		return nil, err
	}
	for urn := range extensions {
		if !opts.IgnoreUnknown && !strings.EqualFold(urn, ProvisioningSchema) {
			return nil, scimerr.InvalidSyntax("the Group resource type has no extension %q", urn)
		}
	}
	var attrs groupAttributes
	if err := decode(core, &attrs, opts); err != nil {
		return nil, err
	}
	if err := requireString("displayName", attrs.DisplayName); err != nil {
		return nil, err
	}
	in := &GroupInput{Spec: scimv1.ScimGroupSpec{DisplayName: attrs.DisplayName, ExternalID: attrs.ExternalID}}
	seen := make(map[string]bool, len(attrs.Members))
	for _, m := range attrs.Members {
		member, err := m.toSpec()
		if err != nil {
			return nil, err
		}
		if !seen[member.Value] {
			seen[member.Value] = true
			in.Members = append(in.Members, member)
		}
	}
	return in, nil
}

func (m memberInput) toSpec() (scimv1.GroupMember, error) {
	if m.Value == "" {
		return scimv1.GroupMember{}, scimerr.InvalidValue("every member needs a value (the member's id)")
	}
	member := scimv1.GroupMember{Value: m.Value, Display: m.Display}
	if member.Display == "" {
		member.Display = m.DisplayName
	}
	switch {
	case m.Type == "":
	case strings.EqualFold(m.Type, string(scimv1.MemberTypeUser)):
		member.Type = scimv1.MemberTypeUser
	case strings.EqualFold(m.Type, string(scimv1.MemberTypeGroup)):
		member.Type = scimv1.MemberTypeGroup
	default:
		return scimv1.GroupMember{}, scimerr.InvalidValue("member type must be User or Group")
	}
	return member, nil
}

// Group is the SCIM representation of a ScimGroup, ready to encode.
type Group struct {
	Schemas      []string          `json:"schemas"`
	ID           string            `json:"id"`
	ExternalID   string            `json:"externalId,omitempty"`
	DisplayName  string            `json:"displayName"`
	Members      []memberJSON      `json:"members,omitempty"`
	Provisioning *provisioningJSON `json:"urn:scim-operator.io:schemas:extension:provisioning:2.0,omitempty"`
	Meta         Meta              `json:"meta"`
}

// Membership is what a group's member shards say about it.
type Membership struct {
	// Members of the group, or nil when the client excluded them.
	Members []scimv1.GroupMember
	// Fingerprint changes whenever a shard of the group changes.
	Fingerprint string
	// LastModified is the latest change to a shard.
	LastModified time.Time
}

// NewGroup builds the SCIM representation of g with its membership.
func NewGroup(g *scimv1.ScimGroup, ms Membership, loc Locations) *Group {
	version := Version{Generation: g.Generation, Members: ms.Fingerprint}
	out := &Group{
		Schemas:     []string{GroupSchema},
		ID:          g.Name,
		ExternalID:  g.Spec.ExternalID,
		DisplayName: g.Spec.DisplayName,
		Meta:        metaFor(GroupResourceType, g, loc.GroupLocation(g.Name), version, ms.LastModified),
	}
	if out.Provisioning = provisioning(reportedApps(g.Status.Apps, g.Generation)); out.Provisioning != nil {
		out.Schemas = append(out.Schemas, ProvisioningSchema)
	}
	members := ms.Members
	if len(members) > 0 {
		out.Members = make([]memberJSON, len(members))
		for i, m := range members {
			out.Members[i] = memberJSON{Value: m.Value, Type: string(m.Type), Display: m.Display}
			if m.Type == scimv1.MemberTypeGroup {
				out.Members[i].Ref = loc.GroupLocation(m.Value)
			} else {
				out.Members[i].Type = string(scimv1.MemberTypeUser)
				out.Members[i].Ref = loc.UserLocation(m.Value)
			}
		}
	}
	return out
}

// ListResponse is the body of a query answer (RFC 7644 §3.4.2).
type ListResponse struct {
	Schemas      []string `json:"schemas"`
	TotalResults int      `json:"totalResults"`
	StartIndex   int      `json:"startIndex"`
	ItemsPerPage int      `json:"itemsPerPage"`
	Resources    []any    `json:"Resources"`
	// NextCursor continues a cursor-paginated query (RFC 9865); empty on the last page.
	NextCursor string `json:"nextCursor,omitempty"`
}

// WithNextCursor sets the cursor of the next page.
func (l *ListResponse) WithNextCursor(next string) *ListResponse {
	l.NextCursor = next
	return l
}

// NewListResponse wraps one page of resources.
func NewListResponse(total, startIndex int, resources []any) *ListResponse {
	if resources == nil {
		resources = []any{}
	}
	return &ListResponse{
		Schemas:      []string{ListResponseSchema},
		TotalResults: total,
		StartIndex:   startIndex,
		ItemsPerPage: len(resources),
		Resources:    resources,
	}
}
