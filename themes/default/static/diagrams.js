// Diagrams and formulas. The renderer writes ```mermaid blocks as
// <pre class="mermaid-source"> and TeX as .math-inline / .math-display,
// all as escaped source, so that a page reads well without JavaScript.
// This script loads the vendored libraries only on pages that need them
// and turns the source into pictures, within the Content-Security-Policy:
// no inline script or style, nothing from another site.
//
// Formulas: katex.render builds DOM nodes and sets styles through the
// CSSOM, which style-src 'self' allows (renderToString's style attributes
// would be blocked). Diagrams: mermaid draws an SVG with a <style> in it,
// which the CSP would block in the page; the SVG is shown as an <img> from a
// blob: URL instead, where it can run nothing at all, and the source stays
// on the page, in a <details>, as the text alternative.
(function () {
  'use strict';

  var base = '/-/static/';
  var messages = {
    nl: {
      alt: 'Diagram; de brontekst staat eronder.',
      source: 'Brontekst van het diagram',
      failed: 'Dit diagram kon niet worden getekend; de brontekst staat hieronder.'
    },
    en: {
      alt: 'Diagram; its source follows below.',
      source: 'Diagram source',
      failed: 'This diagram could not be drawn; its source is shown below.'
    }
  };

  function text(key) {
    var lang = (document.documentElement.lang || 'nl').slice(0, 2);
    return (messages[lang] || messages.nl)[key];
  }

  function addStylesheet(href) {
    if (document.querySelector('link[href="' + href + '"]')) return;
    var link = document.createElement('link');
    link.rel = 'stylesheet';
    link.href = href;
    document.head.appendChild(link);
  }

  // loadScript resolves once src has run; it is added once per page.
  var loading = {};
  function loadScript(src) {
    if (!loading[src]) {
      loading[src] = new Promise(function (resolve, reject) {
        var s = document.createElement('script');
        s.src = src;
        s.onload = resolve;
        s.onerror = function () { reject(new Error('cannot load ' + src)); };
        document.head.appendChild(s);
      });
    }
    return loading[src];
  }

  function typesetFormulas(nodes) {
    addStylesheet(base + 'vendor/katex/katex.min.css');
    return loadScript(base + 'vendor/katex/katex.min.js').then(function () {
      nodes.forEach(function (el) {
        var tex = el.textContent;
        // katex.render replaces the content with DOM nodes; the TeX is
        // kept for copying, and KaTeX's MathML is read by screen readers.
        // Errors are caught here rather than with throwOnError: false,
        // whose error span sets a style attribute the CSP blocks; a
        // formula KaTeX cannot read stays as its TeX, marked.
        try {
          window.katex.render(tex, el, {
            throwOnError: true,
            displayMode: el.classList.contains('math-display')
          });
        } catch (e) {
          el.textContent = tex;
          el.classList.add('math-error');
          el.title = String(e && e.message || e);
        }
        el.setAttribute('data-tex', tex);
      });
    });
  }

  // svgSize reads the width and height of the viewBox of an SVG document
  // given as text, for the <img> to keep its proportions.
  function svgSize(svg) {
    var m = /viewBox="\s*[-\d.]+[\s,]+[-\d.]+[\s,]+([\d.]+)[\s,]+([\d.]+)\s*"/.exec(svg);
    return m ? { width: Math.ceil(+m[1]), height: Math.ceil(+m[2]) } : null;
  }

  function drawDiagrams(blocks) {
    return loadScript(base + 'vendor/mermaid/mermaid.min.js').then(function () {
      var mermaid = window.mermaid;
      mermaid.initialize({
        startOnLoad: false,
        securityLevel: 'strict',
        htmlLabels: false,
        flowchart: { htmlLabels: false }
      });
      var chain = Promise.resolve();
      blocks.forEach(function (pre, i) {
        chain = chain.then(function () { return drawDiagram(mermaid, pre, i); });
      });
      return chain;
    });
  }

  // drawDiagram puts pre (the source) in a figure with the drawn diagram
  // above it, as an image; a diagram that fails leaves a notice instead.
  function drawDiagram(mermaid, pre, i) {
    var source = pre.textContent;
    var figure = document.createElement('figure');
    figure.className = 'mermaid-figure';
    pre.parentNode.insertBefore(figure, pre);
    var details = document.createElement('details');
    var summary = document.createElement('summary');
    summary.textContent = text('source');
    details.appendChild(summary);
    details.appendChild(pre);
    return mermaid.render('wikiwerk-diagram-' + i, source).then(function (result) {
      var img = document.createElement('img');
      img.className = 'mermaid-diagram';
      img.alt = text('alt');
      var size = svgSize(result.svg);
      if (size) {
        img.width = size.width;
        img.height = size.height;
      }
      img.src = URL.createObjectURL(new Blob([result.svg], { type: 'image/svg+xml' }));
      figure.appendChild(img);
      figure.appendChild(details);
    }, function () {
      var note = document.createElement('p');
      note.className = 'mermaid-failed';
      note.textContent = text('failed');
      figure.appendChild(note);
      details.open = true;
      figure.appendChild(details);
    });
  }

  function start() {
    var math = Array.prototype.slice.call(document.querySelectorAll('.math-inline, .math-display'));
    var diagrams = Array.prototype.slice.call(document.querySelectorAll('pre.mermaid-source'));
    if (!math.length && !diagrams.length) return;
    var done = [];
    if (math.length) done.push(typesetFormulas(math));
    if (diagrams.length) done.push(drawDiagrams(diagrams));
    // For tests and for scripts that wait for the page to settle.
    Promise.all(done.map(function (p) { return p.catch(function () {}); })).then(function () {
      document.documentElement.setAttribute('data-diagrams', 'done');
    });
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
