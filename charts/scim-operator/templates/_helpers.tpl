{{/* The chart's name, or nameOverride. */}}
{{- define "scim-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's full name: the prefix of every object it owns. */}}
{{- define "scim-operator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "scim-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every object. */}}
{{- define "scim-operator.labels" -}}
helm.sh/chart: {{ include "scim-operator.chart" . }}
{{ include "scim-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Labels selecting the operator's pods; never change them: a Deployment's selector is immutable. */}}
{{- define "scim-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "scim-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "scim-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "scim-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "scim-operator.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* The TLS Secret the operator serves HTTPS with; empty for plain HTTP. */}}
{{- define "scim-operator.tlsSecretName" -}}
{{- if .Values.tls.secretName }}
{{- .Values.tls.secretName }}
{{- else if .Values.certificate.enabled }}
{{- printf "%s-tls" (include "scim-operator.fullname" .) }}
{{- end }}
{{- end }}

{{/* The SCIM base URL clients use: set, derived from the ingress, or empty (from each request). */}}
{{- define "scim-operator.publicURL" -}}
{{- if .Values.scim.publicURL }}
{{- .Values.scim.publicURL }}
{{- else if .Values.ingress.enabled }}
{{- printf "%s://%s/scim/v2" (ternary "https" "http" .Values.ingress.tls.enabled) .Values.ingress.host }}
{{- end }}
{{- end }}

{{- define "scim-operator.tenantSecretName" -}}
{{- printf "%s-token" (include "scim-operator.fullname" .) }}
{{- end }}

{{/* Checks of combinations the schema cannot express. */}}
{{- define "scim-operator.validate" -}}
{{- if and .Values.tenant.create .Values.watchNamespaces (not (has .Values.tenant.namespace .Values.watchNamespaces)) }}
{{- fail (printf "tenant.namespace %q is not in watchNamespaces: the operator would not serve it" .Values.tenant.namespace) }}
{{- end }}
{{- if and .Values.certificate.enabled (not .Values.certificate.issuerRef.name) }}
{{- fail "certificate.issuerRef.name is required when certificate.enabled is true" }}
{{- end }}
{{- if and .Values.ingress.enabled (not .Values.ingress.host) }}
{{- fail "ingress.host is required when ingress.enabled is true" }}
{{- end }}
{{- end }}

{{/* Tenant namespaces where the operator may write Secrets (its users' password Secrets), as
a JSON list: the watched namespaces, rbac.secretWriteNamespaces and the first tenant's. */}}
{{- define "scim-operator.secretWriteNamespaces" -}}
{{- $list := concat .Values.watchNamespaces .Values.rbac.secretWriteNamespaces -}}
{{- if .Values.tenant.create -}}
{{- $list = append $list .Values.tenant.namespace -}}
{{- end -}}
{{- $list | uniq | toJson -}}
{{- end }}
