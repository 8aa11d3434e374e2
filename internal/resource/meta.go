package resource

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
)

// Meta is the SCIM "meta" attribute (RFC 7643 §3.1).
type Meta struct {
	ResourceType string `json:"resourceType"`
	Created      string `json:"created"`
	LastModified string `json:"lastModified"`
	Location     string `json:"location"`
	Version      string `json:"version"`
}

// Version is what meta.version and the ETag are made of. It changes when the SCIM
// representation changes, and not when only the Kubernetes status does: a controller writing
// conditions must not make an identity provider's If-Match fail.
type Version struct {
	// Generation is the object's metadata.generation, which the API server bumps on spec changes.
	Generation int64
	// Members fingerprints the member shards of a group; empty for users.
	Members string
}

// ETag is the weak entity tag of a version.
func (v Version) ETag() string {
	if v.Members == "" {
		return fmt.Sprintf(`W/"%d"`, v.Generation)
	}
	return fmt.Sprintf(`W/"%d-%s"`, v.Generation, v.Members)
}

// metaFor builds the meta attribute of an object served at location. modified is the latest
// change of data kept outside the object (a group's member shards), or zero.
func metaFor(resourceType string, obj metav1.Object, location string, version Version, modified time.Time) Meta {
	created := obj.GetCreationTimestamp().Time
	return Meta{
		ResourceType: resourceType,
		Created:      formatTime(created),
		LastModified: formatTime(latest(LastModified(obj), modified)),
		Location:     location,
		Version:      version.ETag(),
	}
}

// LastModified is the latest time a client changed the object (not its status), read from the
// managed fields the API server keeps, so edits made with kubectl count too. Objects from the
// operator's cache have no managed fields: CacheTransform kept that time in LastModifiedHint.
// Both are consulted, the later wins: an object read from the cache and then written carries
// its old hint next to the managed fields the write returned.
func LastModified(obj metav1.Object) time.Time {
	t := obj.GetCreationTimestamp().Time
	if h := lastModifiedHint(obj); h != nil && h.After(t) {
		t = h.Time
	}
	for _, mf := range obj.GetManagedFields() {
		if mf.Subresource == "" && mf.Time != nil && mf.Time.After(t) {
			t = mf.Time.Time
		}
	}
	return t
}

// CacheTransform is the informer cache's transform (cache.Options.DefaultTransform). For users,
// groups and member shards it keeps LastModified in LastModifiedHint and drops the managed
// fields, about half of a user object's bytes. ManagedFields become nil, not empty: an Update
// sent with a cached object then omits them, and the API server keeps its own. Other objects,
// and objects already transformed, are returned unchanged.
func CacheTransform(obj any) (any, error) {
	hint := lastModifiedHint(obj)
	if hint == nil {
		return obj, nil
	}
	m := obj.(metav1.Object)
	if m.GetManagedFields() == nil {
		return obj, nil
	}
	*hint = metav1.NewTime(LastModified(m))
	m.SetManagedFields(nil)
	return obj, nil
}

// lastModifiedHint is the LastModifiedHint field of the kinds the cache transforms, else nil.
func lastModifiedHint(obj any) *metav1.Time {
	switch o := obj.(type) {
	case *scimv1.ScimUser:
		return &o.LastModifiedHint
	case *scimv1.ScimGroup:
		return &o.LastModifiedHint
	case *scimv1.ScimGroupMemberShard:
		return &o.LastModifiedHint
	}
	return nil
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func formatTime(t time.Time) string {
	return t.UTC().Format(time.RFC3339)
}

// provisioningJSON is the read-only provisioning extension: the resource's state per app.
type provisioningJSON struct {
	Apps []appJSON `json:"apps"`
}

type appJSON struct {
	Name       string `json:"name"`
	State      string `json:"state"`
	ExternalID string `json:"externalId,omitempty"`
	Message    string `json:"message,omitempty"`
	LastSync   string `json:"lastSync,omitempty"`
}

// writeMeta writes the meta attribute metaFor builds, formatting times and version into the
// buffer rather than into strings.
func writeMeta(buf *bytes.Buffer, resourceType string, obj metav1.Object, location string, version Version, modified time.Time) {
	o := openObject(buf)
	o.str("resourceType", resourceType)
	o.key("created")
	writeTime(buf, obj.GetCreationTimestamp().Time)
	o.key("lastModified")
	writeTime(buf, latest(LastModified(obj), modified))
	o.str("location", location)
	if version.Members == "" {
		o.key("version")
		buf.WriteString(`"W/\"`)
		buf.Write(strconv.AppendInt(buf.AvailableBuffer(), version.Generation, 10))
		buf.WriteString(`\""`)
	} else {
		o.str("version", version.ETag())
	}
	o.close()
}

// writeTime writes t as formatTime does, quoted: RFC 3339 needs no escaping.
func writeTime(buf *bytes.Buffer, t time.Time) {
	buf.WriteByte('"')
	buf.Write(t.UTC().AppendFormat(buf.AvailableBuffer(), time.RFC3339))
	buf.WriteByte('"')
}

// writeProvisioning writes what provisioning reports of apps, which must not be empty.
func writeProvisioning(buf *bytes.Buffer, apps []scimv1.AppProvisioningStatus) {
	o := openObject(buf)
	o.array("apps", len(apps), func(i int) {
		a := &apps[i]
		v := openObject(buf)
		v.str("name", a.Name)
		v.str("state", string(a.State))
		v.optStr("externalId", a.ExternalID)
		v.optStr("message", a.Message)
		if a.LastSyncTime != nil {
			v.key("lastSync")
			writeTime(buf, a.LastSyncTime.Time)
		}
		v.close()
	})
	o.close()
}

// PendingChange is the message of an app's entry whose outcome is for an older generation of
// the resource: the change just written has not reached the app yet.
const PendingChange = "a change is on its way to the app"

// reportedApps is what the provisioning extension reports of status.apps for a resource of
// generation: an entry whose outcome is for an older generation is Pending, since the state
// it recorded is no longer what the app is being brought to (a PATCH of active=false answered
// Provisioned would say the opposite of what happens next). apps is returned as it is when no
// entry is out of date.
func reportedApps(apps []scimv1.AppProvisioningStatus, generation int64) []scimv1.AppProvisioningStatus {
	stale := func(a *scimv1.AppProvisioningStatus) bool {
		return a.ObservedGeneration != 0 && a.ObservedGeneration < generation && a.State != scimv1.ProvisioningPending
	}
	i := slices.IndexFunc(apps, func(a scimv1.AppProvisioningStatus) bool { return stale(&a) })
	if i < 0 {
		return apps
	}
	out := slices.Clone(apps)
	for j := i; j < len(out); j++ {
		if stale(&out[j]) {
			out[j].State, out[j].Message = scimv1.ProvisioningPending, PendingChange
		}
	}
	return out
}

// provisioning reports status.apps, or nil when no app receives the resource.
func provisioning(apps []scimv1.AppProvisioningStatus) *provisioningJSON {
	if len(apps) == 0 {
		return nil
	}
	out := &provisioningJSON{Apps: make([]appJSON, len(apps))}
	for i, a := range apps {
		out.Apps[i] = appJSON{Name: a.Name, State: string(a.State), ExternalID: a.ExternalID, Message: a.Message}
		if a.LastSyncTime != nil {
			out.Apps[i].LastSync = formatTime(a.LastSyncTime.Time)
		}
	}
	return out
}
