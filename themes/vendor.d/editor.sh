#!/usr/bin/env bash
# Vendors the libraries of the editor's paste conversion and visual mode:
#
#   $VENDOR/turndown/  turndown (HTML -> Markdown) and turndown-plugin-gfm
#                      (tables, strikethrough, task lists), their browser
#                      builds as published, with their licences.
#   $VENDOR/toastui/   @toast-ui/editor 3.2.2 (the visual mode) with its css.
#
# Toast UI's dist/toastui-editor.js is a UMD build that leaves ProseMirror
# out: loaded by a plain <script> it would get `undefined` for every
# ProseMirror module. The CDN's "all" build is not on npm, so this script
# makes one: each CommonJS file (Toast UI's dist build, the ProseMirror
# packages and their small dependencies, exactly as package-lock.json
# installed them) is wrapped in a function and registered with a tiny
# require(). The result is plain script text, needs no eval and so runs
# under the wiki's Content-Security-Policy (script-src 'self').
#
# Run from the repository root: VENDOR=themes/default/static/vendor bash themes/vendor.d/editor.sh
set -euo pipefail
: "${VENDOR:?set VENDOR to the vendor folder}"
nm=node_modules

mkdir -p "$VENDOR/turndown"
cp "$nm/turndown/dist/turndown.js" "$VENDOR/turndown/turndown.js"
cp "$nm/turndown/LICENSE" "$VENDOR/turndown/LICENSE"
cp "$nm/turndown-plugin-gfm/dist/turndown-plugin-gfm.js" "$VENDOR/turndown/turndown-plugin-gfm.js"
cp "$nm/turndown-plugin-gfm/LICENSE" "$VENDOR/turndown/LICENSE-turndown-plugin-gfm"

mkdir -p "$VENDOR/toastui"
# The css carries its icon sprites as data: URLs, which the CSP's img-src
# ('self' https:) refuses; they become files beside it.
node - "$nm/@toast-ui/editor/dist/toastui-editor.css" "$VENDOR/toastui" <<'JS'
const fs = require('fs');
const [src, dir] = process.argv.slice(2);
const seen = new Map();
const css = fs.readFileSync(src, 'utf8').replace(/url\(\s*['"]?data:image\/(png|svg\+xml);base64,([A-Za-z0-9+/=]+)['"]?\s*\)/g, (m, type, data) => {
  if (!seen.has(data)) {
    const file = `icon-${seen.size + 1}.${type === 'png' ? 'png' : 'svg'}`;
    fs.writeFileSync(`${dir}/${file}`, Buffer.from(data, 'base64'));
    seen.set(data, file);
  }
  return `url(${seen.get(data)})`;
});
fs.writeFileSync(`${dir}/toastui-editor.css`, css);
JS
# The npm package of @toast-ui/editor ships no licence file; its build
# header says "@license MIT". This is the upstream LICENSE of nhn/tui.editor.
cat > "$VENDOR/toastui/LICENSE" <<'LIC'
The MIT License (MIT)

Copyright (c) 2016-2022 NHN Cloud Corp.

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
LIC

deps="orderedmap rope-sequence w3c-keyname prosemirror-model prosemirror-transform prosemirror-state prosemirror-view prosemirror-commands prosemirror-history prosemirror-inputrules prosemirror-keymap"
for d in $deps; do
  cp "$nm/$d/LICENSE" "$VENDOR/toastui/LICENSE-$d"
done

node - "$VENDOR/toastui/toastui-editor-all.js" $deps <<'JS'
const fs = require('fs');
const path = require('path');
const [out, ...deps] = process.argv.slice(2);
const nm = path.resolve('node_modules');
const versions = [];
let body = '';
// Toast UI writes style="…" into HTML strings and attributes, which the
// CSP (style-src 'self') refuses; these patches set the same styles
// through the CSSOM (element.style), which the CSP allows.
const patches = [
  ['        container.innerHTML = contents;\n',
   "        container.innerHTML = contents.replace(/\\sstyle=(\"[^\"]*\"|'[^']*')/g, ' data-ww-style=$1');\n" +
   "        Array.prototype.forEach.call(container.querySelectorAll('[data-ww-style]'), function (el) { el.style.cssText = el.getAttribute('data-ww-style'); el.removeAttribute('data-ww-style'); });\n"],
  ["                else {\n                    node.setAttribute(propName, props[propName]);\n",
   "                else if (propName === 'style') {\n                    node.style.cssText = props[propName];\n                }\n                else {\n                    node.setAttribute(propName, props[propName]);\n"],
];
function add(name, file) {
  let src = fs.readFileSync(file, 'utf8').replace(/\/\/# sourceMappingURL=.*$/gm, '');
  if (name === '@toast-ui/editor') {
    for (const [from, to] of patches) {
      if (src.split(from).length !== 2) throw new Error('toastui patch does not apply: ' + from);
      src = src.replace(from, to);
    }
  }
  body += `def(${JSON.stringify(name)}, function (module, exports, require) {\n${src}\n});\n`;
}
for (const d of deps) {
  const pkg = JSON.parse(fs.readFileSync(path.join(nm, d, 'package.json'), 'utf8'));
  const main = (pkg.exports && pkg.exports['.'] && pkg.exports['.'].require) || pkg.main;
  versions.push(`${d} ${pkg.version}`);
  add(d, path.join(nm, d, main));
}
const tui = JSON.parse(fs.readFileSync(path.join(nm, '@toast-ui/editor/package.json'), 'utf8'));
versions.unshift(`@toast-ui/editor ${tui.version}`);
add('@toast-ui/editor', path.join(nm, '@toast-ui/editor/dist/toastui-editor.js'));
const text = `/*! Built by themes/vendor.d/editor.sh from node_modules: ${versions.join(', ')}.
 * Licences: LICENSE (Toast UI, MIT) and LICENSE-* (MIT) beside this file. */
(function () {

var defs = {}, cache = {};
function def(name, fn) { defs[name] = fn; }
function req(name) {
  if (cache[name]) return cache[name].exports;
  if (!defs[name]) throw new Error('toastui bundle: no module ' + name);
  var module = cache[name] = {exports: {}};
  defs[name].call(module.exports, module, module.exports, req);
  return module.exports;
}
var process = {env: {NODE_ENV: 'production'}};
${body}
self.toastui = self.toastui || {};
self.toastui.Editor = req('@toast-ui/editor');
})();
`;
fs.writeFileSync(out, text);
console.log('wrote', out, text.length, 'bytes:', versions.join(', '));
JS
