package controllers

import (
	"context"
	"fmt"
	"strings"
	"time"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/connectors"
	"github.com/scim-operator/scim-operator/internal/provisioning"
)

// Reasons of ScimApp conditions and events.
const (
	ReasonConnected            = "Connected"
	ReasonInvalidConfig        = "InvalidConfig"
	ReasonUnreachable          = "Unreachable"
	ReasonDeprovisioningFailed = "DeprovisioningFailed"
	ReasonDeprovisioned        = "Deprovisioned"
)

// ConditionDeprovisioningStuck is True on a ScimApp while users deleted through SCIM still have
// an account there that could not be removed. They are retried with backoff; their userNames
// are free for new users meanwhile.
const ConditionDeprovisioningStuck = "DeprovisioningStuck"

// countBatch is how long changes of users' results gather before their app's counts are
// written: an identity provider's first sync changes thousands a second, and each app's status
// is written at most once per batch.
const countBatch = time.Second

// ScimAppReconciler checks that each app is reachable with its credentials, and counts the
// accounts provisioned into it. It checks an app often while something is wrong with it (see
// appHealth), and its counts follow the users' results within countBatch.
type ScimAppReconciler struct {
	Client      client.Client
	Provisioner *provisioning.Provisioner
	Events      events.EventRecorder

	health appHealth
}

