package resource

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Meta is the SCIM "meta" attribute (RFC 7643 §3.1).
type Meta struct {
	ResourceType string `json:"resourceType"`
	Created      string `json:"created"`
	LastModified string `json:"lastModified"`
	Location     string `json:"location"`
	Version      string `json:"version"`
}

// ETag is the entity tag of an object: a weak tag of its resourceVersion, which changes on
// every write to the object.
func ETag(resourceVersion string) string {
	return `W/"` + resourceVersion + `"`
}

// metaFor builds the meta attribute of an object served at location.
func metaFor(resourceType string, obj metav1.Object, location string) Meta {
	created := obj.GetCreationTimestamp().Time
	return Meta{
		ResourceType: resourceType,
		Created:      formatTime(created),
		LastModified: formatTime(lastModified(obj, created)),
		Location:     location,
		Version:      ETag(obj.GetResourceVersion()),
	}
}

// lastModified is the latest time a client changed the object (not its status), read from the
// managed fields the API server keeps, so edits made with kubectl count too.
func lastModified(obj metav1.Object, created time.Time) time.Time {
	latest := created
	for _, mf := range obj.GetManagedFields() {
		if mf.Subresource == "" && mf.Time != nil && mf.Time.After(latest) {
			latest = mf.Time.Time
		}
	}
	return latest
}

func formatTime(t time.Time) string {
	return t.UTC().Format(time.RFC3339)
}
