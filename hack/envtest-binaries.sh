#!/usr/bin/env bash
# Builds the real kube-apiserver and etcd that envtest and `make dev` run, from their Go modules,
# because setup-envtest cannot download here. The binaries are cached outside the clone, keyed by
# version, so a second clone on the same machine reuses them. Prints the folder to use as
# KUBEBUILDER_ASSETS.
set -euo pipefail

ETCD_VERSION="${ETCD_VERSION:-3.6.8}"
KUBE_VERSION="${KUBE_VERSION:-1.37.2}"
CACHE_ROOT="${SCIM_OPERATOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/scim-operator}"
ASSETS="$CACHE_ROOT/envtest/k8s-$KUBE_VERSION-etcd-$ETCD_VERSION"

log() { echo "envtest-binaries: $*" >&2; }

build_etcd() {
  local work; work=$(mktemp -d)
  trap 'rm -rf "$work"' RETURN
  log "building etcd $ETCD_VERSION (about a minute the first time)"
  ( cd "$work"
    go mod init envtest-etcd >/dev/null 2>&1
    cat > tools.go <<GO
//go:build tools

package tools

import _ "go.etcd.io/etcd/server/v3"
GO
    go get "go.etcd.io/etcd/server/v3@v$ETCD_VERSION" >/dev/null 2>&1
    go mod tidy >/dev/null 2>&1
    CGO_ENABLED=0 go build -trimpath -o "$ASSETS/etcd.tmp" go.etcd.io/etcd/server/v3
  )
  mv "$ASSETS/etcd.tmp" "$ASSETS/etcd"
}

build_kube_apiserver() {
  local work; work=$(mktemp -d)
  trap 'rm -rf "$work"' RETURN
  log "building kube-apiserver $KUBE_VERSION (about five minutes the first time)"
  ( cd "$work"
    go mod init envtest-kube-apiserver >/dev/null 2>&1
    # k8s.io/kubernetes replaces its staging modules with local folders; point them at the
    # published modules of the same version instead, generated from its own go.mod.
    go mod download -json "k8s.io/kubernetes@v$KUBE_VERSION" > km.json
    gomod=$(python3 -c 'import json,sys; print(json.load(open("km.json"))["GoMod"])')
    {
      echo "require k8s.io/kubernetes v$KUBE_VERSION"
      echo "replace ("
      grep -E '^\s*k8s.io/[^ ]+ => ./staging/' "$gomod" | awk -v v="v0.${KUBE_VERSION#1.}" '{print "\t" $1 " => " $1 " " v}'
      echo ")"
    } >> go.mod
    cat > tools.go <<GO
//go:build tools

package tools

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
GO
    go mod tidy >/dev/null 2>&1
    minor=$(echo "$KUBE_VERSION" | cut -d. -f2)
    ldflags="-X k8s.io/component-base/version.gitVersion=v$KUBE_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
    CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$ASSETS/kube-apiserver.tmp" k8s.io/kubernetes/cmd/kube-apiserver
  )
  mv "$ASSETS/kube-apiserver.tmp" "$ASSETS/kube-apiserver"
}

mkdir -p "$ASSETS"
# One build at a time: make test and make dev may start together.
exec 9>"$CACHE_ROOT/envtest/.lock"
flock 9
[ -x "$ASSETS/etcd" ] || build_etcd
[ -x "$ASSETS/kube-apiserver" ] || build_kube_apiserver
if [ ! -e "$ASSETS/kubectl" ] && command -v kubectl >/dev/null; then
  ln -s "$(command -v kubectl)" "$ASSETS/kubectl"
fi
echo "$ASSETS"
