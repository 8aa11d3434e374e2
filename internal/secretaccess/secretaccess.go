// Package secretaccess decides which Secrets the operator may use on behalf of an object.
//
// A reference in a spec (a ScimUser's passwordSecretRef, a ScimApp's secret references) is
// written by whoever may edit that object, and that person may have no right to read or write
// the Secret it names. The operator, which may, must not lend them its permissions (a confused
// deputy): it uses a Secret only when the Secret itself says so, something only someone allowed
// to write that Secret can arrange.
package secretaccess

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// UsableLabel, set to "true" on a Secret, lets the operator read it for any object of the
// Secret's namespace that references it: a ScimApp's connector credentials, or the password
// of a ScimUser made with kubectl. It never lets the operator write or delete the Secret.
const UsableLabel = "scim.scim-operator.io/usable-by-operator"

// OwnedBy reports whether owner controls s (a controller ownerReference naming owner's UID):
// the operator made s for owner, and may write and delete it.
func OwnedBy(s *corev1.Secret, owner metav1.Object) bool {
	ref := metav1.GetControllerOfNoCopy(s)
	return ref != nil && owner.GetUID() != "" && ref.UID == owner.GetUID()
}

// OptedIn reports whether s carries UsableLabel=true.
func OptedIn(s *corev1.Secret) bool {
	return s.Labels[UsableLabel] == "true"
}

// MayRead reports whether the operator may read s on behalf of owner.
func MayRead(s *corev1.Secret, owner metav1.Object) bool {
	return OwnedBy(s, owner) || OptedIn(s)
}

// NotUsableError says why a referenced Secret was not used. It names the Secret, never its
// contents.
type NotUsableError struct {
	// Secret is the name of the Secret; Owner the kind of the referencing object.
	Secret, Owner string
}

func (e *NotUsableError) Error() string {
	return fmt.Sprintf("Secret %s is neither owned by this %s nor labelled %s=true; the operator does not use it",
		e.Secret, e.Owner, UsableLabel)
}
