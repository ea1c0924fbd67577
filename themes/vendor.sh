#!/usr/bin/env bash
# Copies the front-end libraries the theme uses from node_modules into
# themes/default/static/vendor/, each with its licence file. The copies are
# committed, so that `go run ./cmd/wikiwerk` needs neither npm nor a CDN;
# package.json and package-lock.json pin the versions.
#
#   npm ci && npm run vendor
#
# Each script in themes/vendor.d/ vendors one group of libraries; it is
# run from the repository root with $VENDOR set to the target folder.
set -euo pipefail
cd "$(dirname "$0")/.."
test -d node_modules || { echo "run npm ci first" >&2; exit 1; }
export VENDOR=themes/default/static/vendor
mkdir -p "$VENDOR"
for script in themes/vendor.d/*.sh; do
  echo "== $script"
  bash "$script"
done
