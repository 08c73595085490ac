"""Record how long the build took to execute each notebook, for the teacher's guide.

After MyST-NB executes a notebook, its run time is added to
``_build/exec_times.json`` (``{docname: seconds}``), which the teacher's guide
reads when the build executes it (Sphinx reads ``guide/`` after ``chapters/``).
The build itself is the measurement: these are the minutes a notebook takes on
the machine that built the book.
"""

import json
from pathlib import Path

from myst_nb.sphinx_ import NbMetadataCollector

FILE = "exec_times.json"


def _path(app):
    return Path(app.outdir).parent / FILE            # _build/exec_times.json


def _record(app, doctree):
    data = NbMetadataCollector.get_exec_data(app.env, app.env.docname)
    if not data or not data.get("succeeded"):
        return
    path = _path(app)
    times = json.loads(path.read_text()) if path.is_file() else {}
    times[app.env.docname] = round(float(data["runtime"]), 1)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(times, indent=1, sort_keys=True))
    tmp.replace(path)


def setup(app):
    app.connect("doctree-read", _record)
    return {"parallel_read_safe": False, "parallel_write_safe": True}
