// Visual editing mode for the editor at /-/edit/{page}.
//
// A "Text / Visual" switch above the editor swaps the Markdown textarea
// for Toast UI's WYSIWYG editor (vendored in vendor/toastui/, loaded only
// when someone switches). Toast UI re-serialises the whole document, which
// would rewrite every list marker, table and escape of a page someone only
// changed one word in. So what goes back into the textarea is a merge
// (mergeMarkdown below): blocks the person did not touch keep their exact
// original source; only changed blocks, and within a block that kept its
// shape only the changed lines, take Toast UI's text.
//
// Without JavaScript, or when Toast UI fails to load, the textarea stays.
(function () {
  'use strict';

  // ---- The block-preserving merge (pure functions, tested in
  // wiki/web/visual_browser_test.go through window.wikiwerkVisualMerge).

  var FENCE = /^ {0,3}(`{3,}|~{3,})/;

  // splitBlocks cuts Markdown into top-level blocks: runs of non-blank
  // lines, fenced code (blank lines and all) and HTML comments. Each block
  // keeps its exact text and the line breaks that follow it (sep), so that
  // prefix + Σ(text + sep) gives back the input exactly.
  function splitBlocks(md) {
    var lines = md.split('\n');
    var blocks = [];
    var prefix = '';
    var i = 0;
    var n = lines.length;
    function blank(l) { return /^\s*$/.test(l); }
    // A final "" after the last \n is not a line of its own.
    if (n > 0 && lines[n - 1] === '') n--;
    while (i < n && blank(lines[i])) { prefix += lines[i] + '\n'; i++; }
    while (i < n) {
      var start = i;
      var f = FENCE.exec(lines[i]);
      if (f) {
        var ch = f[1][0];
        var len = f[1].length;
        i++;
        while (i < n) {
          var c = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(lines[i]);
          i++;
          if (c && c[1][0] === ch && c[1].length >= len) break;
        }
      } else if (/^\s*<!--/.test(lines[i])) {
        while (i < n && lines[i].indexOf('-->') < 0) i++;
        i++;
      } else {
        i++;
        while (i < n && !blank(lines[i]) && !FENCE.test(lines[i])) i++;
      }
      if (i > n) i = n;
      var text = lines.slice(start, i).join('\n');
      var sep = i < lines.length ? '\n' : '';
      while (i < n && blank(lines[i])) { sep += lines[i] + (i < lines.length - 1 ? '\n' : ''); i++; }
      blocks.push({text: text, sep: sep});
    }
    return {prefix: prefix, blocks: blocks};
  }

  // normBlock makes two spellings of the same Markdown compare equal:
  // bullet and emphasis characters, escapes, table padding and
  // alignment rows, setext underlines, autolinks.
  function normBlock(text) {
    return text.split('\n').map(function (l) {
      l = l.trim()
        .replace(/\\([!-\/:-@\[-`{-~])/g, '$1')
        .replace(/\[([^\]]+)\]\(\1\)/g, '<$1>');
      if (/^([-*_]\s*){3,}$/.test(l)) return 'hr';
      if (/^=+$/.test(l)) return '=';
      return l
        .replace(/^[*+-]\s+/, '- ')
        .replace(/^\d+[.)]\s+/, '1. ')
        .replace(/__|\*\*/g, '**')
        .replace(/_/g, '*')
        .replace(/\s*\|\s*/g, '|')
        .replace(/:?-{3,}:?/g, '---')
        .replace(/\s+/g, ' ');
    }).join('\n');
  }

  // lcs returns the index pairs [i, j] of a longest common subsequence of
  // a and b under eq, in order.
  function lcs(a, b, eq) {
    var n = a.length;
    var m = b.length;
    var t = [];
    for (var i = 0; i <= n; i++) t.push(new Array(m + 1).fill(0));
    for (i = n - 1; i >= 0; i--) {
      for (var j = m - 1; j >= 0; j--) {
        t[i][j] = eq(a[i], b[j]) ? t[i + 1][j + 1] + 1 : Math.max(t[i + 1][j], t[i][j + 1]);
      }
    }
    var pairs = [];
    i = 0; j = 0;
    while (i < n && j < m) {
      if (eq(a[i], b[j])) { pairs.push([i, j]); i++; j++; } else if (t[i + 1][j] >= t[i][j + 1]) i++; else j++;
    }
    return pairs;
  }

  function same(a, b) { return a === b; }

  // ops turns the LCS of a and b into an edit script: runs of
  // {eq: [[i, j]...]} and hunks {del: [i...], ins: [j...]}.
  function ops(a, b, eq) {
    var pairs = lcs(a, b, eq);
    var out = [];
    var i = 0;
    var j = 0;
    pairs.concat([[a.length, b.length]]).forEach(function (p) {
      var hunk = {del: [], ins: []};
      for (; i < p[0]; i++) hunk.del.push(i);
      for (; j < p[1]; j++) hunk.ins.push(j);
      if (hunk.del.length || hunk.ins.length) out.push(hunk);
      if (p[0] < a.length) out.push({eq: [p[0], p[1]]});
      i = p[0] + 1;
      j = p[1] + 1;
    });
    return out;
  }

  var ITEM = /^(\s*(?:[*+-]|\d+[.)])\s+)/;

  // fixEscapes undoes the escapes Toast UI adds that change how the
  // source reads but not what it means: [[wiki links]], "." and "-" that
  // cannot start a list there, "_" inside a word, "|" outside a table.
  function fixEscapes(line) {
    line = line.replace(/\\\[\\\[((?:[^\]\\]|\\.)+?)\\\]\\\]/g, function (m, inner) {
      return '[[' + inner.replace(/\\(.)/g, '$1') + ']]';
    });
    line = line.replace(/\\([.\-])/g, function (m, c, off) {
      return /^\s*\d*$/.test(line.slice(0, off)) ? m : c;
    });
    line = line.replace(/([\p{L}\p{N}])\\_(?=[\p{L}\p{N}])/gu, '$1_');
    if (!/^\s*\|/.test(line)) line = line.replace(/\\\|/g, '|');
    return line;
  }

  // fixLine takes a changed line from the visual editor, keeping the
  // original's list marker and indent (Toast UI writes "*" and four
  // spaces; a different marker would start a new list).
  function fixLine(orig, edited, bullet) {
    var o = ITEM.exec(orig);
    var e = ITEM.exec(edited);
    if (o && e) edited = o[1] + edited.slice(e[1].length);
    else if (e && bullet) edited = edited.replace(/^(\s*)[*+-](\s)/, '$1' + bullet + '$2');
    return fixEscapes(edited);
  }

  function bulletOf(text) {
    var m = /^\s*([*+-])\s/m.exec(text);
    return m ? m[1] : '';
  }

  // mergeLines merges one block whose original and round-tripped texts
  // have the same lines: unchanged lines keep the original.
  function mergeLines(o, r, e) {
    var ol = o.split('\n');
    var rl = r.split('\n');
    var el = e.split('\n');
    var bullet = bulletOf(o);
    var out = [];
    ops(rl, el, same).forEach(function (op) {
      if (op.eq) { out.push(ol[op.eq[0]]); return; }
      op.ins.forEach(function (k, x) {
        var d = op.del.length === op.ins.length ? op.del[x] : -1;
        out.push(fixLine(d >= 0 ? ol[d] : '', el[k], bullet));
      });
    });
    return out.join('\n');
  }

  // mergeMarkdown returns the text to store for a page that was
  // `original` when the visual editor opened it, which serialised it as
  // `roundtrip` before any change, and which now serialises it as
  // `edited`. Blocks of `edited` equal to blocks of `roundtrip` come back
  // as their original source, so an untouched page comes back byte for
  // byte and a changed word changes one line.
  function mergeMarkdown(original, roundtrip, edited) {
    if (edited === roundtrip) return original;
    var O = splitBlocks(original);
    var R = splitBlocks(roundtrip).blocks;
    var E = splitBlocks(edited).blocks;
    var ob = O.blocks;

    // Segments: groups of original blocks and the round-tripped blocks
    // they became. Aligned blocks make a segment of one each; what lies
    // between two aligned pairs makes one segment together.
    var segs = [];
    var segOf = [];
    var oi = 0;
    var ri = 0;
    function seg(o2, r2) {
      var s = {o: ob.slice(oi, o2), r: [], kept: true};
      for (; ri < r2; ri++) { s.r.push(ri); segOf[ri] = s; }
      oi = o2;
      if (s.o.length || s.r.length) segs.push(s);
      return s;
    }
    lcs(ob.map(function (b) { return normBlock(b.text); }), R.map(function (b) { return normBlock(b.text); }), same)
      .forEach(function (p) { seg(p[0], p[1]); seg(p[0] + 1, p[1] + 1); });
    seg(ob.length, R.length);

    var script = ops(R.map(function (b) { return b.text; }), E.map(function (b) { return b.text; }), same);
    script.forEach(function (op) { if (!op.eq) op.del.forEach(function (j) { segOf[j].kept = false; }); });

    var pieces = [];
    var emitted = [];
    function emitSeg(s) {
      if (emitted.indexOf(s) >= 0) return;
      emitted.push(s);
      s.o.forEach(function (b) { pieces.push({text: b.text, sep: b.sep}); });
    }
    // A segment Toast UI dropped altogether (no round-tripped block) is
    // kept where it was: nobody could have edited it.
    function emitDroppedBefore(s) {
      for (var x = 0; x < segs.length && segs[x] !== s; x++) {
        if (!segs[x].r.length) emitSeg(segs[x]);
      }
    }
    function emitNew(text) {
      var bullet = bulletOf(original);
      pieces.push({text: text.split('\n').map(function (l) { return fixLine('', l, bullet); }).join('\n'), sep: '\n\n', fresh: true});
    }
    script.forEach(function (op) {
      if (op.eq) {
        var s = segOf[op.eq[0]];
        emitDroppedBefore(s);
        if (s.kept) emitSeg(s); else emitNew(E[op.eq[1]].text);
        return;
      }
      if (op.del.length) emitDroppedBefore(segOf[op.del[0]]);
      var s1 = op.del.length === 1 ? segOf[op.del[0]] : null;
      if (s1 && op.ins.length === 1 && s1.o.length === 1 && s1.r.length === 1 &&
          s1.o[0].text.split('\n').length === R[op.del[0]].text.split('\n').length) {
        emitted.push(s1);
        pieces.push({text: mergeLines(s1.o[0].text, R[op.del[0]].text, E[op.ins[0]].text), sep: s1.o[0].sep});
        return;
      }
      op.ins.forEach(function (k) { emitNew(E[k].text); });
    });
    emitDroppedBefore(null);

    // Separators: a block that moved from the end to the middle needs a
    // blank line after it; the last one ends as the original ended.
    var end = ob.length ? ob[ob.length - 1].sep : '\n';
    if (!/\n$/.test(end)) end = original.length ? '' : '\n';
    var out = O.prefix;
    pieces.forEach(function (p, x) {
      var sep = p.sep;
      if (x === pieces.length - 1) sep = end || (p.fresh ? '\n' : p.sep);
      else if (!/\n\s*\n$/.test(sep)) sep = '\n\n';
      out += p.text + sep;
    });
    return out;
  }

  // risks lists what Toast UI cannot keep exactly, for the notice.
  function risks(md) {
    var found = [];
    var body = md.replace(/^ {0,3}(`{3,}|~{3,})(?!mermaid)[^\n]*\n[\s\S]*?^ {0,3}\1\s*$/gm, '');
    if (/^ {0,3}<(?!!--)[a-zA-Z][^>]*>/m.test(body)) found.push('html');
    if (/\[\^[^\]]+\]/.test(body)) found.push('footnotes');
    if (/\$\$|(^|[^\\$])\$[^\s$][^$\n]*\$/.test(body)) found.push('math');
    if (/^ {0,3}(`{3,}|~{3,})\s*mermaid/m.test(md)) found.push('mermaid');
    return found;
  }

  window.wikiwerkVisualMerge = {mergeMarkdown: mergeMarkdown, splitBlocks: splitBlocks, normBlock: normBlock, risks: risks, fixEscapes: fixEscapes};

  // ---- The switch and the editor.

  var MSG = {
    nl: {
      group: 'Bewerken als',
      text: 'Tekst',
      visual: 'Visueel',
      loading: 'De visuele editor wordt geladen…',
      failed: 'De visuele editor kon niet laden. U kunt verder in tekstmodus.',
      risk: 'Deze pagina bevat iets wat de visuele editor niet precies kan weergeven: ',
      riskAfter: '. Wat u daar verandert, kan anders worden opgeslagen. U kunt beter in tekstmodus blijven.',
      stay: 'In tekstmodus blijven',
      go: 'Toch visueel bewerken',
      html: 'HTML-code', footnotes: 'voetnoten', math: 'formules ($…$)', mermaid: 'diagrammen (mermaid)',
      more: 'Meer opmaakknoppen'
    },
    en: {
      group: 'Edit as',
      text: 'Text',
      visual: 'Visual',
      loading: 'Loading the visual editor…',
      failed: 'The visual editor could not load. You can go on in text mode.',
      risk: 'This page contains something the visual editor cannot show exactly: ',
      riskAfter: '. What you change there may be saved differently. You had better stay in text mode.',
      stay: 'Stay in text mode',
      go: 'Edit visually anyway',
      html: 'HTML code', footnotes: 'footnotes', math: 'formulas ($…$)', mermaid: 'diagrams (mermaid)',
      more: 'More formatting buttons'
    }
  };
  var msg = MSG[(document.documentElement.lang || 'nl').slice(0, 2)] || MSG.nl;

  var form = document.querySelector('form.editor');
  var area = document.getElementById('wwText');
  if (!form || !area || !area.parentNode) return;

  var css = document.createElement('link');
  css.rel = 'stylesheet';
  css.href = '/-/static/visual.css';
  document.head.appendChild(css);

  var bar = document.createElement('div');
  bar.className = 'ww-mode';
  bar.setAttribute('role', 'group');
  var label = document.createElement('span');
  label.id = 'wwModeLabel';
  label.className = 'ww-mode-label';
  label.textContent = msg.group;
  bar.setAttribute('aria-labelledby', label.id);
  bar.appendChild(label);
  function modeButton(mode, text) {
    var b = document.createElement('button');
    b.type = 'button';
    b.className = 'ww-mode-' + mode;
    b.dataset.mode = mode;
    b.textContent = text;
    b.setAttribute('aria-pressed', mode === 'text' ? 'true' : 'false');
    bar.appendChild(b);
    return b;
  }
  var textBtn = modeButton('text', msg.text);
  var visualBtn = modeButton('visual', msg.visual);
  var status = document.createElement('div');
  status.className = 'ww-mode-status';
  status.setAttribute('role', 'status');
  var field = area.closest('.field') || area.parentNode;
  field.insertBefore(bar, field.firstChild);
  field.insertBefore(status, bar.nextSibling);

  var host = document.createElement('div');
  host.className = 'ww-visual';
  host.hidden = true;
  area.parentNode.insertBefore(host, area.nextSibling);

  var state = {mode: 'text', editor: null, loading: null, original: '', roundtrip: ''};

  function loadToast() {
    if (state.loading) return state.loading;
    state.loading = new Promise(function (resolve, reject) {
      if (window.toastui && window.toastui.Editor) { resolve(); return; }
      var l = document.createElement('link');
      l.rel = 'stylesheet';
      l.href = '/-/static/vendor/toastui/toastui-editor.css';
      document.head.insertBefore(l, css);
      var s = document.createElement('script');
      s.src = '/-/static/vendor/toastui/toastui-editor-all.js';
      s.onload = function () { if (window.toastui && window.toastui.Editor) resolve(); else reject(new Error('no toastui')); };
      s.onerror = function () { reject(new Error('toastui did not load')); };
      document.head.appendChild(s);
    });
    state.loading.catch(function () { state.loading = null; });
    return state.loading;
  }

  function imageHook(blob, callback) {
    var api = window.wikiwerkEditor;
    if (!api || typeof api.openUploadDialog !== 'function') return false;
    Promise.resolve(api.openUploadDialog([blob])).then(function (md) {
      var m = /!\[([^\]]*)\]\(([^)\s]+)/.exec(md || '');
      if (m) callback(m[2], m[1]);
    }).catch(function () {});
    return false;
  }

  function createEditor() {
    var items = [['heading', 'bold', 'italic', 'strike'], ['hr', 'quote'], ['ul', 'ol', 'task'], ['table', 'link'], ['code', 'codeblock']];
    if (window.wikiwerkEditor && window.wikiwerkEditor.openUploadDialog) items[3].push('image');
    state.editor = new window.toastui.Editor({
      el: host,
      initialEditType: 'wysiwyg',
      hideModeSwitch: true,
      // Toast UI would otherwise report each use to Google Analytics.
      usageStatistics: false,
      height: Math.max(area.offsetHeight, 400) + 'px',
      toolbarItems: items,
      hooks: {addImageBlobHook: imageHook},
      events: {change: scheduleSync}
    });
    // Toast UI's "more" button (shown when the toolbar does not fit) has
    // an icon and no name; it comes and goes as the width changes.
    var nameMore = function () {
      var more = host.querySelectorAll('.toastui-editor-toolbar button.more');
      for (var i = 0; i < more.length; i++) {
        if (!more[i].getAttribute('aria-label')) more[i].setAttribute('aria-label', msg.more);
      }
    };
    nameMore();
    new MutationObserver(nameMore).observe(host, {childList: true, subtree: true});
  }

  // merged is what the textarea must hold for what the visual editor shows.
  function merged() {
    return mergeMarkdown(state.original, state.roundtrip, state.editor.getMarkdown());
  }

  var syncTimer = 0;
  function scheduleSync() {
    if (state.mode !== 'visual' || state.entering) return;
    clearTimeout(syncTimer);
    syncTimer = setTimeout(sync, 400);
  }
  // sync puts the merged text in the textarea, with an input event, so
  // that drafts and the preview follow the visual editor too.
  function sync() {
    clearTimeout(syncTimer);
    if (state.mode !== 'visual' || !state.editor) return;
    var text = merged();
    if (text !== area.value) {
      area.value = text;
      area.dispatchEvent(new Event('input', {bubbles: true}));
    }
  }

  function setPressed(mode) {
    textBtn.setAttribute('aria-pressed', String(mode === 'text'));
    visualBtn.setAttribute('aria-pressed', String(mode === 'visual'));
    form.dataset.mode = mode;
    form.dispatchEvent(new CustomEvent('wikiwerk:mode', {detail: {mode: mode}}));
  }

  function toVisual() {
    if (state.mode === 'visual') return;
    status.textContent = msg.loading;
    visualBtn.disabled = true;
    loadToast().then(function () {
      if (!state.editor) createEditor();
      state.entering = true;
      state.original = area.value;
      state.editor.setMarkdown(state.original, false);
      state.roundtrip = state.editor.getMarkdown();
      state.entering = false;
      state.mode = 'visual';
      area.hidden = true;
      host.hidden = false;
      status.textContent = '';
      setPressed('visual');
      state.editor.focus();
    }).catch(function () {
      status.textContent = msg.failed;
    }).then(function () { visualBtn.disabled = false; });
  }

  function toText() {
    if (state.mode !== 'visual') return;
    sync();
    state.mode = 'text';
    host.hidden = true;
    area.hidden = false;
    setPressed('text');
    area.focus();
  }

  function warn(found) {
    status.textContent = '';
    var p = document.createElement('p');
    p.className = 'ww-mode-risk';
    p.textContent = msg.risk + found.map(function (k) { return msg[k]; }).join(', ') + msg.riskAfter;
    var stay = document.createElement('button');
    stay.type = 'button';
    stay.className = 'ww-mode-stay';
    stay.textContent = msg.stay;
    var go = document.createElement('button');
    go.type = 'button';
    go.className = 'secondary ww-mode-go';
    go.textContent = msg.go;
    var close = function () { p.remove(); };
    stay.addEventListener('click', function () { close(); textBtn.focus(); });
    go.addEventListener('click', function () { close(); toVisual(); });
    p.appendChild(document.createTextNode(' '));
    p.appendChild(stay);
    p.appendChild(document.createTextNode(' '));
    p.appendChild(go);
    status.appendChild(p);
    stay.focus();
  }

  visualBtn.addEventListener('click', function () {
    if (state.mode === 'visual') return;
    var found = risks(area.value);
    if (found.length) warn(found); else toVisual();
  });
  textBtn.addEventListener('click', toText);
  // Capture, so that the textarea holds the merged text before any other
  // submit handler (drafts, editor.js) reads it.
  form.addEventListener('submit', sync, true);
})();
