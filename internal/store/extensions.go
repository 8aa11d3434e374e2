package store

import (
	"sort"
	"sync"

	toolscache "k8s.io/client-go/tools/cache"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
)

// ExtensionsInUse counts, per namespace, the users carrying each client-defined extension
// schema (spec.extensions), from the informer's events, so /Schemas and /ResourceTypes can list
// the extensions actually in use without scanning users on each request.
type ExtensionsInUse struct {
	mu     sync.RWMutex
	counts map[string]map[string]int // namespace → URN → users
}

// NewExtensionsInUse returns an empty tracker; register it as an event handler of the
// ScimUser informer.
func NewExtensionsInUse() *ExtensionsInUse {
	return &ExtensionsInUse{counts: map[string]map[string]int{}}
}

// URNs returns the extension URNs in use in namespace ns, sorted.
func (e *ExtensionsInUse) URNs(ns string) []string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	urns := make([]string, 0, len(e.counts[ns]))
	for urn := range e.counts[ns] {
		urns = append(urns, urn)
	}
	sort.Strings(urns)
	return urns
}

func (e *ExtensionsInUse) add(obj any, delta int) {
	u, ok := obj.(*scimv1.ScimUser)
	if !ok {
		if tomb, isTomb := obj.(toolscache.DeletedFinalStateUnknown); isTomb {
			u, ok = tomb.Obj.(*scimv1.ScimUser)
		}
		if !ok {
			return
		}
	}
	if len(u.Spec.Extensions) == 0 {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	byURN := e.counts[u.Namespace]
	if byURN == nil {
		byURN = map[string]int{}
		e.counts[u.Namespace] = byURN
	}
	for urn := range u.Spec.Extensions {
		if byURN[urn] += delta; byURN[urn] <= 0 {
			delete(byURN, urn)
		}
	}
}

// OnAdd, OnUpdate and OnDelete implement cache.ResourceEventHandler.
func (e *ExtensionsInUse) OnAdd(obj any, _ bool) { e.add(obj, 1) }

func (e *ExtensionsInUse) OnUpdate(oldObj, newObj any) {
	e.add(oldObj, -1)
	e.add(newObj, 1)
}

func (e *ExtensionsInUse) OnDelete(obj any) { e.add(obj, -1) }
