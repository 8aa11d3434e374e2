package resource

import (
	"fmt"
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
// managed fields the API server keeps, so edits made with kubectl count too.
func LastModified(obj metav1.Object) time.Time {
	t := obj.GetCreationTimestamp().Time
	for _, mf := range obj.GetManagedFields() {
		if mf.Subresource == "" && mf.Time != nil && mf.Time.After(t) {
			t = mf.Time.Time
		}
	}
	return t
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
