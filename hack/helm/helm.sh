#!/usr/bin/env bash
# Builds the helm CLI from its Go module (no release download is reachable here) into a cache
# outside the clone, keyed by version, and prints its path. `make helm` and test/helm use it.
set -euo pipefail

HELM_VERSION="${HELM_VERSION:-v4.3.1}"
CACHE_ROOT="${SCIM_OPERATOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/scim-operator}"
DIR="$CACHE_ROOT/helm/$HELM_VERSION"
BIN="$DIR/helm"

mkdir -p "$DIR"
# One build at a time: parallel test packages or make targets may ask together.
exec 9>"$DIR/.lock"
flock 9
if [ ! -x "$BIN" ]; then
  echo "helm.sh: building helm $HELM_VERSION (about two minutes the first time)" >&2
  # The version is stamped the way helm's own Makefile does; without it `helm version` says v4.3.
  GOBIN="$DIR/.build" CGO_ENABLED=0 go install -trimpath \
    -ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=$HELM_VERSION" \
    "helm.sh/helm/v4/cmd/helm@$HELM_VERSION" >&2
  mv "$DIR/.build/helm" "$BIN"
  rmdir "$DIR/.build"
fi
echo "$BIN"
