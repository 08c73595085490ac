"""Sphinx workarounds for the book build; each says what it fixes.

Loaded through ``sphinx: local_extensions`` in _config.yml.
"""


def _drop_duplicate_inline_scripts(app, env):
    """Sphinx 7.4 writes some inline ``<script>`` blocks twice; keep one copy.

    An inline script that an extension adds after the HTML builder has started
    (sphinx-thebe adds ``const THEBE_JS_URL = ...`` when reading begins) reaches
    the builder with filename None, and is added again from the registry with
    filename '' just before writing.  Both copies land in every page, and the
    second ``const`` declaration is a SyntaxError in the browser.  Dropping the
    None copies leaves exactly the registry's copy.
    """
    js_files = getattr(app.builder, "_js_files", None)
    if js_files is not None:
        app.builder._js_files = [js for js in js_files if js.filename is not None]


def setup(app):
    app.connect("env-updated", _drop_duplicate_inline_scripts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
