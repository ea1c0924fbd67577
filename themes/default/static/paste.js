// Paste from Word, LibreOffice, Excel, Google Docs and web pages into the
// Markdown textarea of /-/edit/{page}: the clipboard's HTML becomes clean
// Markdown (turndown + turndown-plugin-gfm, vendored in vendor/turndown/),
// with Word's list paragraphs as real lists and tables as GFM tables with
// a header row. Plain-text pastes are left to the browser. Pasted images
// go to the upload dialog of editor.js (window.wikiwerkEditor) when it is
// there; without it they are skipped.
(function () {
  'use strict';
  var area = document.getElementById('wwText');
  if (!area) return;

  // Loaded up front: the paste handler must decide synchronously.
  ['turndown.js', 'turndown-plugin-gfm.js'].forEach(function (f) {
    var s = document.createElement('script');
    s.src = '/-/static/vendor/turndown/' + f;
    s.async = false;
    document.head.appendChild(s);
  });

  function styleOf(el) { return (el.getAttribute('style') || '').toLowerCase(); }

  function unwrap(el) {
    while (el.firstChild) el.parentNode.insertBefore(el.firstChild, el);
    el.remove();
  }

  function rename(el, tag) {
    var n = el.ownerDocument.createElement(tag);
    while (el.firstChild) n.appendChild(el.firstChild);
    el.replaceWith(n);
    return n;
  }

  // wordLists turns runs of Word's list paragraphs (class MsoListParagraph…
  // or a mso-list style, with the marker in a mso-list:Ignore span) into
  // nested <ul>/<ol>.
  function wordLists(doc) {
    var paras = Array.prototype.slice.call(doc.querySelectorAll('p'));
    paras.forEach(function (p) {
      if (!p.isConnected) return;
      if (!isListPara(p)) return;
      var run = [p];
      var next = p.nextElementSibling;
      while (next && next.tagName === 'P' && isListPara(next)) { run.push(next); next = next.nextElementSibling; }
      var stack = [];
      var anchor = doc.createElement('div');
      p.parentNode.insertBefore(anchor, p);
      run.forEach(function (q) {
        var m = /level(\d+)/.exec(styleOf(q));
        var level = m ? Number(m[1]) : 1;
        var marker = '';
        q.querySelectorAll('span').forEach(function (s) {
          if (/mso-list:\s*ignore/.test(styleOf(s))) { marker += s.textContent; s.remove(); }
        });
        marker = marker.replace(/\u00a0/g, ' ').trim();
        var ordered = /^\(?[0-9a-zA-Z]{1,4}[.)]$/.test(marker);
        while (stack.length > level) stack.pop();
        while (stack.length < level) {
          var list = doc.createElement(ordered ? 'ol' : 'ul');
          if (stack.length) {
            var parentList = stack[stack.length - 1];
            var host = parentList.lastElementChild || parentList.appendChild(doc.createElement('li'));
            host.appendChild(list);
          } else {
            anchor.appendChild(list);
          }
          stack.push(list);
        }
        var li = doc.createElement('li');
        while (q.firstChild) li.appendChild(q.firstChild);
        stack[stack.length - 1].appendChild(li);
        q.remove();
      });
      unwrap(anchor);
    });
  }

  function isListPara(p) {
    return /(^|\s)MsoListParagraph/.test(p.className) || /mso-list:\s*l\d/.test(styleOf(p));
  }

  // clean removes what Word, LibreOffice and web pages add around content.
  function clean(html) {
    html = html
      .replace(/<!--\[if[\s\S]*?<!\[endif\]-->/gi, '')
      .replace(/<!\[if[^>]*>|<!\[endif\]>/gi, '');
    var doc = new DOMParser().parseFromString(html, 'text/html');
    doc.querySelectorAll('style, script, meta, link, title, xml, template, noscript, iframe, object').forEach(function (e) { e.remove(); });
    var walker = doc.createTreeWalker(doc.body, NodeFilter.SHOW_COMMENT);
    var comments = [];
    while (walker.nextNode()) comments.push(walker.currentNode);
    comments.forEach(function (c) { c.remove(); });
    // Word's namespaced tags (o:p, w:sdt, v:shape …).
    Array.prototype.slice.call(doc.body.getElementsByTagName('*')).forEach(function (e) {
      if (e.tagName.indexOf(':') >= 0) { if (/^O:P$/i.test(e.tagName) || /^V:/i.test(e.tagName)) e.remove(); else unwrap(e); }
    });
    wordLists(doc);
    doc.querySelectorAll('p.MsoTitle').forEach(function (p) { rename(p, 'h1'); });
    // Google Docs wraps everything in <b style="font-weight:normal">.
    doc.querySelectorAll('b[id^="docs-internal-guid"]').forEach(unwrap);
    doc.querySelectorAll('span').forEach(function (s) {
      var st = styleOf(s);
      var bold = /font-weight:\s*(bold|[6-9]00)/.test(st);
      var italic = /font-style:\s*italic/.test(st);
      if (bold || italic) {
        var inner = s;
        if (bold) inner = rename(inner, 'strong');
        if (italic) { var em = doc.createElement('em'); while (inner.firstChild) em.appendChild(inner.firstChild); inner.appendChild(em); }
      } else {
        unwrap(s);
      }
    });
    doc.querySelectorAll('font').forEach(unwrap);
    doc.querySelectorAll('a:not([href])').forEach(unwrap);
    // Excel and Word tables: one line per cell, the first row the header.
    doc.querySelectorAll('table').forEach(function (t) {
      t.querySelectorAll('td p, th p, td div, th div').forEach(function (p) { p.after(doc.createTextNode(' ')); unwrap(p); });
      t.querySelectorAll('td br, th br').forEach(function (b) { b.replaceWith(doc.createTextNode(' ')); });
      var first = t.rows[0];
      if (first && !first.querySelector('th')) {
        Array.prototype.slice.call(first.cells).forEach(function (c) { rename(c, 'th'); });
      }
    });
    doc.querySelectorAll('col, colgroup').forEach(function (e) { e.remove(); });
    doc.querySelectorAll('p, div, h1, h2, h3, h4, h5, h6, li').forEach(function (p) {
      if (!p.textContent.replace(/[\s\u00a0]/g, '') && !p.querySelector('img, table')) p.remove();
    });
    doc.querySelectorAll('*').forEach(function (e) { e.removeAttribute('class'); e.removeAttribute('style'); e.removeAttribute('lang'); });
    return doc.body;
  }

  function service(images) {
    var td = new window.TurndownService({
      headingStyle: 'atx', bulletListMarker: '-', strongDelimiter: '**', emDelimiter: '*',
      codeBlockStyle: 'fenced', hr: '---'
    });
    td.use(window.turndownPluginGfm.gfm);
    // "- item" and "1. item", not turndown's wider "-   item".
    td.addRule('listItem', {
      filter: 'li',
      replacement: function (content, node, options) {
        var parent = node.parentNode;
        var prefix = options.bulletListMarker + ' ';
        if (parent.nodeName === 'OL') {
          var start = parent.getAttribute('start');
          prefix = (start ? Number(start) : 1) + Array.prototype.indexOf.call(parent.children, node) + '. ';
        }
        content = content.replace(/^\n+/, '').replace(/\n+$/, '\n').replace(/\n/gm, '\n' + ' '.repeat(prefix.length));
        return prefix + content + (node.nextSibling && !/\n$/.test(content) ? '\n' : '');
      }
    });
    td.addRule('images', {
      filter: 'img',
      replacement: function (content, node) {
        var src = node.getAttribute('src') || '';
        if (/^data:image\//.test(src)) { images.push(dataFile(src, images.length)); return ''; }
        if (/^https?:\/\/|^\//.test(src)) return '![' + (node.getAttribute('alt') || '') + '](' + src + ')';
        return '';
      }
    });
    return td;
  }

  function dataFile(url, n) {
    var m = /^data:(image\/[\w.+-]+);base64,(.*)$/.exec(url);
    if (!m) return null;
    var bin = atob(m[2]);
    var bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    var ext = m[1].split('/')[1].replace('jpeg', 'jpg').replace('svg+xml', 'svg');
    return new File([bytes], 'plaatje-' + (n + 1) + '.' + ext, {type: m[1]});
  }

  // htmlToMarkdown is exported for tests and for the visual mode.
  function htmlToMarkdown(html, images) {
    var md = service(images || []).turndown(clean(html));
    return md
      .replace(/\u00a0/g, ' ')
      .replace(/([\p{L}\p{N}])\\_(?=[\p{L}\p{N}])/gu, '$1_')
      .replace(/[ \t]+$/gm, '')
      .replace(/\n{3,}/g, '\n\n')
      .trim();
  }
  window.wikiwerkPaste = {htmlToMarkdown: htmlToMarkdown};

  function insert(text) {
    area.focus();
    // execCommand keeps the browser's undo stack: Ctrl+Z takes the paste back.
    if (!document.execCommand('insertText', false, text)) {
      area.setRangeText(text, area.selectionStart, area.selectionEnd, 'end');
      area.dispatchEvent(new Event('input', {bubbles: true}));
    }
  }

  function upload(files) {
    var api = window.wikiwerkEditor;
    files = files.filter(Boolean);
    if (!files.length || !api || typeof api.openUploadDialog !== 'function') return;
    Promise.resolve(api.openUploadDialog(files)).then(function (md) {
      if (!md) return;
      if (typeof api.insertAtCaret === 'function') api.insertAtCaret(md); else insert(md);
    }).catch(function () {});
  }

  area.addEventListener('paste', function (e) {
    var cd = e.clipboardData;
    if (!cd) return;
    var html = cd.getData('text/html');
    var files = Array.prototype.filter.call(cd.files || [], function (f) { return /^image\//.test(f.type); });
    if (!html) {
      if (files.length && window.wikiwerkEditor) { e.preventDefault(); upload(files); }
      return;
    }
    if (!window.TurndownService || !window.turndownPluginGfm) return;
    var images = [];
    var md;
    try { md = htmlToMarkdown(html, images); } catch (err) { return; }
    e.preventDefault();
    if (md) insert(md);
    upload(files.length ? files : images);
  });
})();
