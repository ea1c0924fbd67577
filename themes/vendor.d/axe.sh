#!/usr/bin/env bash
# axe-core, for the accessibility tests only (never served): copied into
# the test data of package web with its licence.
set -euo pipefail
dest=wiki/web/testdata/axe
mkdir -p "$dest"
cp node_modules/axe-core/axe.min.js "$dest/"
cp node_modules/axe-core/LICENSE "$dest/LICENSE"
node -p 'require("./node_modules/axe-core/package.json").version' > "$dest/VERSION"
