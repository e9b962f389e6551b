{{- define "ditochat.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release-scoped name for every object; kept to 63 characters for DNS names. */}}
{{- define "ditochat.fullname" -}}
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

{{- define "ditochat.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "ditochat.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ditochat.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The image tag as a label value: skaffold passes "tag@sha256:...", which a label cannot hold. */}}
{{- define "ditochat.versionLabel" -}}
{{- $tag := .Values.image.tag | default .Chart.AppVersion | toString | splitList "@" | first }}
{{- regexReplaceAll "[^A-Za-z0-9._-]" $tag "_" | trunc 63 | trimAll "_.-" }}
{{- end }}

{{- define "ditochat.labels" -}}
helm.sh/chart: {{ include "ditochat.chart" . }}
{{ include "ditochat.selectorLabels" . }}
app.kubernetes.io/version: {{ include "ditochat.versionLabel" . | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* The ConfigMap holding ALLOWED_ORIGIN and REDIS_ADDR: the operator's own, or the one this chart creates. */}}
{{- define "ditochat.configMapName" -}}
{{- default .Values.config.configMapName .Values.existingConfigMap }}
{{- end }}

{{/* skaffold passes "TAG@DIGEST"; an image it did not push has no digest, so drop a bare trailing "@". */}}
{{- define "ditochat.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion | toString | trimSuffix "@") }}
{{- end }}
