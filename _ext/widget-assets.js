// Where the widget manager finds its font files: beside this script, in _static/widgets/.
// Loaded after require.js and before embed-amd.js (see nb_ipywidgets_js in _config.yml).
// The bundle's modules compute their asset folder from their require.js module URL, which
// without these paths would be <page folder>/@jupyter-widgets/..., a folder that does not exist.
(function () {
  var here = document.currentScript.src.replace(/[^/]*$/, "");
  var folder = here.slice(0, -1);
  window.__jupyter_widgets_assets_path__ = here;
  require.config({ paths: { "@jupyter-widgets": folder,
                            "@jupyter-widgets/html-manager/dist": folder } });
})();

// The widgets typeset their labels through MathJax 2's MathJax.Hub.Queue, but the book runs
// MathJax 3, which has no Hub (a page with a panel would throw "reading 'Queue'"). Whatever
// window.MathJax becomes (the page's configuration first, MathJax 3 itself once it starts),
// it gets a hidden Hub whose Queue typesets the element with MathJax 3.
(function () {
  function queue(job) {
    var element = Array.isArray(job) ? job[2] : undefined;
    var mathjax = window.MathJax;
    if (mathjax && mathjax.startup && mathjax.startup.promise && mathjax.typesetPromise) {
      mathjax.startup.promise
        .then(function () { return mathjax.typesetPromise(element ? [element] : undefined); })
        .catch(function () {});
    }
  }
  function withHub(mathjax) {
    if (mathjax && typeof mathjax === "object" && !mathjax.Hub) {
      Object.defineProperty(mathjax, "Hub", { value: { Queue: queue }, enumerable: false,
                                              configurable: true });
    }
    return mathjax;
  }
  var current = withHub(window.MathJax);
  Object.defineProperty(window, "MathJax", {
    configurable: true, enumerable: true,
    get: function () { return current; },
    set: function (value) { current = withHub(value); }
  });
})();

