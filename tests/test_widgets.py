"""gdlib.widgets: the live training panel, without a browser.

Small synthetic data and a tiny network keep every run well under a second;
the last test executes a notebook in a real Jupyter kernel (threads + comms).
"""

import threading
import time
from pathlib import Path

import ipywidgets
import pytest
from helpers import make_clusters

from gdlib.train import History, TrainConfig
from gdlib.widgets import TrainingPanel

pytestmark = pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")

DATA = make_clusters()
BASE = TrainConfig(optimizer="momentum", lr=0.05, momentum=0.9, sizes=(20, 16, 3),
                   batch_size=32, iterations=40, eval_every=10)
PNG = b"\x89PNG"


def training_threads():
    return [t for t in threading.enumerate() if t.name.startswith("gdlib-training")]


def wait_for(predicate, timeout=120.0):   # generous: shared machines stall
    end = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.01)


def test_slider_retrains_and_redraws():
    panel = TrainingPanel(DATA, BASE, controls=("lr", "momentum"), redraw_every=20)
    first = panel.wait()
    assert first.config == BASE and first.iterations == 40
    png = bytes(panel.image.value)          # ipywidgets 8 hands back a memoryview
    assert png.startswith(PNG)
    panel.controls["lr"].value = 0.2
    h = panel.wait()
    assert h is not first and h.config.lr == panel.controls["lr"].value
    assert h.config.momentum == 0.9
    assert bytes(panel.image.value).startswith(PNG) and bytes(panel.image.value) != png
    assert panel.status.value.startswith("done 40 of 40") and "lr = 0.2" in panel.status.value
    panel.controls["momentum"].value = 0.5
    assert panel.wait().config.momentum == 0.5
    assert not training_threads()


def test_moving_a_slider_cancels_the_running_training():
    panel = TrainingPanel(DATA, BASE.replace(iterations=10**6), redraw_every=5)
    wait_for(lambda: panel.status.value.startswith("iteration"))
    old = panel._thread
    panel.controls["lr"].value = 0.01
    old.join(timeout=120)
    assert not old.is_alive()
    assert panel.cancelled.stopped_at is not None and panel.cancelled.config.lr == BASE.lr
    wait_for(lambda: panel.status.value.startswith("iteration"))
    panel.stop()
    panel.wait()
    assert panel.cancelled.config.lr == panel.controls["lr"].value
    assert panel.status.value.startswith("cancelled at iteration")
    assert panel.history is None and not training_threads()


def test_rapid_changes_leave_one_run_with_the_last_value():
    panel = TrainingPanel(DATA, BASE, redraw_every=100)
    for lr in (0.001, 0.002, 0.003, 0.004):
        panel.controls["lr"].value = lr
    assert panel.wait().config.lr == panel.controls["lr"].value
    assert not training_threads()


def test_window_slider_sets_window_and_shows_gamma():
    base = BASE.replace(optimizer="adadelta", lr=1.0, gamma=0.1)
    panel = TrainingPanel(DATA, base, controls=("window", "momentum"), autostart=False)
    assert panel.controls["window"].value == 19                 # gamma 0.1 (eq. 13)
    assert panel.controls["momentum"].disabled                  # adadelta ignores it
    panel.controls["window"].value = 9
    h = panel.wait()
    assert h.config.window == 9 and h.config.gamma is None
    assert "0.200" in panel.gamma_label.value and "2/(n+1)" in panel.gamma_label.value


def test_invalid_values_show_an_error_and_recover():
    base = BASE.replace(gamma=1.5)             # momentum ignores gamma; rmsprop rejects it
    panel = TrainingPanel(DATA, base, controls=("optimizer",), autostart=False)
    panel.controls["optimizer"].value = "rmsprop"
    assert panel.wait() is None
    assert isinstance(panel.error, ValueError)
    assert panel.status.value.startswith("ValueError") and "gamma" in panel.status.value
    panel.controls["optimizer"].value = "momentum"
    assert panel.wait().config.optimizer == "momentum" and panel.error is None


def test_divergence_is_reported():
    panel = TrainingPanel(DATA, BASE.replace(diverge_loss=1e-9))
    h = panel.wait()
    assert h.diverged_at == 0
    assert panel.status.value.startswith("diverged at iteration 0")
    assert bytes(panel.image.value).startswith(PNG)


def test_references_are_drawn_and_panel_displays(tmp_path):
    stored = TrainingPanel(DATA, BASE, redraw_every=100).wait().save(tmp_path / "ref.npz")
    panel = TrainingPanel(DATA, BASE.replace(lr=0.01), controls=("lr", "batch_size"),
                          compare=[History.load(stored)], redraw_every=100)
    assert list(panel.references) == ["reference: lr = 0.05, batch_size = 32"]
    panel.controls["batch_size"].value = 256
    assert panel.wait().config.batch_size == 256
    assert bytes(panel.image.value).startswith(PNG)
    assert isinstance(panel.widget, ipywidgets.Box)
    bundle = panel._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert "TrainingPanel(momentum" in repr(panel)
    with pytest.raises(ValueError, match="controls"):
        TrainingPanel(DATA, BASE, controls=("eta",))


KERNEL_CELL = """
import sys
sys.path.insert(0, {tests!r})
from helpers import make_clusters
from gdlib.train import TrainConfig
from gdlib.widgets import TrainingPanel
base = TrainConfig(sizes=(20, 16, 3), batch_size=32, iterations=30, eval_every=10)
panel = TrainingPanel(make_clusters(), base, controls=("lr", "window"), redraw_every=10)
display(panel)
panel.controls["lr"].value = 0.1
panel.wait()
assert panel.history is not None and panel.history.config.lr == panel.controls["lr"].value
assert panel.error is None and bytes(panel.image.value).startswith(b"\\x89PNG")
print(panel.status.value)
"""


def test_runs_inside_a_jupyter_kernel():
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    tests = str(Path(__file__).resolve().parent)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        KERNEL_CELL.format(tests=tests))])
    nbclient.NotebookClient(nb, kernel_name="python3", timeout=300).execute()
    outputs = nb.cells[0].outputs
    assert [o.output_type for o in outputs] == ["display_data", "stream"], outputs
    assert "application/vnd.jupyter.widget-view+json" in outputs[0].data
    assert outputs[1].text.startswith("done 30 of 30")
    state = nb.metadata.widgets["application/vnd.jupyter.widget-state+json"]["state"]
    assert any(m["model_name"] == "ImageModel" for m in state.values())