// +kubebuilder:rbac:groups=scim.scim-operator.io,resources=scimapps,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=scim.scim-operator.io,resources=scimapps/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile counts one app's accounts, checks it when a check is due, and records the result.
func (r *ScimAppReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var app scimv1.ScimApp
	if err := r.Client.Get(ctx, req.NamespacedName, &app); err != nil {
		if client.IgnoreNotFound(err) == nil {
			r.health.forget(req.NamespacedName)
			provisioning.ForgetAppMetrics(req.Namespace, req.Name)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	before := app.DeepCopy()
	app.Status.Connector = app.Spec.Connector.Name()
	app.Status.ObservedGeneration = app.Generation

	t, err := r.count(ctx, &app, r.health.lastCheck(&app))
	if err != nil {
		return ctrl.Result{}, err
	}
	app.Status.Provisioned, app.Status.Failed = t.provisioned, t.failed
	now := time.Now()
	if r.health.due(&app, t.failedSinceCheck, now) {
		checkErr := r.check(ctx, &app)
		r.setConditions(&app, checkErr)
		r.health.checked(&app, checkErr, t.failed > 0, now)
		t.failedSinceCheck = false
		if resync := provisioning.ResyncPeriod([]scimv1.ScimApp{app}); checkErr == nil &&
			(app.Status.LastFullSync == nil || now.Sub(app.Status.LastFullSync.Time) >= resync) {
			app.Status.LastFullSync = &metav1.Time{Time: now}
		}
	}
	setTransportCondition(&app)
	setDeprovisioningCondition(&app, t.stuck)
	provisioning.SetStuckDeprovisionings(app.Namespace, app.Name, len(t.stuck))
	recordReadyTransition(r.Events, &app, before.Status.Conditions, app.Status.Conditions)
	recordConditionTransition(r.Events, &app, ConditionDeprovisioningStuck, before.Status.Conditions, app.Status.Conditions)

	if !apiequality.Semantic.DeepEqual(before.Status, app.Status) {
		if err := client.IgnoreNotFound(r.Client.Status().Patch(ctx, &app, client.MergeFrom(before))); err != nil {
			return ctrl.Result{}, err
		}
	}
	return ctrl.Result{RequeueAfter: r.health.untilNext(&app, t.failedSinceCheck, time.Now())}, nil
}

func (r *ScimAppReconciler) check(ctx context.Context, app *scimv1.ScimApp) error {
	cl, err := r.Provisioner.Connect(ctx, app)
	if err == nil {
		err = cl.Check(ctx)
	}
	if err != nil {
		r.Provisioner.Forget(app)
	}
	return err
}

func (r *ScimAppReconciler) setConditions(app *scimv1.ScimApp, err error) {
	set := func(t string, s metav1.ConditionStatus, reason, msg string) {
		meta.SetStatusCondition(&app.Status.Conditions, metav1.Condition{Type: t, Status: s, Reason: reason, Message: msg, ObservedGeneration: app.Generation})
	}
	switch {
	case err == nil:
		set(scimv1.ConditionReady, metav1.ConditionTrue, ReasonConnected, "the app is reachable and the credentials work")
		set(scimv1.ConditionStalled, metav1.ConditionFalse, ReasonConnected, "")
	case connectors.IsConfig(err):
		set(scimv1.ConditionReady, metav1.ConditionFalse, ReasonInvalidConfig, err.Error())
		set(scimv1.ConditionStalled, metav1.ConditionTrue, ReasonInvalidConfig, "fix the ScimApp or its Secrets: "+err.Error())
	default:
		set(scimv1.ConditionReady, metav1.ConditionFalse, ReasonUnreachable,
			fmt.Sprintf("%s (checked again within %s)", err.Error(), unreachableCheckCap))
		set(scimv1.ConditionStalled, metav1.ConditionFalse, ReasonUnreachable, "")
	}
}

// tally is what the users' results say of one app.
type tally struct {
	provisioned, failed int32
	// failedSinceCheck: a user's provisioning failed since the app was last checked.
	failedSinceCheck bool
	// stuck are deleted users whose account could not be removed, as "userName (id): message".
	stuck []string
}

// setTransportCondition warns, in InsecureTransport, of a connector that the app's author
// allowed to send credentials in clear text or to an unverified server.
func setTransportCondition(app *scimv1.ScimApp) {
	c := metav1.Condition{Type: scimv1.ConditionInsecureTransport, Status: metav1.ConditionFalse, Reason: "Encrypted",
		Message: "credentials and users travel encrypted to a verified server", ObservedGeneration: app.Generation}
	if why := connectors.InsecureTransport(app); why != "" {
		c.Status, c.Reason, c.Message = metav1.ConditionTrue, "PlaintextAllowed", why
	}
	meta.SetStatusCondition(&app.Status.Conditions, c)
}

// count sums the per-app results the user reconciler recorded.
func (r *ScimAppReconciler) count(ctx context.Context, app *scimv1.ScimApp, lastCheck time.Time) (tally, error) {
	var users scimv1.ScimUserList
	if err := r.Client.List(ctx, &users, client.InNamespace(app.Namespace), client.UnsafeDisableDeepCopy); err != nil {
		return tally{}, err
	}
	// lastSyncTime has a precision of a second.
	since := lastCheck.Truncate(time.Second)
	var t tally
	for i := range users.Items {
		u := &users.Items[i]
		for _, s := range u.Status.Apps {
			if s.Name != app.Name {
				continue
			}
			switch s.State {
			case scimv1.ProvisioningProvisioned, scimv1.ProvisioningDisabled:
				t.provisioned++
			case scimv1.ProvisioningFailed:
				t.failed++
				if s.LastSyncTime != nil && !s.LastSyncTime.Time.Before(since) {
					t.failedSinceCheck = true
				}
				if !u.DeletionTimestamp.IsZero() {
					t.stuck = append(t.stuck, fmt.Sprintf("%s (%s): %s", u.Spec.UserName, u.Name, s.Message))
				}
			}
		}
	}
	return t, nil
}

// maxStuckNamed bounds how many stuck users the condition names.
const maxStuckNamed = 5

// setDeprovisioningCondition reports deleted users whose account in app could not be removed.
// The condition appears with the first of them, and stays False once there are none.
func setDeprovisioningCondition(app *scimv1.ScimApp, stuck []string) {
	c := metav1.Condition{Type: ConditionDeprovisioningStuck, ObservedGeneration: app.Generation}
	if len(stuck) == 0 {
		if meta.FindStatusCondition(app.Status.Conditions, ConditionDeprovisioningStuck) == nil {
			return
		}
		c.Status, c.Reason, c.Message = metav1.ConditionFalse, ReasonDeprovisioned, "every deleted user's account was removed"
	} else {
		named := stuck[:min(len(stuck), maxStuckNamed)]
		c.Status, c.Reason = metav1.ConditionTrue, ReasonDeprovisioningFailed
		c.Message = truncateMessage(fmt.Sprintf("%d deleted user(s) still have an account here that could not be removed; "+
			"retried with backoff, their userNames are free for new users meanwhile: %s",
			len(stuck), strings.Join(named, "; ")), 2048)
	}
	meta.SetStatusCondition(&app.Status.Conditions, c)
}

func truncateMessage(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// SetupWithManager registers the reconciler. An app is also reconciled, countBatch later, when
// a user's result in it changes or a user with a result goes away.
func (r *ScimAppReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&scimv1.ScimApp{}, builder.WithPredicates(specOrMetadataChanged())).
		Watches(&scimv1.ScimUser{}, usersResultsChanged()).
		Complete(r)
}

// usersResultsChanged queues, countBatch later, the apps whose entry in a user's status.apps
// changed. Changes meanwhile join that reconcile: the queue keeps a waiting item's earliest time.
func usersResultsChanged() handler.TypedEventHandler[client.Object, reconcile.Request] {
	queueApps := func(q workqueue.TypedRateLimitingInterface[reconcile.Request], ns string, old, cur []scimv1.AppProvisioningStatus) {
		for _, name := range changedApps(old, cur) {
			q.AddAfter(reconcile.Request{NamespacedName: types.NamespacedName{Namespace: ns, Name: name}}, countBatch)
		}
	}
	return handler.Funcs{
		UpdateFunc: func(_ context.Context, e event.UpdateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			old, cur := e.ObjectOld.(*scimv1.ScimUser), e.ObjectNew.(*scimv1.ScimUser)
			queueApps(q, cur.Namespace, old.Status.Apps, cur.Status.Apps)
		},
		DeleteFunc: func(_ context.Context, e event.DeleteEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			if u, ok := e.Object.(*scimv1.ScimUser); ok {
				queueApps(q, u.Namespace, u.Status.Apps, nil)
			}
		},
	}
}

// changedApps names the apps whose entry differs between two status.apps lists, ignoring only
// when they were last synced.
func changedApps(old, cur []scimv1.AppProvisioningStatus) []string {
	var names []string
	seen := func(name string) bool {
		for _, n := range names {
			if n == name {
				return true
			}
		}
		return false
	}
	same := func(a, b *scimv1.AppProvisioningStatus) bool {
		return a != nil && b != nil && a.State == b.State && a.Message == b.Message && a.FailureCount == b.FailureCount
	}
	for i := range old {
		if !same(&old[i], findEntry(cur, old[i].Name)) {
			names = append(names, old[i].Name)
		}
	}
	for i := range cur {
		if !seen(cur[i].Name) && !same(&cur[i], findEntry(old, cur[i].Name)) {
			names = append(names, cur[i].Name)
		}
	}
	return names
}

func findEntry(list []scimv1.AppProvisioningStatus, name string) *scimv1.AppProvisioningStatus {
	for i := range list {
		if list[i].Name == name {
			return &list[i]
		}
	}
	return nil
}
