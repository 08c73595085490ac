"""The build's half of ``{eval}``: numbers in the prose from the chapter's own kernel.

A chapter writes ``{eval}`final_acc``` in its markdown (jupyterlab-myst asks the
kernel for it in JupyterLab).  In the book build, ``gdlib.book.start()`` runs in
the chapter's kernel and, after each code cell, glues every name that the
markdown up to the next code cell quotes (see ``gdlib/book.py``).  This
extension does the rest:

* before MyST-NB executes a notebook, it tells the kernel which notebook it is
  (``GDLIB_BOOK_NOTEBOOK``; a kernel inherits the environment it starts in);
* it replaces MyST-NB's ``eval`` role (which needs inline execution) by one
  that shows the glued value of that name, as plain text.

The names of the protocol (``NOTEBOOK_ENV``, ``CHANGED``) are ``gdlib.book``'s.
A name quoted before it is defined, or in a chapter that never calls
``book.start()``, fails the build with a message that says so.
"""

import os
from pathlib import Path

from docutils import nodes
from myst_nb.core.variables import RetrievalError
from myst_nb.ext.glue.utils import glue_warning, retrieve_glue_data
from myst_nb.ext.utils import RoleBase

from gdlib.book import CHANGED, NOTEBOOK_ENV


class GluedEval(RoleBase):
    """``{eval}`name```: the text of ``name``'s value, as the chapter's kernel printed it."""

    def run(self):
        name = self.text.strip()
        try:
            data = retrieve_glue_data(self.document, name)
        except RetrievalError as exc:
            return [], [glue_warning(
                f"no value for {{eval}}`{name}` ({exc}): define {name} in a code cell above "
                "this text (gdlib.book.shown) and call gdlib.book.start() in the chapter's "
                "first code cell", self.document, self.line)]
        try:
            changed = retrieve_glue_data(self.document, name + CHANGED)
        except RetrievalError:
            changed = None
        if changed is not None:
            return [], [glue_warning(changed.data.get("text/plain", name).strip("'\""),
                                     self.document, self.line)]
        text = data.data.get("text/plain")
        if text is None:
            return [], [glue_warning(f"{{eval}}`{name}` has no text form", self.document,
                                     self.line)]
        node = nodes.inline(text, text, classes=["pasted-text"])
        self.set_source_info(node)
        return [node], []


def _name_the_notebook(app, docname, source):
    path = Path(app.env.doc2path(docname))
    if path.suffix == ".ipynb":
        os.environ[NOTEBOOK_ENV] = str(path.resolve())
    else:
        os.environ.pop(NOTEBOOK_ENV, None)


def _register_role(app):
    app.add_role("eval", GluedEval(), override=True)


def setup(app):
    app.connect("source-read", _name_the_notebook)
    app.connect("builder-inited", _register_role)
    return {"parallel_read_safe": False, "parallel_write_safe": True}
