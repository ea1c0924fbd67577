#!/usr/bin/env bash
# Vendors the diagram and formula libraries used by diagrams.js: mermaid
# (one self-contained bundle) and KaTeX (script, stylesheet and the fonts
# the stylesheet loads from fonts/), each with its licence. Run from the
# repository root with $VENDOR set, as themes/vendor.sh does.
set -euo pipefail
: "${VENDOR:?set VENDOR to the vendor folder}"
mermaid=node_modules/mermaid
katex=node_modules/katex

rm -rf "$VENDOR/mermaid" "$VENDOR/katex"
mkdir -p "$VENDOR/mermaid" "$VENDOR/katex/fonts"

cp "$mermaid/dist/mermaid.min.js" "$VENDOR/mermaid/"
cp "$mermaid/LICENSE" "$VENDOR/mermaid/LICENSE"

cp "$katex/dist/katex.min.js" "$katex/dist/katex.min.css" "$VENDOR/katex/"
cp "$katex"/dist/fonts/*.woff2 "$katex"/dist/fonts/*.woff "$katex"/dist/fonts/*.ttf "$VENDOR/katex/fonts/"
cp "$katex/LICENSE" "$VENDOR/katex/LICENSE"

# The versions, for whoever reads the folder without package-lock.json.
node -p "require('./$mermaid/package.json').version" > "$VENDOR/mermaid/VERSION" 2>/dev/null ||
  grep -m1 '"version"' "$mermaid/package.json" | tr -dc '0-9.\n' > "$VENDOR/mermaid/VERSION"
node -p "require('./$katex/package.json').version" > "$VENDOR/katex/VERSION" 2>/dev/null ||
  grep -m1 '"version"' "$katex/package.json" | tr -dc '0-9.\n' > "$VENDOR/katex/VERSION"
