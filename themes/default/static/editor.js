// editor.js: extras for the page editor. Everything here is optional: without
// JavaScript the editor works the same, and the server's merge and conflict
// handling protect every save.
//
// - Drafts: what is typed is kept in localStorage, so that a closed tab, a
//   crash or a lost connection does not lose it; the next time the editor
//   opens, it offers to restore the draft.
// - Presence: a heartbeat to /-/api/presence/{page} shows who else is
//   editing the page, and warns when someone saved it meanwhile.
// - The conflict form: typing in a "combine them myself" box selects it.
// - A toolbar (role=toolbar, one tab stop, arrow keys/Home/End) that
//   writes Markdown as a person would type it: "## Kop", "**vet**",
//   "*schuin*", "- item", "1. item", "- [ ] taak", "> citaat",
//   "[tekst](https://…)", "[[Pagina]]", aligned GFM tables (a rows ×
//   columns dialog, and a grid dialog for the table at the caret), images
//   and files through an upload dialog (alt text required for images).
//   Shortcuts: Ctrl+B, Ctrl+I, Ctrl+K (link), Ctrl+S and Ctrl+Enter save.
//   Enter in a list item starts the next one.
// - Uploads: PUT /-/api/files/{page}/{name} with the CSRF token; the link
//   is relative to the page's folder ("Ontwerp/x.png" from WMO-loket/Ontwerp),
//   as a clone shows it. Dropped files and pasted image files (without
//   HTML; paste.js handles HTML) open the same dialog.
// - A live preview (POST /-/preview) beside the text from 1100 px, behind
//   a "Show preview" button on narrower screens.
// - Caret and scroll survive the Preview button's round trip; leaving with
//   changes that cannot be kept as a draft asks first.
//
// window.wikiwerkEditor, for paste.js and visual.js (set once this has run;
// the event "wikiwerk:editor-ready" on document says so):
//   textarea                 the #wwText element
//   toolbar                  the toolbar element (add buttons to it)
//   insertAtCaret(text)      replaces the selection with text, undoable
//   insertBlock(text)        the same, as a block with blank lines around it
//   replaceRange(start, end, text[, selStart, selEnd])
//   openUploadDialog(files[, {insert: true}])
//                            Promise of the Markdown of the uploaded links
//                            ("" when cancelled); inserts it only with
//                            insert: true (and never while the textarea is
//                            hidden)
//   refreshPreview()         renders the live preview now
//   say(text)                announces text in the editor's live region
//
// The server gives the form everything this needs in data- attributes: the
// page, its base revision and the translated texts.
(function () {
  'use strict';

  var resolveForm = document.querySelector('form.resolve');
  if (resolveForm) {
    resolveForm.addEventListener('input', function (ev) {
      var box = ev.target;
      if (!box.matches || !box.matches('textarea.custom') || !box.dataset.choice) {
        return;
      }
      var radios = resolveForm.querySelectorAll('input[type="radio"][value="custom"]');
      for (var i = 0; i < radios.length; i++) {
        if (radios[i].name === box.dataset.choice) {
          radios[i].checked = true;
        }
      }
    });
  }

  var form = document.querySelector('form.editor');
  var text = form && form.querySelector('#wwText');
  var baseField = form && form.querySelector('input[name="base"]');
  if (!form || !text || !baseField || !form.dataset.page) {
    return;
  }
  var page = form.dataset.page;
  var lang = document.documentElement.lang || 'nl';
  var pagePath = page.split('/').map(encodeURIComponent).join('/');

  // msg returns a translated text; "%s" in it are replaced by args in order.
  function msg(name) {
    var args = Array.prototype.slice.call(arguments, 1);
    var key = 'msg' + name.replace(/(^|-)([a-z])/g, function (_, d, c) { return c.toUpperCase(); });
    var i = 0;
    return (form.dataset[key] || '').replace(/%s/g, function () { return i < args.length ? String(args[i++]) : ''; });
  }

  function el(tag, className, content) {
    var e = document.createElement(tag);
    if (className) {
      e.className = className;
    }
    if (content) {
      e.textContent = content;
    }
    return e;
  }

  function pad(n) {
    return (n < 10 ? '0' : '') + n;
  }

  // clock formats a time as HH:MM, with the date when it is not today.
  function clock(ms) {
    var d = new Date(ms);
    var hm = pad(d.getHours()) + ':' + pad(d.getMinutes());
    if (d.toDateString() === new Date().toDateString()) {
      return hm;
    }
    return d.toLocaleDateString(lang) + ' ' + hm;
  }

  // ago says how long ago a time was, in the page's language.
  function ago(ms) {
    if (typeof Intl === 'undefined' || !Intl.RelativeTimeFormat) {
      return clock(ms);
    }
    var rtf = new Intl.RelativeTimeFormat(lang, { numeric: 'always' });
    var s = Math.max(1, Math.round((Date.now() - ms) / 1000));
    if (s < 60) {
      return rtf.format(-s, 'second');
    }
    if (s < 3600) {
      return rtf.format(-Math.floor(s / 60), 'minute');
    }
    if (s < 86400) {
      return rtf.format(-Math.floor(s / 3600), 'hour');
    }
    return rtf.format(-Math.floor(s / 86400), 'day');
  }

  // The status box above the form holds the draft banner and presence.
  var box = el('div', 'ww-status');
  (resolveForm || form).parentNode.insertBefore(box, resolveForm || form);

  // ---- Drafts ----
  //
  // A draft is {text, base, time, submitted}: the text typed, the revision
  // it was typed against, when, and whether the form was sent with it. A
  // sent draft is obsolete once the page's revision moved on (the save went
  // through); a save that failed comes back as a form holding the text.

  var draftKey = 'wikiwerk:draft:' + page;
  var typing = 0;

  function loadDraft() {
    try {
      var d = JSON.parse(localStorage.getItem(draftKey));
      return d && typeof d.text === 'string' && typeof d.base === 'string' ? d : null;
    } catch (e) {
      return null;
    }
  }

  // storeDraft keeps the text as the draft and reports whether it could.
  function storeDraft(submitted) {
    clearTimeout(typing);
    typing = 0;
    try {
      localStorage.setItem(draftKey, JSON.stringify({
        text: text.value, base: baseField.value, time: Date.now(), submitted: submitted
      }));
      return true;
    } catch (e) {
      // Storage full or switched off: the editor works without drafts.
      return false;
    }
  }

  function dropDraft() {
    try {
      localStorage.removeItem(draftKey);
    } catch (e) {
      // nothing to drop
    }
  }

  var opened = text.value;
  text.addEventListener('input', function () {
    clearTimeout(typing);
    typing = setTimeout(function () { storeDraft(false); }, 500);
  });
  function flush() {
    if (typing) {
      storeDraft(false);
    }
  }
  form.addEventListener('submit', function () { storeDraft(true); });
  if (resolveForm) {
    resolveForm.addEventListener('submit', function () { storeDraft(true); });
  }

  function offerDraft(draft) {
    var banner = el('div', 'notice ww-draft');
    banner.setAttribute('role', 'status');
    var p = el('p', '', msg('draft-found'));
    var buttons = el('div', 'buttons');
    var restore = el('button', 'ww-restore', msg('draft-restore', clock(draft.time)));
    var discard = el('button', 'secondary ww-discard', msg('draft-discard'));
    restore.type = discard.type = 'button';
    buttons.appendChild(restore);
    buttons.appendChild(discard);
    banner.appendChild(p);
    banner.appendChild(buttons);
    box.appendChild(banner);

    function done(message) {
      banner.removeChild(buttons);
      p.textContent = message;
      text.focus();
    }
    restore.addEventListener('click', function () {
      if (text.value !== opened && text.value !== draft.text && !window.confirm(msg('draft-replace'))) {
        return;
      }
      text.value = draft.text;
      // The draft was typed against its own base: saving from there lets
      // the server merge it with what was saved since, instead of
      // silently undoing those changes.
      baseField.value = draft.base;
      storeDraft(false);
      done(msg('draft-restored'));
      beat();
    });
    discard.addEventListener('click', function () {
      var now = loadDraft();
      if (now && now.time === draft.time) {
        dropDraft();
      }
      done(msg('draft-discarded'));
    });
  }

  var draft = loadDraft();
  if (form.dataset.kept) {
    // The server sent back the user's own text (a conflict, an error or a
    // preview): that is now the draft, and nothing else is offered.
    storeDraft(false);
  } else if (draft) {
    if (draft.text === text.value || (draft.submitted && draft.base !== form.dataset.base)) {
      dropDraft();
    } else {
      offerDraft(draft);
    }
  }

  // ---- Presence ----

  var interval = Math.max(250, parseInt(form.dataset.heartbeatMs, 10) || 15000);
  var presenceURL = '/-/api/presence/' + pagePath;
  var nameField = form.querySelector('input[name="author_name"]');
  var session = '';
  try {
    session = sessionStorage.getItem('wikiwerk:session') || '';
  } catch (e) {
    // a session id per page load then
  }
  if (!/^[A-Za-z0-9_-]{8,64}$/.test(session)) {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    session = Array.prototype.map.call(bytes, function (b) { return (b < 16 ? '0' : '') + b.toString(16); }).join('');
    try {
      sessionStorage.setItem('wikiwerk:session', session);
    } catch (e) {
      // kept for this page load only
    }
  }

  var editors = el('p', 'ww-editors');
  editors.setAttribute('role', 'status');
  var changed = el('p', 'notice ww-changed');
  changed.hidden = true;
  var announce = el('p', 'visually-hidden');
  announce.setAttribute('role', 'status');
  box.appendChild(editors);
  box.appendChild(changed);
  box.appendChild(announce);

  function showEditors(list) {
    var names = (list || []).map(function (e) { return e.name || msg('editor-anonymous'); });
    var line = names.length ? msg('editing-too', names.join(', ')) : '';
    // Only a real change is written, so that screen readers announce it once.
    if (editors.textContent !== line) {
      editors.textContent = line;
    }
  }

  var shownRevision = null;
  function showChanged(res) {
    var last = res.last_change;
    if (!res.changed || !last) {
      return; // once shown, the warning stays: the save will merge
    }
    var who = (last.author && last.author.name) || msg('editor-anonymous');
    var when = Date.parse(last.time);
    var time = el('time', '', ago(when));
    time.dateTime = last.time;
    time.title = clock(when);
    var parts;
    if (res.revision) {
      var link = el('a', '', msg('saved-meanwhile-see'));
      link.href = '/-/diff/' + pagePath + '?from=' + encodeURIComponent(baseField.value) + '&to=' + encodeURIComponent(res.revision);
      link.target = '_blank';
      link.rel = 'noopener';
      parts = msg('saved-meanwhile', who, '\u0000').split('\u0000');
      parts = [parts[0], time, parts[1] + ' ', link, '. ' + msg('save-still')];
    } else {
      parts = msg('deleted-meanwhile', who, '\u0000').split('\u0000');
      parts = [parts[0], time, parts[1]];
    }
    var fresh = shownRevision !== (res.revision || last.revision);
    changed.textContent = '';
    parts.forEach(function (x) { changed.appendChild(typeof x === 'string' ? document.createTextNode(x) : x); });
    changed.hidden = false;
    if (fresh) {
      // The visible warning refreshes its "minutes ago"; the announcement
      // is made once per new revision.
      shownRevision = res.revision || last.revision;
      announce.textContent = changed.textContent;
    }
  }

  // Presence calls carry the page's CSRF token: the session cookie alone
  // does not prove that this page sent them.
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrfToken = csrfMeta ? csrfMeta.getAttribute('content') : '';

  var timer = 0;
  var busy = false;
  function beat() {
    clearTimeout(timer);
    timer = setTimeout(beat, interval);
    if (busy) {
      return;
    }
    busy = true;
    var name = nameField ? nameField.value.replace(/[\u0000-\u001f\u007f-\u009f]/g, '').trim().slice(0, 200) : '';
    fetch(presenceURL, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrfToken },
      credentials: 'same-origin',
      cache: 'no-store',
      body: JSON.stringify({ session: session, name: name, base: baseField.value })
    }).then(function (r) {
      return r.ok ? r.json() : null;
    }).then(function (res) {
      if (res) {
        showEditors(res.editors);
        showChanged(res);
      }
    }).catch(function () {
      // Offline or the server is away: presence is a hint, try again later.
    }).then(function () {
      busy = false;
    });
  }

  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'hidden') {
      flush();
    }
    beat();
  });
  window.addEventListener('pagehide', function () {
    flush();
    clearTimeout(timer);
    try {
      fetch(presenceURL + '?session=' + encodeURIComponent(session), {
        method: 'DELETE', credentials: 'same-origin', keepalive: true, headers: { 'X-CSRF-Token': csrfToken }
      }).catch(function () {});
    } catch (e) {
      // the heartbeat expires by itself
    }
  });
  window.addEventListener('pageshow', function (ev) {
    if (ev.persisted) {
      beat();
    }
  });

  // ==== Toolbar, dialogs, upload and live preview ====
  //
  // Built here, so that without JavaScript the page is a plain textarea
  // that works the same. Every change the toolbar makes goes through
  // replaceRange, which uses the browser's own editing (execCommand
  // "insertText") so that Ctrl+Z undoes it like typing; where that is not
  // available it falls back to setRangeText with a history of its own.

  var T = {
    nl: {
      toolbar: 'Opmaak', h2: 'Kop', h3: 'Tussenkop', bold: 'Vet', italic: 'Schuin',
      ul: 'Opsomming', ol: 'Genummerde lijst', task: 'Takenlijst', quote: 'Citaat',
      link: 'Link', wikilink: 'Link naar pagina', table: 'Tabel', tableEdit: 'Tabel bewerken',
      upload: 'Afbeelding of bestand', undo: 'Ongedaan maken',
      boldText: 'vetgedrukte tekst', italicText: 'schuine tekst', headingText: 'Kop', itemText: 'item',
      taskText: 'taak', quoteText: 'citaat', linkText: 'linktekst',
      on: '%s aan', off: '%s uit', done: '%s toegevoegd', undone: 'Ongedaan gemaakt',
      ok: 'Invoegen', cancel: 'Annuleren', apply: 'Tabel opslaan in de tekst',
      linkTitle: 'Link invoegen', linkTextLabel: 'Tekst van de link', linkURL: 'Adres (https://…)',
      linkURLBad: 'Vul een adres in dat begint met https:// of http://, of een mailadres.',
      wikiTitle: 'Link naar een pagina van de wiki', wikiPage: 'Pagina (begin te typen)', wikiLabel: 'Tekst van de link (mag leeg)',
      wikiNone: 'Geen pagina gevonden', wikiFound: '%s pagina\'s gevonden. Kies met de pijltjestoetsen.', wikiEmpty: 'Kies of typ een pagina.',
      tableTitle: 'Tabel invoegen', rows: 'Rijen (met de kopregel)', cols: 'Kolommen',
      gridTitle: 'Tabel bewerken', cell: 'Rij %s, kolom %s', header: 'Kopregel, kolom %s',
      addRow: 'Rij toevoegen', addCol: 'Kolom toevoegen', delRow: 'Laatste rij weg', delCol: 'Laatste kolom weg',
      uploadTitle: 'Afbeelding of bestand invoegen', files: 'Kies bestanden', fileName: 'Bestandsnaam',
      alt: 'Beschrijving van de afbeelding (verplicht, voor wie hem niet kan zien)',
      altMissing: 'Beschrijf elke afbeelding: wie hem niet kan zien, leest deze tekst.',
      noFiles: 'Kies eerst een bestand.', uploading: 'Bezig met uploaden van %s…', uploaded: '%s geüpload en ingevoegd',
      uploadFailed: 'Uploaden van %s is mislukt: %s', uploadBtn: 'Uploaden en invoegen',
      preview: 'Voorbeeld', showPreview: 'Toon voorbeeld', previewFailed: 'Het voorbeeld kon niet worden gemaakt.',
      leave: 'Je wijzigingen zijn nog niet opgeslagen.', pastedName: 'afbeelding'
    },
    en: {
      toolbar: 'Formatting', h2: 'Heading', h3: 'Subheading', bold: 'Bold', italic: 'Italic',
      ul: 'Bulleted list', ol: 'Numbered list', task: 'Task list', quote: 'Quote',
      link: 'Link', wikilink: 'Link to page', table: 'Table', tableEdit: 'Edit table',
      upload: 'Image or file', undo: 'Undo',
      boldText: 'bold text', italicText: 'italic text', headingText: 'Heading', itemText: 'item',
      taskText: 'task', quoteText: 'quote', linkText: 'link text',
      on: '%s on', off: '%s off', done: '%s added', undone: 'Undone',
      ok: 'Insert', cancel: 'Cancel', apply: 'Put the table in the text',
      linkTitle: 'Insert a link', linkTextLabel: 'Text of the link', linkURL: 'Address (https://…)',
      linkURLBad: 'Fill in an address starting with https:// or http://, or an e-mail address.',
      wikiTitle: 'Link to a page of the wiki', wikiPage: 'Page (start typing)', wikiLabel: 'Text of the link (optional)',
      wikiNone: 'No page found', wikiFound: '%s pages found. Choose with the arrow keys.', wikiEmpty: 'Choose or type a page.',
      tableTitle: 'Insert a table', rows: 'Rows (with the header row)', cols: 'Columns',
      gridTitle: 'Edit table', cell: 'Row %s, column %s', header: 'Header row, column %s',
      addRow: 'Add row', addCol: 'Add column', delRow: 'Remove last row', delCol: 'Remove last column',
      uploadTitle: 'Insert an image or file', files: 'Choose files', fileName: 'File name',
      alt: 'Description of the image (required, for those who cannot see it)',
      altMissing: 'Describe every image: people who cannot see it read this text.',
      noFiles: 'Choose a file first.', uploading: 'Uploading %s…', uploaded: '%s uploaded and inserted',
      uploadFailed: 'Uploading %s failed: %s', uploadBtn: 'Upload and insert',
      preview: 'Preview', showPreview: 'Show preview', previewFailed: 'The preview could not be made.',
      leave: 'Your changes have not been saved.', pastedName: 'image'
    }
  };
  var L = T[lang.slice(0, 2)] || T.nl;
  function t(key) {
    var args = Array.prototype.slice.call(arguments, 1);
    var i = 0;
    return (L[key] || key).replace(/%s/g, function () { return i < args.length ? String(args[i++]) : ''; });
  }
  var csrfField = form.querySelector('input[name="csrf_token"]');
  function csrf() {
    return (csrfField && csrfField.value) || csrfToken;
  }

  // The polite live region that tells screen reader users what a button did.
  var live = el('p', 'visually-hidden ww-live');
  live.setAttribute('aria-live', 'polite');
  function say(s) {
    live.textContent = '';
    setTimeout(function () { live.textContent = s; }, 30);
  }

  // ---- Editing the text ----

  var ownHistory = [];
  function replaceRange(start, end, str, selStart, selEnd) {
    text.focus();
    text.setSelectionRange(start, end);
    var ok = false;
    try {
      ok = str === '' ? document.execCommand('delete') : document.execCommand('insertText', false, str);
    } catch (e) {
      ok = false;
    }
    if (!ok || text.value.slice(start, start + str.length) !== str) {
      ownHistory.push({ value: text.value, start: start, end: end });
      text.setRangeText(str, start, end, 'end');
      text.dispatchEvent(new Event('input', { bubbles: true }));
    }
    text.setSelectionRange(selStart === undefined ? start + str.length : selStart, selEnd === undefined ? (selStart === undefined ? start + str.length : selStart) : selEnd);
  }

  function insertAtCaret(str) {
    var s = text.selectionStart, e = text.selectionEnd;
    replaceRange(s, e, str);
    return str;
  }

  // block makes str a block of its own: blank lines around it, as one
  // writes Markdown by hand.
  function insertBlock(str) {
    var v = text.value, s = text.selectionStart, e = text.selectionEnd;
    var before = v.slice(0, s), after = v.slice(e);
    var pre = before === '' || /\n\n$/.test(before) ? '' : (/\n$/.test(before) ? '\n' : '\n\n');
    // Only line ends after it: the block ends the text, and needs no blank line.
    var post = /^\n*$/.test(after) ? (after === '' ? '\n' : '') : (/^\n\n/.test(after) ? '' : (/^\n/.test(after) ? '\n' : '\n\n'));
    replaceRange(s, e, pre + str + post, s + pre.length, s + pre.length + str.length);
  }

  function undo() {
    var ok = false;
    text.focus();
    if (ownHistory.length) {
      var h = ownHistory.pop();
      text.value = h.value;
      text.setSelectionRange(h.start, h.end);
      text.dispatchEvent(new Event('input', { bubbles: true }));
      ok = true;
    } else {
      try {
        ok = document.execCommand('undo');
      } catch (e) {
        ok = false;
      }
    }
    if (ok) {
      say(t('undone'));
    }
  }

  // lineRange is the start and end of the whole lines the selection touches.
  function lineRange() {
    var v = text.value;
    var s = v.lastIndexOf('\n', text.selectionStart - 1) + 1;
    var endAt = text.selectionEnd > text.selectionStart && v[text.selectionEnd - 1] === '\n' ? text.selectionEnd - 1 : text.selectionEnd;
    var e = v.indexOf('\n', endAt);
    return [s, e < 0 ? v.length : e];
  }

  // Line kinds: a prefix to put before each line, and the pattern of any
  // line prefix it replaces.
  var anyPrefix = /^(#{1,6} |[-*+] \[[ xX]\] |[-*+] |\d+[.)] |> )/;
  var kinds = {
    h2: { re: /^## /, make: function () { return '## '; }, sample: 'headingText', single: true },
    h3: { re: /^### /, make: function () { return '### '; }, sample: 'headingText', single: true },
    ul: { re: /^[-*+] (?!\[[ xX]\] )/, make: function () { return '- '; }, sample: 'itemText' },
    ol: { re: /^\d+[.)] /, make: function (i) { return (i + 1) + '. '; }, sample: 'itemText' },
    task: { re: /^[-*+] \[[ xX]\] /, make: function () { return '- [ ] '; }, sample: 'taskText' },
    quote: { re: /^> /, make: function () { return '> '; }, sample: 'quoteText' }
  };

  function currentLines() {
    var r = lineRange();
    return text.value.slice(r[0], r[1]).split('\n');
  }

  function lineIs(kind) {
    var lines = currentLines().filter(function (l) { return l.trim() !== ''; });
    return lines.length > 0 && lines.every(function (l) { return kinds[kind].re.test(l); });
  }

  function toggleLines(kind) {
    var k = kinds[kind];
    var r = lineRange();
    var lines = text.value.slice(r[0], r[1]).split('\n');
    var off = lineIs(kind);
    if (lines.length === 1 && lines[0].trim() === '') {
      // An empty line: put the prefix with a sample text, selected so that
      // typing replaces it.
      var p = k.make(0), sample = t(k.sample);
      var line = p + sample;
      if (k.single || kind === 'quote') {
        insertBlock(line);
        var s0 = text.selectionStart;
        text.setSelectionRange(s0 + p.length, s0 + line.length);
      } else {
        replaceRange(r[0], r[1], line, r[0] + p.length, r[0] + line.length);
      }
      say(t('done', t(kind)));
      return;
    }
    var n = 0;
    var out = lines.map(function (l) {
      if (l.trim() === '') {
        return l;
      }
      var rest = l.replace(anyPrefix, '');
      if (off) {
        return rest;
      }
      return k.make(n++) + rest;
    });
    var joined = out.join('\n');
    replaceRange(r[0], r[1], joined, r[0], r[0] + joined.length);
    if (out.length === 1) {
      text.setSelectionRange(r[0] + joined.length, r[0] + joined.length);
    }
    say(t(off ? 'off' : 'on', t(kind)));
  }

  // Inline marks: ** for bold, * for italic.
  var marks = { bold: '**', italic: '*' };
  function markAround(kind) {
    var m = marks[kind], v = text.value, s = text.selectionStart, e = text.selectionEnd;
    var before = v.slice(Math.max(0, s - 3), s), after = v.slice(e, e + 3);
    if (kind === 'italic') {
      // * but not ** (or ***: bold and italic at once)
      return (/(^|[^*])\*$/.test(before) || /\*\*\*$/.test(before)) && (/^\*([^*]|$)/.test(after) || /^\*\*\*/.test(after));
    }
    return /\*\*$/.test(before) && /^\*\*/.test(after);
  }
  function toggleMark(kind) {
    var m = marks[kind], v = text.value, s = text.selectionStart, e = text.selectionEnd;
    if (markAround(kind)) {
      var inner = v.slice(s, e);
      replaceRange(s - m.length, e + m.length, inner, s - m.length, e - m.length);
      say(t('off', t(kind)));
      return;
    }
    var sel = v.slice(s, e);
    // Spaces stay outside the marks: "** vet**" is no bold text.
    var lead = sel.match(/^\s*/)[0], trail = sel.slice(lead.length).match(/\s*$/)[0];
    var core = sel.slice(lead.length, sel.length - trail.length);
    var sample = !core;
    if (sample) {
      core = t(kind + 'Text');
    }
    var str = lead + m + core + m + trail;
    var cs = s + lead.length + m.length;
    replaceRange(s, e, str, cs, cs + core.length);
    say(t('on', t(kind)));
  }

  // ---- Dialogs ----

  function dialog(title, cls) {
    var d = el('dialog', 'ww-dialog ' + (cls || ''));
    var id = 'wwDlg' + Math.random().toString(36).slice(2, 8);
    var h = el('h2', '', title);
    h.id = id;
    d.setAttribute('aria-labelledby', id);
    var f = el('form', '');
    f.method = 'dialog';
    d.appendChild(h);
    d.appendChild(f);
    var status = el('p', 'ww-dialog-status');
    status.setAttribute('role', 'status');
    f.appendChild(status);
    document.body.appendChild(d);
    d.addEventListener('close', function () {
      d.parentNode && d.parentNode.removeChild(d);
    });
    return { dialog: d, form: f, status: status };
  }

  function field(f, label, input, help) {
    var wrap = el('div', 'field');
    var id = 'wwF' + Math.random().toString(36).slice(2, 8);
    var lab = el('label', '', label);
    lab.htmlFor = id;
    input.id = id;
    wrap.appendChild(lab);
    wrap.appendChild(input);
    if (help) {
      var p = el('p', 'help', help);
      p.id = id + 'h';
      input.setAttribute('aria-describedby', p.id);
      wrap.appendChild(p);
    }
    f.insertBefore(wrap, f.querySelector('.ww-dialog-status'));
    return input;
  }

  function input(type, value) {
    var i = el('input', '');
    i.type = type;
    if (value !== undefined) {
      i.value = value;
    }
    return i;
  }

  function buttons(f, okLabel, onOK, d) {
    var b = el('div', 'buttons');
    var ok = el('button', 'ww-ok', okLabel);
    ok.type = 'submit';
    var cancel = el('button', 'secondary ww-cancel', t('cancel'));
    cancel.type = 'button';
    cancel.addEventListener('click', function () { d.close(); });
    b.appendChild(ok);
    b.appendChild(cancel);
    f.appendChild(b);
    f.addEventListener('submit', function (ev) {
      ev.preventDefault();
      onOK();
    });
    return ok;
  }

  // keepSelection remembers the selection while a dialog is open, and
  // puts focus back in the text when it closes (the close event comes
  // later): with the selection as it was when the dialog was cancelled,
  // after what it inserted otherwise.
  function keepSelection(d) {
    var s = text.selectionStart, e = text.selectionEnd, top = text.scrollTop, before = text.value;
    d.addEventListener('close', function () {
      if (document.querySelector('dialog[open]')) {
        return; // another dialog took over
      }
      var after = [text.selectionStart, text.selectionEnd];
      text.focus();
      if (text.value === before) {
        text.setSelectionRange(s, e);
        text.scrollTop = top;
      } else {
        text.setSelectionRange(after[0], after[1]);
      }
    });
    return { start: s, end: e };
  }

  function linkDialog() {
    var D = dialog(t('linkTitle'), 'ww-link-dialog');
    var sel = keepSelection(D.dialog);
    var label = field(D.form, t('linkTextLabel'), input('text', text.value.slice(sel.start, sel.end)));
    var url = field(D.form, t('linkURL'), input('url', ''));
    url.setAttribute('aria-required', 'true');
    buttons(D.form, t('ok'), function () {
      var u = url.value.trim();
      if (/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(u)) {
        u = 'mailto:' + u;
      } else if (/^www\./i.test(u)) {
        u = 'https://' + u;
      }
      if (!/^(https?:\/\/|mailto:)\S+$/i.test(u)) {
        D.status.textContent = t('linkURLBad');
        url.focus();
        return;
      }
      var txt = label.value.trim() || u.replace(/^mailto:/, '');
      var md = '[' + escapeLabel(txt) + '](' + u.replace(/[()\s]/g, encodeURIComponent) + ')';
      D.dialog.close();
      replaceRange(sel.start, sel.end, md);
      say(t('done', t('link')));
    }, D.dialog);
    url.type = 'text';
    url.inputMode = 'url';
    D.dialog.showModal();
    (label.value ? url : label).focus();
  }

  function escapeLabel(s) {
    return s.replace(/([\[\]\\])/g, '\\$1');
  }

  // wikiLinkDialog offers the pages whose title starts with what is typed
  // (the search suggestions), as an ARIA combobox.
  function wikiLinkDialog() {
    var D = dialog(t('wikiTitle'), 'ww-wiki-dialog');
    var sel = keepSelection(D.dialog);
    var q = field(D.form, t('wikiPage'), input('text', ''));
    q.autocomplete = 'off';
    q.setAttribute('role', 'combobox');
    q.setAttribute('aria-autocomplete', 'list');
    q.setAttribute('aria-expanded', 'false');
    var list = el('ul', 'ww-suggest');
    list.id = q.id + 'l';
    list.setAttribute('role', 'listbox');
    list.setAttribute('aria-label', t('wikiPage'));
    list.hidden = true;
    q.setAttribute('aria-controls', list.id);
    q.parentNode.appendChild(list);
    var label = field(D.form, t('wikiLabel'), input('text', text.value.slice(sel.start, sel.end)));
    var options = [], active = -1, seq = 0, timer = 0, holding = false;
    function setActive(i) {
      active = i;
      options.forEach(function (o, j) { o.setAttribute('aria-selected', j === i ? 'true' : 'false'); });
      if (i >= 0) {
        q.setAttribute('aria-activedescendant', options[i].id);
        options[i].scrollIntoView({ block: 'nearest' });
      } else {
        q.removeAttribute('aria-activedescendant');
      }
    }
    function close() {
      list.hidden = true;
      q.setAttribute('aria-expanded', 'false');
      setActive(-1);
    }
    function choose(o) {
      q.value = o.dataset.name;
      close();
    }
    function show(pages) {
      list.textContent = '';
      options = pages.map(function (p, i) {
        var o = el('li', '', p.title && p.title !== p.name ? p.title + ' (' + p.name + ')' : p.name);
        o.id = list.id + i;
        o.setAttribute('role', 'option');
        o.dataset.name = p.name;
        o.addEventListener('mousedown', function (ev) { ev.preventDefault(); choose(o); });
        list.appendChild(o);
        return o;
      });
      list.hidden = !options.length;
      q.setAttribute('aria-expanded', options.length ? 'true' : 'false');
      setActive(-1);
      D.status.textContent = options.length ? t('wikiFound', options.length) : t('wikiNone');
    }
    q.addEventListener('input', function () {
      clearTimeout(timer);
      var v = q.value.trim();
      if (!v) {
        close();
        return;
      }
      timer = setTimeout(function () {
        var my = ++seq;
        fetch('/-/api/search/suggest?q=' + encodeURIComponent(v), { credentials: 'same-origin' })
          .then(function (r) { return r.ok ? r.json() : { pages: [] }; })
          .then(function (res) { if (my === seq) { show(res.pages || []); } })
          .catch(function () { if (my === seq) { show([]); } });
      }, 150);
    });
    q.addEventListener('keydown', function (ev) {
      if (ev.key === 'ArrowDown' && options.length) {
        ev.preventDefault();
        list.hidden = false;
        q.setAttribute('aria-expanded', 'true');
        setActive((active + 1) % options.length);
      } else if (ev.key === 'ArrowUp' && options.length) {
        ev.preventDefault();
        setActive(active <= 0 ? options.length - 1 : active - 1);
      } else if (ev.key === 'Enter' && active >= 0 && !list.hidden) {
        ev.preventDefault();
        // This Enter chooses; the form is not sent until the next one.
        holding = true;
        choose(options[active]);
      } else if (ev.key === 'Escape' && !list.hidden) {
        ev.preventDefault(); // closes the list, not the dialog
        close();
      }
    });
    q.addEventListener('keyup', function () { holding = false; });
    buttons(D.form, t('ok'), function () {
      if (holding) {
        return;
      }
      var name = q.value.trim().replace(/^\/+|\/+$/g, '');
      if (!name) {
        D.status.textContent = t('wikiEmpty');
        q.focus();
        return;
      }
      var lab = label.value.trim();
      var md = '[[' + name + (lab && lab !== name ? '|' + lab : '') + ']]';
      D.dialog.close();
      replaceRange(sel.start, sel.end, md);
      say(t('done', t('wikilink')));
    }, D.dialog);
    D.dialog.showModal();
    q.focus();
  }

  // ---- Tables ----

  function splitRow(line) {
    var s = line.trim().replace(/^\|/, '');
    if (/(^|[^\\])\|$/.test(s)) {
      s = s.slice(0, -1);
    }
    var cells = [], cur = '';
    for (var i = 0; i < s.length; i++) {
      if (s[i] === '\\' && s[i + 1] === '|') {
        cur += '\\|';
        i++;
      } else if (s[i] === '|') {
        cells.push(cur.trim());
        cur = '';
      } else {
        cur += s[i];
      }
    }
    cells.push(cur.trim());
    return cells;
  }
  var delimRow = /^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/;

  // tableAt finds the Markdown table around the caret: {start, end, rows, align}.
  function tableAt() {
    var v = text.value, lines = v.split('\n'), pos = 0, at = -1;
    for (var i = 0; i < lines.length; i++) {
      if (text.selectionStart <= pos + lines[i].length) {
        at = i;
        break;
      }
      pos += lines[i].length + 1;
    }
    if (at < 0 || lines[at].indexOf('|') < 0) {
      return null;
    }
    var a = at, b = at;
    while (a > 0 && lines[a - 1].indexOf('|') >= 0 && lines[a - 1].trim() !== '') {
      a--;
    }
    while (b < lines.length - 1 && lines[b + 1].indexOf('|') >= 0 && lines[b + 1].trim() !== '') {
      b++;
    }
    if (b - a < 1 || !delimRow.test(lines[a + 1])) {
      return null;
    }
    var start = 0;
    for (var j = 0; j < a; j++) {
      start += lines[j].length + 1;
    }
    var end = start;
    for (j = a; j <= b; j++) {
      end += lines[j].length + (j < b ? 1 : 0);
    }
    var align = splitRow(lines[a + 1]).map(function (c) {
      var l = c.charAt(0) === ':', r = c.charAt(c.length - 1) === ':';
      return l && r ? 'center' : r ? 'right' : l ? 'left' : '';
    });
    var rows = [splitRow(lines[a])];
    for (j = a + 2; j <= b; j++) {
      rows.push(splitRow(lines[j]));
    }
    return { start: start, end: end, rows: rows, align: align };
  }

  function width(s) {
    return Array.from(s).length;
  }

  // tableMarkdown writes rows as a GFM table, columns padded to one width.
  function tableMarkdown(rows, align) {
    var cols = rows.reduce(function (n, r) { return Math.max(n, r.length); }, 0);
    var w = [];
    for (var c = 0; c < cols; c++) {
      w[c] = 3;
      rows.forEach(function (r) { w[c] = Math.max(w[c], width(r[c] || '')); });
    }
    function pad(s, c) {
      var n = w[c] - width(s);
      var a = align[c] || '';
      if (a === 'right') {
        return ' '.repeat(n) + s;
      }
      if (a === 'center') {
        return ' '.repeat(Math.floor(n / 2)) + s + ' '.repeat(n - Math.floor(n / 2));
      }
      return s + ' '.repeat(n);
    }
    function line(r) {
      var cells = [];
      for (var c = 0; c < cols; c++) {
        cells.push(pad(r[c] || '', c));
      }
      return '| ' + cells.join(' | ') + ' |';
    }
    var delim = [];
    for (c = 0; c < cols; c++) {
      var a = align[c] || '';
      var d = '-'.repeat(w[c]);
      if (a === 'left' || a === 'center') {
        d = ':' + d.slice(1);
      }
      if (a === 'right' || a === 'center') {
        d = d.slice(0, -1) + ':';
      }
      delim.push(d);
    }
    var out = [line(rows[0]), '| ' + delim.join(' | ') + ' |'];
    for (var i = 1; i < rows.length; i++) {
      out.push(line(rows[i]));
    }
    return out.join('\n');
  }

  function tableDialog() {
    var found = tableAt();
    if (found) {
      gridDialog(found);
      return;
    }
    var D = dialog(t('tableTitle'), 'ww-table-dialog');
    var sel = keepSelection(D.dialog);
    var rows = field(D.form, t('rows'), input('number', '3'));
    var cols = field(D.form, t('cols'), input('number', '3'));
    [rows, cols].forEach(function (i) { i.min = '1'; i.max = '50'; i.required = true; });
    rows.min = '2';
    buttons(D.form, t('ok'), function () {
      var r = Math.min(50, Math.max(2, parseInt(rows.value, 10) || 3));
      var c = Math.min(20, Math.max(1, parseInt(cols.value, 10) || 3));
      var grid = [];
      for (var i = 0; i < r; i++) {
        grid.push(new Array(c).fill(''));
      }
      D.dialog.close();
      gridDialog({ start: sel.start, end: sel.end, rows: grid, align: [], insert: true });
    }, D.dialog);
    D.dialog.showModal();
    rows.focus();
  }

  // gridDialog edits a table as a grid of fields and writes it back.
  function gridDialog(tbl) {
    var D = dialog(t('gridTitle'), 'ww-grid-dialog');
    keepSelection(D.dialog);
    var data = tbl.rows.map(function (r) { return r.slice(); });
    var cols = data.reduce(function (n, r) { return Math.max(n, r.length); }, 0);
    var wrap = el('div', 'ww-grid-wrap');
    var grid = el('table', 'ww-grid');
    wrap.appendChild(grid);
    D.form.insertBefore(wrap, D.status);
    function read() {
      var inputs = grid.querySelectorAll('input');
      for (var k = 0; k < inputs.length; k++) {
        data[+inputs[k].dataset.r][+inputs[k].dataset.c] = inputs[k].value;
      }
    }
    function draw() {
      grid.textContent = '';
      data.forEach(function (r, i) {
        var tr = el('tr', i === 0 ? 'ww-grid-head' : '');
        for (var c = 0; c < cols; c++) {
          var td = el(i === 0 ? 'th' : 'td', '');
          var inp = input('text', (r[c] || '').replace(/\\\|/g, '|'));
          inp.dataset.r = i;
          inp.dataset.c = c;
          inp.setAttribute('aria-label', i === 0 ? t('header', c + 1) : t('cell', i, c + 1));
          td.appendChild(inp);
          tr.appendChild(td);
        }
        grid.appendChild(tr);
      });
    }
    draw();
    var tools = el('div', 'buttons ww-grid-tools');
    [['addRow', function () { data.push(new Array(cols).fill('')); }],
      ['addCol', function () { cols++; data.forEach(function (r) { r.push(''); }); }],
      ['delRow', function () { if (data.length > 2) { data.pop(); } }],
      ['delCol', function () { if (cols > 1) { cols--; data.forEach(function (r) { r.length = Math.min(r.length, cols); }); } }]
    ].forEach(function (a) {
      var b = el('button', 'secondary', t(a[0]));
      b.type = 'button';
      b.addEventListener('click', function () {
        read();
        a[1]();
        draw();
        say(t(a[0]));
      });
      tools.appendChild(b);
    });
    D.form.insertBefore(tools, D.status);
    buttons(D.form, t('apply'), function () {
      read();
      var rows = data.map(function (r) {
        var out = [];
        for (var c = 0; c < cols; c++) {
          out.push((r[c] || '').replace(/\s*\n\s*/g, ' ').trim().replace(/(^|[^\\])\|/g, '$1\\|'));
        }
        return out;
      });
      var md = tableMarkdown(rows, tbl.align || []);
      D.dialog.close();
      if (tbl.insert) {
        text.setSelectionRange(tbl.start, tbl.end);
        insertBlock(md);
        text.setSelectionRange(text.selectionEnd, text.selectionEnd);
      } else {
        replaceRange(tbl.start, tbl.end, md, tbl.start, tbl.start);
      }
      say(t('done', t('table')));
    }, D.dialog);
    D.dialog.showModal();
    grid.querySelector('input').focus();
  }

  // ---- Upload ----
  //
  // A file is stored in the page's folder (Page/x.png) and linked as a
  // clone shows it: relative to the folder of Page.md, so "Page/x.png"
  // with the last segment of the page's name.

  var pageLeaf = page.split('/').pop();
  function linkPath(fileName) {
    return [pageLeaf, fileName].map(function (s) {
      return s.replace(/[%\s()<>\[\]#?]/g, function (c) { return encodeURIComponent(c); });
    }).join('/');
  }
  function cleanName(n) {
    n = (n || '').split(/[\\/]/).pop().normalize('NFC').replace(/[\u0000-\u001f\u007f]/g, '').replace(/\s+/g, '-').replace(/^[.-]+/, '');
    return n || 'bestand';
  }
  function isImage(f) {
    return /^image\/(png|jpeg|gif|webp)$/.test(f.type) || /\.(png|jpe?g|gif|webp)$/i.test(f.name || '');
  }
  function extFor(f) {
    var m = /^image\/(png|jpeg|gif|webp)$/.exec(f.type || '');
    return m ? '.' + (m[1] === 'jpeg' ? 'jpg' : m[1]) : '';
  }

  function putFile(name, file) {
    var path = page.split('/').concat([name]).map(encodeURIComponent).join('/');
    return fetch('/-/api/files/' + path + '?base=', {
      method: 'PUT',
      credentials: 'same-origin',
      headers: { 'Content-Type': file.type || 'application/octet-stream', 'X-CSRF-Token': csrf() },
      body: file
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        return { status: r.status, body: j };
      });
    });
  }

  // upload stores a file under name; a name already taken gets "-2", "-3"…
  function upload(name, file, n) {
    var tryName = n ? name.replace(/(\.[^.]*)?$/, '-' + n + '$1') : name;
    return putFile(tryName, file).then(function (res) {
      if (res.status === 409 && (n || 1) < 20) {
        return upload(name, file, (n || 1) + 1);
      }
      if (res.status !== 200 && res.status !== 201) {
        throw new Error(res.body.error || String(res.status));
      }
      return (res.body.path || tryName).split('/').pop();
    });
  }

  // openUploadDialog asks for the files' names and alt texts, uploads them
  // and resolves to the Markdown of the links ("" when cancelled). With
  // options.insert it also inserts that at the caret, as a block of its
  // own for images (and not when the textarea is hidden: visual mode).
  function openUploadDialog(files, options) {
    options = options || {};
    return new Promise(function (resolve) {
      var D = dialog(t('uploadTitle'), 'ww-upload-dialog');
      var sel = keepSelection(D.dialog);
      var result = '';
      var picker = field(D.form, t('files'), input('file'));
      picker.multiple = true;
      var list = el('div', 'ww-upload-list');
      D.form.insertBefore(list, D.status);
      var chosen = [];
      function addFiles(fs) {
        Array.prototype.forEach.call(fs || [], function (f) {
          var box = el('fieldset', 'ww-upload-file');
          var legend = el('legend', '', f.name || t('upload'));
          box.appendChild(legend);
          var name = cleanName(f.name || '');
          // A pasted image is called "image.png" by the browser: give it
          // the word in the page's language; a taken name gets "-2".
          if (/^image\.png$/i.test(name) || name === 'bestand') {
            name = t('pastedName') + (extFor(f) || '.png');
          } else if (!/\.[A-Za-z0-9]+$/.test(name)) {
            name += extFor(f);
          }
          var item = { file: f, name: input('text', name), alt: null };
          box.appendChild(fieldIn(t('fileName'), item.name));
          item.name.setAttribute('aria-required', 'true');
          if (isImage(f)) {
            item.alt = input('text', '');
            item.alt.setAttribute('aria-required', 'true');
            item.alt.className = 'ww-alt';
            box.appendChild(fieldIn(t('alt'), item.alt));
          }
          list.appendChild(box);
          chosen.push(item);
        });
      }
      function fieldIn(label, inp) {
        var w = el('div', 'field');
        var id = 'wwU' + Math.random().toString(36).slice(2, 8);
        var l = el('label', '', label);
        l.htmlFor = id;
        inp.id = id;
        w.appendChild(l);
        w.appendChild(inp);
        return w;
      }
      picker.addEventListener('change', function () { addFiles(picker.files); });
      addFiles(files);
      var ok = buttons(D.form, t('uploadBtn'), function () {
        if (!chosen.length) {
          D.status.textContent = t('noFiles');
          picker.focus();
          return;
        }
        var missing = chosen.filter(function (c) { return c.alt && !c.alt.value.trim(); });
        chosen.forEach(function (c) { c.alt && c.alt.setAttribute('aria-invalid', c.alt.value.trim() ? 'false' : 'true'); });
        if (missing.length) {
          D.status.textContent = t('altMissing');
          missing[0].alt.focus();
          return;
        }
        ok.disabled = true;
        var links = [];
        var chain = Promise.resolve();
        chosen.forEach(function (c) {
          chain = chain.then(function () {
            var name = cleanName(c.name.value.trim());
            D.status.textContent = t('uploading', name);
            return upload(name, c.file).then(function (stored) {
              var p = linkPath(stored);
              links.push(c.alt ? '![' + escapeLabel(c.alt.value.trim().replace(/\s+/g, ' ')) + '](' + p + ')' : '[' + escapeLabel(stored) + '](' + p + ')');
            });
          });
        });
        chain.then(function () {
          result = links.join('\n\n');
          D.dialog.close();
          var visible = text.offsetParent !== null;
          if (options.insert && visible) {
            text.setSelectionRange(sel.start, sel.end);
            if (links.length === 1 && !chosen[0].alt) {
              replaceRange(sel.start, sel.end, result);
            } else {
              insertBlock(result);
              text.setSelectionRange(text.selectionEnd, text.selectionEnd);
            }
          }
          say(t('uploaded', links.length));
        }).catch(function (err) {
          ok.disabled = false;
          D.status.textContent = t('uploadFailed', chosen.map(function (c) { return c.name.value; }).join(', '), err.message);
        });
      }, D.dialog);
      D.dialog.addEventListener('close', function () { resolve(result); });
      D.dialog.showModal();
      var firstAlt = list.querySelector('.ww-alt');
      (firstAlt || (chosen.length ? list.querySelector('input') : picker)).focus();
    });
  }

  function imageFiles(dt) {
    return Array.prototype.filter.call((dt && dt.files) || [], function () { return true; });
  }
  // Pasted image files without HTML are uploaded here; this listener is on
  // the form's capture phase so that it runs before paste.js's, which
  // turns pasted HTML (and the images in it) into Markdown.
  form.addEventListener('paste', function (ev) {
    var dt = ev.clipboardData;
    if (ev.target !== text || !dt || Array.prototype.indexOf.call(dt.types || [], 'text/html') >= 0) {
      return;
    }
    var fs = imageFiles(dt).filter(isImage);
    if (!fs.length) {
      return;
    }
    ev.preventDefault();
    ev.stopPropagation();
    openUploadDialog(fs, { insert: true });
  }, true);
  text.addEventListener('dragover', function (ev) {
    if (ev.dataTransfer && Array.prototype.indexOf.call(ev.dataTransfer.types || [], 'Files') >= 0) {
      ev.preventDefault();
      text.classList.add('ww-drop');
    }
  });
  text.addEventListener('dragleave', function () { text.classList.remove('ww-drop'); });
  text.addEventListener('drop', function (ev) {
    text.classList.remove('ww-drop');
    var fs = imageFiles(ev.dataTransfer);
    if (!fs.length) {
      return;
    }
    ev.preventDefault();
    openUploadDialog(fs, { insert: true });
  });

  // ---- The toolbar ----

  var bar = el('div', 'ww-toolbar');
  bar.setAttribute('role', 'toolbar');
  bar.setAttribute('aria-label', t('toolbar'));
  bar.setAttribute('aria-controls', 'wwText');
  var items = [
    ['h2', 'H2', function () { toggleLines('h2'); }, true],
    ['h3', 'H3', function () { toggleLines('h3'); }, true],
    ['bold', 'B', function () { toggleMark('bold'); }, true, 'Ctrl+B'],
    ['italic', 'I', function () { toggleMark('italic'); }, true, 'Ctrl+I'],
    ['ul', '•', function () { toggleLines('ul'); }, true],
    ['ol', '1.', function () { toggleLines('ol'); }, true],
    ['task', '☐', function () { toggleLines('task'); }, true],
    ['quote', '❝', function () { toggleLines('quote'); }, true],
    ['link', '↗', linkDialog, false, 'Ctrl+K'],
    ['wikilink', '[[ ]]', wikiLinkDialog, false],
    ['table', '▦', tableDialog, false],
    ['upload', '▣', function () { openUploadDialog([], { insert: true }); }, false],
    ['undo', '↶', undo, false, 'Ctrl+Z']
  ];
  var btns = items.map(function (it, i) {
    var b = el('button', 'ww-tb-' + it[0]);
    b.type = 'button';
    b.dataset.cmd = it[0];
    var icon = el('span', 'ww-icon', it[1]);
    icon.setAttribute('aria-hidden', 'true');
    var lab = el('span', 'ww-label', t(it[0]));
    b.appendChild(icon);
    b.appendChild(lab);
    if (it[4]) {
      b.setAttribute('aria-keyshortcuts', it[4].replace('Ctrl', 'Control'));
      b.title = t(it[0]) + ' (' + it[4] + ')';
    }
    if (it[3]) {
      b.setAttribute('aria-pressed', 'false');
    }
    b.tabIndex = i === 0 ? 0 : -1;
    b.addEventListener('mousedown', function (ev) { ev.preventDefault(); }); // keep the text's selection
    b.addEventListener('click', function () {
      focusButton(i, false);
      it[2]();
      updateState();
    });
    bar.appendChild(b);
    return b;
  });
  function focusButton(i, move) {
    btns.forEach(function (b, j) { b.tabIndex = j === i ? 0 : -1; });
    if (move) {
      btns[i].focus();
    }
  }
  bar.addEventListener('keydown', function (ev) {
    var i = btns.indexOf(document.activeElement);
    if (i < 0) {
      return;
    }
    var n = btns.length, to = -1;
    switch (ev.key) {
      case 'ArrowRight': case 'ArrowDown': to = (i + 1) % n; break;
      case 'ArrowLeft': case 'ArrowUp': to = (i - 1 + n) % n; break;
      case 'Home': to = 0; break;
      case 'End': to = n - 1; break;
      case 'Escape': ev.preventDefault(); text.focus(); return;
      default: return;
    }
    ev.preventDefault();
    focusButton(to, true);
  });
  function updateState() {
    btns.forEach(function (b) {
      var c = b.dataset.cmd;
      if (!b.hasAttribute('aria-pressed')) {
        return;
      }
      var on = kinds[c] ? lineIs(c) : markAround(c);
      if (b.getAttribute('aria-pressed') !== String(on)) {
        b.setAttribute('aria-pressed', String(on));
      }
    });
    var inTable = !!tableAt();
    btns[10].querySelector('.ww-label').textContent = t(inTable ? 'tableEdit' : 'table');
  }
  ['keyup', 'mouseup', 'input', 'focus'].forEach(function (e) { text.addEventListener(e, updateState); });

  var field0 = text.closest('.field') || text.parentNode;
  field0.insertBefore(bar, text);
  field0.insertBefore(live, text);

  // ---- Shortcuts ----

  var saveButton = form.querySelector('button[name="action"][value="save"]');
  function save() {
    if (saveButton && form.requestSubmit) {
      form.requestSubmit(saveButton);
    } else if (saveButton) {
      saveButton.click();
    }
  }
  // Enter in a list item starts the next item; Enter on an empty item
  // ends the list, as in a word processor. Where the key's line break
  // still arrives as an input of its own, it is dropped.
  var swallowBreak = false;
  text.addEventListener('beforeinput', function (ev) {
    if (swallowBreak && (ev.inputType === 'insertLineBreak' || ev.inputType === 'insertParagraph')) {
      ev.preventDefault();
      swallowBreak = false;
    }
  });
  text.addEventListener('keyup', function () { swallowBreak = false; });
  text.addEventListener('keydown', function (ev) {
    if (ev.key !== 'Enter' || ev.shiftKey || ev.ctrlKey || ev.metaKey || ev.altKey || ev.isComposing || text.selectionStart !== text.selectionEnd) {
      return;
    }
    var v = text.value, pos = text.selectionStart;
    var ls = v.lastIndexOf('\n', pos - 1) + 1, le = v.indexOf('\n', pos);
    le = le < 0 ? v.length : le;
    if (pos !== le) {
      return;
    }
    var m = /^(\s*)([-*+] \[[ xX]\] |[-*+] |(\d+)([.)]) |> )/.exec(v.slice(ls, le));
    if (!m) {
      return;
    }
    ev.preventDefault();
    swallowBreak = true;
    if (v.slice(ls, le) === m[0]) {
      replaceRange(ls, le, '');
      return;
    }
    var next = m[3] ? (parseInt(m[3], 10) + 1) + m[4] + ' ' : m[2].replace(/\[[xX]\]/, '[ ]');
    replaceRange(pos, pos, '\n' + m[1] + next);
  });
  text.addEventListener('keydown', function (ev) {
    if (!(ev.ctrlKey || ev.metaKey) || ev.altKey) {
      return;
    }
    var k = ev.key.toLowerCase();
    var f = { b: function () { toggleMark('bold'); }, i: function () { toggleMark('italic'); }, k: linkDialog }[k];
    if (f && !ev.shiftKey) {
      ev.preventDefault();
      f();
      updateState();
    }
  });
  form.addEventListener('keydown', function (ev) {
    if ((ev.ctrlKey || ev.metaKey) && !ev.altKey && (ev.key.toLowerCase() === 's' || ev.key === 'Enter')) {
      ev.preventDefault();
      save();
    }
  });

  // ---- Live preview ----

  var split = null, pane = null, paneBody = null, toggle = null;
  if (!form.querySelector('#wwCurrent')) {
    split = el('div', 'ww-split');
    field0.parentNode.insertBefore(split, field0);
    split.appendChild(field0);
    pane = el('section', 'ww-preview');
    pane.id = 'wwLivePreview';
    var ph = el('h2', '', t('preview'));
    ph.id = 'wwLivePreviewTitle';
    pane.setAttribute('aria-labelledby', ph.id);
    paneBody = el('div', 'markdown');
    pane.appendChild(ph);
    pane.appendChild(paneBody);
    split.appendChild(pane);
    toggle = el('button', 'secondary ww-preview-toggle', t('showPreview'));
    toggle.type = 'button';
    toggle.setAttribute('aria-expanded', 'false');
    toggle.setAttribute('aria-controls', pane.id);
    split.insertBefore(toggle, pane);
    toggle.addEventListener('click', function () {
      var open = !split.classList.contains('ww-show-preview');
      split.classList.toggle('ww-show-preview', open);
      toggle.setAttribute('aria-expanded', String(open));
      if (open) {
        refresh();
      }
    });
  }
  var wide = window.matchMedia('(min-width: 1100px)');
  function previewShown() {
    return !!pane && (wide.matches || split.classList.contains('ww-show-preview'));
  }
  var previewTimer = 0, previewSeq = 0, shownText = null;
  function refresh() {
    clearTimeout(previewTimer);
    if (!previewShown() || text.value === shownText) {
      return;
    }
    var my = ++previewSeq, sent = text.value;
    var body = new URLSearchParams();
    body.set('content', sent);
    body.set('page', page);
    body.set('csrf_token', csrf());
    fetch('/-/preview', {
      method: 'POST', credentials: 'same-origin', body: body,
      headers: { 'X-CSRF-Token': csrf() }
    }).then(function (r) {
      if (!r.ok) {
        throw new Error(String(r.status));
      }
      return r.text();
    }).then(function (html) {
      if (my === previewSeq) {
        // The server renders without raw HTML and sanitises the result.
        paneBody.innerHTML = html;
        shownText = sent;
        pane.dataset.updated = String(my);
      }
    }).catch(function () {
      if (my === previewSeq) {
        paneBody.textContent = t('previewFailed');
      }
    });
  }
  if (pane) {
    text.addEventListener('input', function () {
      clearTimeout(previewTimer);
      previewTimer = setTimeout(refresh, 400);
    });
    if (wide.addEventListener) {
      wide.addEventListener('change', refresh);
    }
    refresh();
  }

  // ---- Caret, scroll and leaving ----

  var caretKey = 'wikiwerk:caret:' + page;
  var saving = false;
  form.addEventListener('submit', function (ev) {
    saving = true;
    try {
      sessionStorage.setItem(caretKey, JSON.stringify({
        start: text.selectionStart, end: text.selectionEnd, scroll: text.scrollTop, win: window.scrollY,
        action: ev.submitter ? ev.submitter.value : ''
      }));
    } catch (e) {
      // the caret starts at the top then
    }
  });
  try {
    var caret = JSON.parse(sessionStorage.getItem(caretKey) || 'null');
    sessionStorage.removeItem(caretKey);
    if (caret && form.dataset.kept && caret.end <= text.value.length) {
      text.focus({ preventScroll: true });
      text.setSelectionRange(caret.start, caret.end);
      text.scrollTop = caret.scroll || 0;
      if (caret.action === 'preview') {
        window.scrollTo(0, caret.win || 0);
      }
    }
  } catch (e) {
    // nothing kept
  }
  var openedForm = new URLSearchParams(new FormData(form)).toString();
  // Leaving with unsaved changes: they are kept as a draft, offered the
  // next time the editor opens. Only when that cannot be done (storage
  // full or switched off) does the browser ask whether to leave; asking
  // every time would also stop a reload that loses nothing.
  window.addEventListener('beforeunload', function (ev) {
    if (saving || (text.value === opened && new URLSearchParams(new FormData(form)).toString() === openedForm)) {
      return;
    }
    // The text is kept as a draft as well, so that a crash or a closed
    // tab loses nothing; the question is for someone who meant to save.
    if (text.value !== opened) {
      storeDraft(false);
    }
    ev.preventDefault();
    ev.returnValue = t('leave');
    return t('leave');
  });

  // visual.js switches between the text and a visual editor; the
  // Markdown toolbar belongs to the text.
  form.addEventListener('wikiwerk:mode', function () {
    bar.hidden = form.dataset.mode === 'visual';
  });

  window.wikiwerkEditor = {
    textarea: text,
    toolbar: bar,
    insertAtCaret: insertAtCaret,
    insertBlock: insertBlock,
    replaceRange: replaceRange,
    openUploadDialog: openUploadDialog,
    refreshPreview: refresh,
    say: say
  };
  document.dispatchEvent(new CustomEvent('wikiwerk:editor-ready', { detail: window.wikiwerkEditor }));

  beat();
  form.dataset.editorReady = 'true';
})();
