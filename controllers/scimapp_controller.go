package controllers

import (
	"context"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/connectors"
	"github.com/scim-operator/scim-operator/internal/provisioning"
)

// Reasons of ScimApp conditions and events.
const (
	ReasonConnected     = "Connected"
	ReasonInvalidConfig = "InvalidConfig"
	ReasonUnreachable   = "Unreachable"
)

// ScimAppReconciler checks that each app is reachable with its credentials, and counts the
// accounts provisioned into it.
type ScimAppReconciler struct {
	Client      client.Client
	Provisioner *provisioning.Provisioner
	Events      events.EventRecorder
}

// +kubebuilder:rbac:groups=scim.scim-operator.io,resources=scimapps,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=scim.scim-operator.io,resources=scimapps/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile checks one app and records the result.
func (r *ScimAppReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var app scimv1.ScimApp
	if err := r.Client.Get(ctx, req.NamespacedName, &app); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	before := app.DeepCopy()
	app.Status.Connector = app.Spec.Connector.Name()
	app.Status.ObservedGeneration = app.Generation

	checkErr := r.check(ctx, &app)
	r.setConditions(&app, checkErr)
	setTransportCondition(&app)
	if err := r.count(ctx, &app); err != nil {
		return ctrl.Result{}, err
	}
	now := metav1.Now()
	app.Status.LastFullSync = &now
	recordReadyTransition(r.Events, &app, before.Status.Conditions, app.Status.Conditions)

	if err := client.IgnoreNotFound(r.Client.Status().Patch(ctx, &app, client.MergeFrom(before))); err != nil {
		return ctrl.Result{}, err
	}
	resync := provisioning.ResyncPeriod([]scimv1.ScimApp{app})
	if checkErr != nil && !connectors.IsConfig(checkErr) {
		resync = min(resync, 30*time.Second) // unreachable: look again soon
	}
	return ctrl.Result{RequeueAfter: resync}, nil
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
		set(scimv1.ConditionReady, metav1.ConditionFalse, ReasonUnreachable, err.Error())
		set(scimv1.ConditionStalled, metav1.ConditionFalse, ReasonUnreachable, "")
	}
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
func (r *ScimAppReconciler) count(ctx context.Context, app *scimv1.ScimApp) error {
	var users scimv1.ScimUserList
	if err := r.Client.List(ctx, &users, client.InNamespace(app.Namespace), client.UnsafeDisableDeepCopy); err != nil {
		return err
	}
	app.Status.Provisioned, app.Status.Failed = 0, 0
	for i := range users.Items {
		for _, s := range users.Items[i].Status.Apps {
			if s.Name != app.Name {
				continue
			}
			switch s.State {
			case scimv1.ProvisioningProvisioned, scimv1.ProvisioningDisabled:
				app.Status.Provisioned++
			case scimv1.ProvisioningFailed:
				app.Status.Failed++
			}
		}
	}
	return nil
}

// SetupWithManager registers the reconciler.
func (r *ScimAppReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&scimv1.ScimApp{}, builder.WithPredicates(specOrMetadataChanged())).
		Complete(r)
}
