#!/usr/bin/env bash
# Runs govulncheck on the module against Go's vulnerability database. vuln.go.dev is not reachable
# from here, but the database's source (golang.org/x/vulndb, OSV files) is a Go module: it is
# indexed once into the layout govulncheck reads (-db file://) and cached outside the clone.
# The database is pinned so that CI is reproducible; `make vulndb-latest` prints the newest
# version to pin.
set -euo pipefail

VULNDB_VERSION="${VULNDB_VERSION:-v0.0.0-20261105234957-e22db6528018}"
GOVULNCHECK_VERSION="${GOVULNCHECK_VERSION:-v1.9.0}"
CACHE_ROOT="${SCIM_OPERATOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/scim-operator}"
DB="$CACHE_ROOT/vulndb/$VULNDB_VERSION"

mkdir -p "$CACHE_ROOT/vulndb"
exec 9>"$CACHE_ROOT/vulndb/.lock"
flock 9
if [ ! -f "$DB/index/db.json" ]; then
  echo "govulncheck: indexing the vulnerability database $VULNDB_VERSION (once)" >&2
  src=$(cd / && go mod download -json "golang.org/x/vulndb@$VULNDB_VERSION" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
  rm -rf "$DB.tmp"
  go run "golang.org/x/vulndb/cmd/indexdb@$VULNDB_VERSION" -vulns "$src/data/osv" -out "$DB.tmp"
  mv "$DB.tmp" "$DB"
fi
flock -u 9
go run "golang.org/x/vuln/cmd/govulncheck@$GOVULNCHECK_VERSION" -db "file://$DB" "$@"
