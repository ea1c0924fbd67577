// search.js: extras for finding pages. Everything here is optional: without
// JavaScript the header's field is a plain search form and the filter of
// "All pages" a form with a button; both work the same.
//
// - Jump to a page: typing in the header's search field offers page titles
//   from /-/api/search/suggest, as an ARIA 1.2 combobox with a listbox.
//   Arrow keys move through them, Enter opens the highlighted page (or,
//   when what is typed is exactly a page's title or name, that page) and
//   otherwise searches, Escape closes the list. A live region says how many
//   pages were found.
// - "All pages": typing in the filter hides the pages that do not match,
//   at once, keeping the folders above the ones that do.
//
// The translated texts come from data- attributes that the server sets.
(function () {
  'use strict';

  var form = document.querySelector('form.site-search');
  var field = form && form.querySelector('input[name="q"]');
  if (form && field && window.fetch) {
    combobox(form, field);
  }
  var filter = document.querySelector('input[data-tree]');
  if (filter) {
    treeFilter(filter);
  }

  // pageURL is a page's address, each segment escaped.
  function pageURL(name) {
    return '/' + name.split('/').map(encodeURIComponent).join('/');
  }

  // fold lowercases and takes accents off, as the server's filter does.
  function fold(s) {
    return s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
  }

  function combobox(form, input) {
    var listID = 'wwSearchList';
    var list = document.createElement('ul');
    list.id = listID;
    list.className = 'suggestions';
    list.setAttribute('role', 'listbox');
    list.setAttribute('aria-label', form.dataset.msgList || '');
    list.hidden = true;
    var live = document.createElement('div');
    live.className = 'visually-hidden';
    live.setAttribute('role', 'status');
    live.setAttribute('aria-live', 'polite');
    form.appendChild(list);
    form.appendChild(live);
    form.classList.add('has-suggestions');
    input.setAttribute('role', 'combobox');
    input.setAttribute('aria-autocomplete', 'list');
    input.setAttribute('aria-expanded', 'false');
    input.setAttribute('aria-controls', listID);

    var pages = [];   // the suggestions shown
    var active = -1;  // the highlighted one
    var timer = 0;
    var seq = 0;      // answers to older requests are dropped
    var asked = null; // the text the suggestions are for
    var controller = null;
    var leaving = false; // a page was chosen: the form must not search

    function isOpen() {
      return !list.hidden;
    }

    function open() {
      if (pages.length) {
        list.hidden = false;
        input.setAttribute('aria-expanded', 'true');
      }
    }

    function close() {
      highlight(-1);
      list.hidden = true;
      input.setAttribute('aria-expanded', 'false');
    }

    function highlight(i) {
      var options = list.children;
      if (active >= 0 && options[active]) {
        options[active].setAttribute('aria-selected', 'false');
      }
      active = i;
      if (i >= 0 && options[i]) {
        options[i].setAttribute('aria-selected', 'true');
        input.setAttribute('aria-activedescendant', options[i].id);
        if (options[i].scrollIntoView) {
          options[i].scrollIntoView({block: 'nearest'});
        }
      } else {
        input.removeAttribute('aria-activedescendant');
      }
    }

    function announce(n) {
      var msg = n === 0 ? form.dataset.msgNone : n === 1 ? form.dataset.msgOne : (form.dataset.msgMany || '').replace('%s', String(n));
      live.textContent = msg || '';
    }

    function show(found) {
      pages = found;
      active = -1;
      input.removeAttribute('aria-activedescendant');
      list.textContent = '';
      found.forEach(function (p, i) {
        var li = document.createElement('li');
        li.id = 'wwSearchOption' + i;
        li.setAttribute('role', 'option');
        li.setAttribute('aria-selected', 'false');
        var title = document.createElement('span');
        title.className = 'suggestion-title';
        title.textContent = p.title;
        li.appendChild(title);
        if (p.name !== p.title) {
          var name = document.createElement('span');
          name.className = 'suggestion-name';
          name.textContent = p.name;
          li.appendChild(name);
        }
        // The field keeps the focus while the pointer chooses.
        li.addEventListener('mousedown', function (ev) { ev.preventDefault(); });
        li.addEventListener('click', function () { go(i); });
        list.appendChild(li);
      });
      if (found.length) {
        open();
      } else {
        close();
      }
      announce(found.length);
    }

    function go(i) {
      var p = pages[i];
      if (p) {
        leaving = true;
        close();
        location.href = p.url || pageURL(p.name);
      }
    }

    // exact returns the suggestion whose title or name is what is typed.
    function exact() {
      var typed = fold(input.value.trim());
      for (var i = 0; i < pages.length; i++) {
        if (fold(pages[i].title) === typed || fold(pages[i].name) === typed) {
          return i;
        }
      }
      return -1;
    }

    function suggest() {
      var q = input.value.trim();
      if (q === asked) {
        open();
        return;
      }
      asked = q;
      var mine = ++seq;
      if (controller) {
        controller.abort();
      }
      if (!q) {
        show([]);
        live.textContent = '';
        return;
      }
      controller = window.AbortController ? new AbortController() : null;
      fetch('/-/api/search/suggest?q=' + encodeURIComponent(q), {
        credentials: 'same-origin',
        headers: {Accept: 'application/json'},
        signal: controller ? controller.signal : undefined
      }).then(function (resp) {
        if (!resp.ok) {
          throw new Error('suggest: ' + resp.status);
        }
        return resp.json();
      }).then(function (body) {
        if (mine === seq && document.activeElement === input) {
          show(body.pages || []);
        }
      }).catch(function () {
        // No suggestions (search off, offline): the form still searches.
        if (mine === seq) {
          asked = null;
        }
      });
    }

    input.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(suggest, 120);
    });
    input.addEventListener('keydown', function (ev) {
      if (ev.altKey && ev.key === 'ArrowDown') {
        ev.preventDefault();
        open();
        return;
      }
      switch (ev.key) {
      case 'ArrowDown':
        ev.preventDefault();
        if (!isOpen()) {
          if (pages.length) {
            open();
          } else {
            suggest();
          }
          return;
        }
        highlight(active + 1 >= pages.length ? 0 : active + 1);
        break;
      case 'ArrowUp':
        ev.preventDefault();
        if (!isOpen()) {
          open();
        }
        if (pages.length) {
          highlight(active <= 0 ? pages.length - 1 : active - 1);
        }
        break;
      case 'Enter':
        if (isOpen() && active >= 0) {
          ev.preventDefault();
          go(active);
          return;
        }
        var i = exact();
        if (i >= 0) {
          ev.preventDefault();
          go(i);
        }
        // Otherwise the form searches.
        break;
      case 'Escape':
        if (isOpen()) {
          ev.preventDefault();
          close();
        }
        break;
      }
    });
    // Enter's keydown is where a page is chosen; some browsers (and
    // tools) submit the form from the key's keypress all the same.
    form.addEventListener('submit', function (ev) {
      if (leaving) {
        ev.preventDefault();
      }
    });
    // Back to this page from the one chosen (the back/forward cache
    // keeps the page as it was): searching works again.
    window.addEventListener('pageshow', function () {
      leaving = false;
    });
    input.addEventListener('blur', close);
    input.addEventListener('focus', function () {
      if (input.value.trim() === asked) {
        open();
      }
    });
  }

  function treeFilter(input) {
    var tree = document.getElementById(input.dataset.tree);
    var count = document.getElementById('wwFilterCount');
    if (!tree) {
      return;
    }
    var items = tree.querySelectorAll('li[data-filter]');
    var timer = 0;
    function apply() {
      var f = fold(input.value.trim());
      var shown = 0;
      // Children come after their parents: going backwards, a folder
      // knows whether something inside it is shown.
      for (var i = items.length - 1; i >= 0; i--) {
        var li = items[i];
        var own = f === '' || li.dataset.filter.indexOf(f) >= 0;
        var inside = !!li.querySelector(':scope > ul > li:not([hidden])');
        li.hidden = !own && !inside;
        if (own && li.querySelector(':scope > a')) {
          shown++;
        }
      }
      if (count) {
        var msg = f === '' ? count.dataset.msgAll : shown === 1 ? count.dataset.msgOne : count.dataset.msgSome;
        count.textContent = (msg || '').replace('%s', String(shown));
      }
    }
    input.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(apply, 80);
    });
  }
})();
