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
