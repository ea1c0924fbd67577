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

  function storeDraft(submitted) {
    clearTimeout(typing);
    typing = 0;
    try {
      localStorage.setItem(draftKey, JSON.stringify({
        text: text.value, base: baseField.value, time: Date.now(), submitted: submitted
      }));
    } catch (e) {
      // Storage full or switched off: the editor works without drafts.
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

  beat();
  form.dataset.editorReady = 'true';
})();
