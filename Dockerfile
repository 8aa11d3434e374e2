# syntax=docker/dockerfile:1
# The operator's image, for machines with Docker (or BuildKit):
#   docker build -t scim-operator:dev .
# Where neither Docker nor a registry is reachable, hack/helm/image builds the same image into an
# OCI layout (`make image`); .ko.yaml describes it for ko.

FROM --platform=$BUILDPLATFORM golang:1.26 AS builder
ARG TARGETOS=linux
ARG TARGETARCH=amd64
WORKDIR /src
# Dependencies first, so that a source change does not download them again.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
# Only what ./cmd/manager imports: tests, docs and tooling stay out of the build context's layers.
COPY api/ api/
COPY cmd/ cmd/
COPY connectors/ connectors/
COPY controllers/ controllers/
COPY internal/ internal/
COPY scimserver/ scimserver/
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags="-s -w" -o /out/manager ./cmd/manager

# Static binary on distroless: CA certificates, tzdata and a nonroot user, no shell.
FROM gcr.io/distroless/static:nonroot
COPY --from=builder /out/manager /manager
# The distroless "nonroot" user; the chart's securityContext names the same UID.
USER 65532:65532
ENTRYPOINT ["/manager"]
