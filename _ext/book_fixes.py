"""Sphinx workarounds and adjustments for the book build; each says what it does.

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


def _colab_opens_the_plain_edition(app, pagename, templatename, context, doctree):
    """The Colab button opens the plain edition, which Colab can render.

    sphinx-book-theme links Colab to the MyST source notebook on the branch;
    Colab renders no MyST, so the button opens the plain edition instead
    (``scripts/editions.py plain``: numbers written in, directives as plain
    Markdown), which the HTML book publishes under ``plain/`` on gh-pages.
    """
    branch = app.config.html_theme_options.get("repository_branch", "main")
    for group in context.get("header_buttons", []):
        for button in group.get("buttons", []):
            if button.get("text") == "Colab":
                button["url"] = button["url"].replace(f"/blob/{branch}/",
                                                      "/blob/gh-pages/plain/", 1)


def setup(app):
    app.connect("env-updated", _drop_duplicate_inline_scripts)
    # after sphinx-book-theme adds the launch buttons (priority 501)
    app.connect("html-page-context", _colab_opens_the_plain_edition, priority=502)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
