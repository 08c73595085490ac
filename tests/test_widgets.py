"""gdlib.widgets without a browser: the live panel, the explorer, the static form, the specs.

Small synthetic data and a tiny network keep every run well under a second;
the last test executes a notebook in a real Jupyter kernel (threads + comms).
Speed is measured by benchmarks/widgets.py, never here.
"""

import base64
import html
import json
import re
import threading
import time
from pathlib import Path

import ipywidgets
import nbclient
import nbformat
import numpy as np
import pytest
from helpers import make_clusters
from ipywidgets.embed import embed_data

from gdlib import toy
from gdlib.optimizers import Adadelta, Momentum, RMSProp
from gdlib.train import History, TrainConfig, train
from gdlib.widgets import (
    MODE_ENV,
    Axis,
    Explorer,
    ExplorerSpec,
    PanelSpec,
    ToySetting,
    TrainingPanel,
    cores,
    figure,
    panel_for,
    static_mode,
)
from gdlib.widgets import panel as panel_module
from gdlib.widgets.controls import config_for
from gdlib.widgets.explorer import SURFACES, hyperparameters, toy_path
from gdlib.widgets.labels import describe_training, run_label
from gdlib.widgets.panel import CACHE_SIZE, MAX_PINS
from gdlib.widgets.static import payload_bytes, precomputed

pytestmark = pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")

DATA = make_clusters()
BASE = TrainConfig(optimizer="momentum", lr=0.05, momentum=0.9, sizes=(20, 16, 3),
                   batch_size=32, iterations=40, eval_every=10)
PNG = b"\x89PNG"
JPEG = b"\xff\xd8\xff"


def training_threads():
    return [t for t in threading.enumerate() if t.name.startswith("gdlib-training")]


def points_of(optimizer, surface, start, steps):
    """The points of ``toy.trajectory``."""
    return toy.trajectory(optimizer, surface, start, steps).points


def wait_for(predicate, timeout=120.0):   # generous: shared machines stall
    end = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.01)


@pytest.fixture
def concurrency(monkeypatch):
    """Count the trainings the panels run, and the most that ever ran at once."""
    seen = {"active": 0, "max": 0, "calls": 0}
    lock = threading.Lock()

    def counting_train(config, data=None, **kwargs):
        with lock:
            seen["active"] += 1
            seen["calls"] += 1
            seen["max"] = max(seen["max"], seen["active"])
        try:
            return train(config, data, **kwargs)
        finally:
            with lock:
                seen["active"] -= 1

    monkeypatch.setattr(panel_module, "train", counting_train)
    return seen


# ----------------------------------------------------------------- the live panel

def test_slider_retrains_and_redraws():
    panel = TrainingPanel(DATA, BASE, controls=("lr", "momentum"))
    first = panel.wait()
    assert first.config == BASE and first.iterations == 40
    png = bytes(panel.image.value)          # ipywidgets 8 hands back a memoryview
    assert png.startswith(PNG)
    panel.controls["lr"].value = 0.2
    h = panel.wait()
    assert h is not first and h.config.lr == panel.controls["lr"].value
    assert h.config.momentum == 0.9
    assert bytes(panel.image.value).startswith(PNG) and bytes(panel.image.value) != png
    assert panel.status.value.startswith("done: 40 updates") and "η = 0.2" in panel.status.value
    panel.controls["momentum"].value = 0.5
    assert panel.wait().config.momentum == 0.5
    assert not training_threads()


@pytest.mark.parametrize("controls, changes", [
    (("lr", "batch_size"), {"lr": 0.01, "batch_size": 1}),
    (("momentum", "lr"), {"momentum": 0.5, "lr": 0.1}),
    (("optimizer", "window"), {"optimizer": "rmsprop", "window": 9}),
    (("optimizer", "lr"), {"optimizer": "adadelta", "lr": 1.0}),
    (("optimizer", "lr", "momentum", "window", "batch_size"),
     {"optimizer": "adagrad", "lr": 0.3, "batch_size": 256}),
])
def test_the_shown_history_is_what_train_returns(controls, changes):
    panel = TrainingPanel(DATA, BASE, controls=controls, autostart=False)
    for name, value in changes.items():
        panel.controls[name].value = value
    shown = panel.wait()
    config = panel.config()
    assert shown.config == config
    for name, value in changes.items():
        assert getattr(config, "window" if name == "window" else name) == value
    assert shown.equals(train(config, DATA))


def test_config_for_leaves_out_what_the_optimizer_ignores():
    values = {"optimizer": "sgd", "lr": 0.1, "momentum": 0.3, "window": 5}
    config = config_for(BASE, values)
    assert config == BASE.replace(optimizer="sgd", lr=0.1)       # momentum, window: base's
    config = config_for(BASE, {**values, "optimizer": "rmsprop"})
    assert (config.window, config.gamma, config.momentum) == (5, None, BASE.momentum)
    presets = {"adadelta": {"lr": 1.0, "window": 19}}
    assert config_for(BASE, {"optimizer": "adadelta"}, presets).lr == 1.0
    assert config_for(BASE, {"optimizer": "adadelta", "lr": 0.01}, presets).lr == 0.01


def test_moving_a_slider_cancels_the_running_training():
    panel = TrainingPanel(DATA, BASE.replace(iterations=10**6))
    wait_for(lambda: panel.status.value.startswith("training") and "update" in panel.status.value)
    old = panel._worker
    panel.controls["lr"].value = 0.01
    wait_for(lambda: panel.cancelled is not None)
    assert panel.cancelled.stopped_at is not None and panel.cancelled.config.lr == BASE.lr
    wait_for(lambda: "update" in panel.status.value and "η = 0.01" in panel.status.value)
    panel.stop()
    panel.wait()
    assert panel.cancelled.config.lr == panel.controls["lr"].value
    assert panel.status.value.startswith("cancelled at update")
    assert panel.history is None and not training_threads() and not old.is_alive()


def test_twenty_rapid_changes_leave_one_run_with_the_last_value(concurrency):
    panel = TrainingPanel(DATA, BASE.replace(iterations=3000), autostart=False)
    values = list(np.round(np.linspace(0.001, 0.02, 20), 5))
    for lr in values:
        panel.controls["lr"].value = float(lr)
    h = panel.wait()
    assert h.config.lr == panel.controls["lr"].value == values[-1]
    assert panel.trainings == 1, "exactly one run may finish"
    assert concurrency["max"] == 1, "two trainings ran at once"
    assert concurrency["calls"] <= 20
    assert not training_threads()


def test_threads_do_not_pile_up_over_many_changes():
    panel = TrainingPanel(DATA, BASE, autostart=False)
    before = threading.active_count()
    for i in range(30):
        panel.controls["lr"].value = 0.01 + 0.001 * i
        assert len(training_threads()) <= 1
    panel.wait()
    assert threading.active_count() == before and not training_threads()


def test_a_setting_seen_before_comes_back_from_the_cache(concurrency):
    panel = TrainingPanel(DATA, BASE, controls=("lr",))
    first = panel.wait()
    png = bytes(panel.image.value)
    panel.controls["lr"].value = 0.2
    panel.wait()
    calls = concurrency["calls"]
    panel.controls["lr"].value = BASE.lr          # answered in this thread, no training
    assert not panel.busy() and panel.history is first
    assert bytes(panel.image.value) == png
    assert panel.status.value.endswith("(from the cache)")
    assert concurrency["calls"] == calls


@pytest.mark.slow
def test_the_cache_is_bounded():
    panel = TrainingPanel(DATA, BASE.replace(iterations=2), autostart=False)
    for i in range(CACHE_SIZE + 5):
        panel.controls["lr"].value = 0.001 * (i + 1)
        panel.wait()
    assert len(panel._cache) == CACHE_SIZE
    assert BASE.replace(iterations=2, lr=0.001) not in panel._cache     # the oldest went


def test_the_cache_starts_with_given_runs(concurrency):
    stored = train(BASE, DATA)
    panel = TrainingPanel(DATA, BASE, cache=[stored])
    assert panel.wait() is stored and concurrency["calls"] == 0
    assert bytes(panel.image.value).startswith(PNG)


@pytest.mark.slow
def test_pins_keep_runs_as_grey_references():
    panel = TrainingPanel(DATA, BASE, controls=("lr",), autostart=False)
    panel.pin()
    assert panel.status.value.startswith("nothing to pin yet") and not panel.pins
    panel.start()
    pinned = panel.wait()
    plain = bytes(panel.image.value)
    panel.pin()
    panel.wait()
    assert [h for _, h in panel.pins] == [pinned]
    assert panel.pins[0][0] == "pin: η = 0.05"
    assert bytes(panel.image.value) != plain            # redrawn with the pin
    panel.controls["lr"].value = 0.2
    panel.wait()
    panel.pin()
    panel.wait()
    assert len(panel.pins) == 2
    for i in range(MAX_PINS + 2):
        panel.controls["lr"].value = 0.01 * (i + 1)
        panel.wait()
        panel.pin()
    panel.wait()
    assert len(panel.pins) == MAX_PINS
    panel.clear_button.click()
    panel.wait()
    assert panel.pins == []


def test_readouts_show_the_effective_rate_and_gamma():
    panel = TrainingPanel(DATA, BASE, controls=("lr", "momentum", "window", "optimizer"),
                          autostart=False)
    assert panel.readouts["momentum"].value.endswith("= 0.5")          # 0.05 / (1 - 0.9)
    panel.controls["momentum"].value = 0.5
    assert panel.readouts["momentum"].value.endswith("= 0.1")
    panel.controls["window"].value = 9
    assert "2/(n+1) = 0.200" in panel.readouts["window"].value
    assert panel.controls["window"].disabled                            # momentum ignores it
    panel.controls["optimizer"].value = "adadelta"
    assert panel.controls["momentum"].disabled and not panel.controls["window"].disabled
    panel.wait()
    assert "n = 9, γ = 0.2" in panel.status.value


def test_window_starts_at_the_gamma_of_the_base():
    base = BASE.replace(optimizer="adadelta", lr=1.0, gamma=0.1)
    panel = TrainingPanel(DATA, base, controls=("window",), autostart=False)
    assert panel.controls["window"].value == 19                 # gamma 0.1 (eq. 13)
    panel.controls["window"].value = 9
    h = panel.wait()
    assert h.config.window == 9 and h.config.gamma is None


def test_presets_move_the_controls_and_train_once(concurrency):
    presets = {"adadelta": {"lr": 1.0, "window": 19}, "momentum": {"lr": 0.05}}
    panel = TrainingPanel(DATA, BASE, controls=("optimizer", "lr", "window"), presets=presets,
                          optimizers=("momentum", "adadelta"), autostart=False)
    assert [v for _, v in panel.controls["optimizer"].options] == ["momentum", "adadelta"]
    panel.controls["optimizer"].value = "adadelta"
    assert panel.controls["lr"].value == 1.0
    h = panel.wait()
    assert (h.config.optimizer, h.config.lr, h.config.window) == ("adadelta", 1.0, 19)
    assert concurrency["calls"] == 1
    with pytest.raises(ValueError, match="optimizer"):
        TrainingPanel(DATA, BASE, controls=("lr",), presets=presets)


def test_invalid_values_are_reported_in_words_and_recover():
    base = BASE.replace(gamma=1.5)             # momentum ignores gamma; rmsprop rejects it
    panel = TrainingPanel(DATA, base, controls=("optimizer",), autostart=False)
    panel.controls["optimizer"].value = "rmsprop"
    assert panel.wait() is None
    assert isinstance(panel.error, ValueError)
    assert panel.status.value.startswith("cannot train this setting: gamma must lie in")
    assert "Traceback" not in panel.status.value
    panel.controls["optimizer"].value = "momentum"
    assert panel.wait().config.optimizer == "momentum" and panel.error is None


def test_divergence_is_reported_in_words():
    panel = TrainingPanel(DATA, BASE.replace(diverge_loss=1e-9))
    h = panel.wait()
    assert h.diverged_at == 0
    assert panel.status.value.startswith("diverged at update 0: the training loss passed")
    assert "smaller η" in panel.status.value
    assert bytes(panel.image.value).startswith(PNG)


def test_the_panel_says_what_it_trains():
    panel = TrainingPanel(DATA, BASE.replace(iterations=300, eval_every=50), autostart=False,
                          controls=("batch_size",), note="The chapter trains longer.")
    assert panel.what.value == (
        "<small>Each setting trains 300 updates of batch 32 on all 240 training images "
        "(40 epochs) and tests on all 90 test images every 50 updates. "
        "The chapter trains longer.</small>")
    text = describe_training(TrainConfig(iterations=300, eval_every=50, eval_size=2000),
                             60000, 10000)
    assert text.startswith("Each setting trains 300 updates of batch 256 on all 60,000 "
                           "training images (1.3 epochs) and tests on 2,000 of the 10,000")
    panel.controls["batch_size"].value = 1
    assert "updates of batch 1 on" in panel.what.value
    panel.wait()


def test_references_are_drawn_and_panel_displays(tmp_path):
    stored = train(BASE, DATA).save(tmp_path / "ref.npz")
    panel = TrainingPanel(DATA, BASE.replace(lr=0.01), controls=("lr", "batch_size"),
                          compare=[History.load(stored)])
    assert list(panel.references) == ["stored: Momentum, η = 0.05, batch 32"]
    panel.controls["batch_size"].value = 256
    assert panel.wait().config.batch_size == 256
    assert bytes(panel.image.value).startswith(PNG)
    assert isinstance(panel.widget, ipywidgets.Box)
    bundle = panel._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert "TrainingPanel(momentum" in repr(panel)
    with pytest.raises(ValueError, match="controls"):
        TrainingPanel(DATA, BASE, controls=("eta",))


def _pixels(fig):
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba()).copy()


def test_a_redrawn_figure_is_the_figure_drawn_anew():
    """The panel draws every picture on one figure: what it shows must not depend on the
    pictures before (runs of other lengths, a divergence, references come and go)."""
    short, full = train(BASE.replace(iterations=6), DATA), train(BASE, DATA)
    diverged = train(BASE.replace(diverge_loss=1e-9), DATA)
    other = train(BASE.replace(lr=0.3, batch_size=8), DATA)
    marked = train(BASE.replace(lr=30.0), DATA)         # diverges with a finite loss: a mark
    assert marked.diverged and len(marked.loss)
    pin, stored = ("pin: a", full, True), ("stored: b", diverged, False)
    sequence = [(short, ()), (full, (pin,)), (diverged, ()), (other, (stored, pin)),
                (marked, ()), (short, ()), (diverged, (stored,)), (full, (("m", marked, True),)),
                (full, ())]
    fig = None
    for i, (history, refs) in enumerate(sequence):
        fig = figure.render_training(history, "live", refs, fig=fig)
        fresh = figure.render_training(history, "live", refs)
        assert np.array_equal(_pixels(fig), _pixels(fresh)), f"picture {i} differs"


def test_a_run_in_progress_is_shown_as_jpeg_and_the_finished_run_as_png(monkeypatch):
    monkeypatch.setattr(panel_module, "REDRAW_SECONDS", 0.0)       # a picture per update
    monkeypatch.setattr(panel_module, "LAST_REDRAW", 0.0)
    panel = TrainingPanel(DATA, BASE, autostart=False)
    formats = []
    panel.image.observe(lambda c: formats.append((panel.image.format, bytes(c["new"])[:3])),
                        names="value")
    panel.start()
    panel.wait()
    assert formats[:-1] and all(f == ("jpeg", JPEG) for f in formats[:-1]), formats[:3]
    assert formats[-1] == ("png", PNG[:3])


def test_progress_pictures_come_early_then_every_redraw_period_but_not_just_before_the_end():
    due = panel_module.progress_due
    first, period, last = (panel_module.FIRST_REDRAW, panel_module.REDRAW_SECONDS,
                           panel_module.LAST_REDRAW)
    assert due(first, 200, 0.05, None) and not due(first + 1, 200, 0.06, None)
    assert not due(100, 200, 2.0, period - 0.01)                  # too soon after the last
    assert due(100, 200, 2.0, period)                             # 2 s still to go
    remaining = 0.9 * last                                        # the run ends before long
    assert not due(190, 200, remaining * 19, period)
    assert not due(200, 200, 3.0, period)                         # the final picture follows
    assert not due(first, first, 0.05, None)


def test_a_finished_run_is_a_palette_png_that_looks_like_the_full_colour_picture():
    import io

    from PIL import Image
    panel = TrainingPanel(DATA, BASE, compare=[train(BASE.replace(lr=0.2), DATA)])
    panel.wait()
    shown = Image.open(io.BytesIO(bytes(panel.image.value)))
    assert shown.format == "PNG" and shown.mode == "P"
    refs = panel._reference_list()
    fig = figure.render_training(panel.history, run_label(BASE, ("lr",)), refs,
                                 limits=panel.limits(panel.history, refs))
    full = _pixels(fig)[..., :3].astype(int)
    difference = np.abs(np.asarray(shown.convert("RGB"), dtype=int) - full)
    assert difference.shape == full.shape and difference.mean() < 2 and difference.max() < 40


def test_the_loss_axis_labels_minor_ticks_without_overlap():
    from gdlib.widgets.render import new_figure

    def labels(low, high):
        fig = new_figure((4, 3))
        ax = fig.subplots()
        ax.set_yscale("log")
        ax.set_ylim(low, high)
        ax.yaxis.set_minor_formatter(figure.PlainMinor())
        fig.canvas.draw()
        shown = [t for t, y in zip(ax.yaxis.get_ticklabels(minor=True),
                                   ax.yaxis.get_minorticklocs(), strict=True) if low <= y <= high]
        return [t.get_text() for t in shown if t.get_text()], [
            t.get_window_extent() for t in shown if t.get_text()]

    texts, boxes = labels(0.15, 2.6)                     # more than a decade: 2, 3 and 5
    assert texts == ["0.2", "0.3", "0.5", "2"]
    assert not any(a.overlaps(b) for a, b in zip(boxes, boxes[1:], strict=False))
    texts, _ = labels(2.05, 2.45)                        # a narrow axis keeps every label
    assert {"2.1", "2.2", "2.3", "2.4"} <= set(texts)


def test_labels_write_eta_and_gamma():
    c = BASE.replace(optimizer="rmsprop", window=9)
    assert run_label(c, ("optimizer", "lr", "window", "momentum")) == \
        "RMSProp, η = 0.05, n = 9, γ = 0.2"
    assert run_label(BASE, ("lr", "momentum")) == "η = 0.05, momentum 0.9 (η/(1−m) = 0.5)"


# ----------------------------------------------------------------- the explorer

def test_the_explorer_draws_the_path_toy_trajectory_takes():
    setting = ToySetting(optimizer="momentum", lr=0.5, momentum=0.8, steps=60)
    explorer = Explorer(setting)
    expected = points_of(Momentum(lr=0.5, momentum=0.8), SURFACES["valley"],
                              (-9.0, 4.0), 60)
    assert np.array_equal(explorer.points, expected)
    jpeg = bytes(explorer.image.value)
    assert jpeg.startswith(JPEG) and explorer.image.format == "jpeg"
    assert explorer.status.value.startswith("60 steps · ends at")
    explorer.controls["momentum"].value = 0.3          # redraws at once, no thread
    assert bytes(explorer.image.value) != jpeg
    assert np.array_equal(explorer.points, points_of(
        Momentum(lr=0.5, momentum=0.3), SURFACES["valley"], (-9.0, 4.0), 60))
    assert all(c.continuous_update for c in explorer.controls.values()
               if hasattr(c, "continuous_update"))


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adagrad", "rmsprop", "adadelta"])
def test_the_explorer_shows_every_hyperparameter_of_the_optimizer(optimizer):
    explorer = Explorer(ToySetting(optimizer=optimizer, steps=20))
    shown = {n for n in ("lr", "momentum", "window", "eps")
             if explorer.controls[n].layout.display != "none"}
    assert shown == set(hyperparameters(optimizer))
    for name in shown:
        before = bytes(explorer.image.value)
        control = explorer.controls[name]
        control.value = control.min if control.value != control.min else control.max
        assert bytes(explorer.image.value) != before, name


def test_the_explorer_moves_to_rosenbrock_and_back():
    explorer = Explorer(ToySetting(optimizer="adadelta", lr=1.0, steps=200))
    explorer.controls["surface"].value = "rosenbrock"
    s = explorer.setting()
    assert (s.x0, s.y0) == (-1.5, 2.0)
    assert explorer.controls["x0"].min == -2.0 and explorer.controls["y0"].max == 3.0
    assert np.array_equal(explorer.points, points_of(
        Adadelta(window=19, lr=1.0), SURFACES["rosenbrock"], (-1.5, 2.0), 200))
    explorer.controls["surface"].value = "valley"
    assert (explorer.setting().x0, explorer.controls["x0"].min) == (-9.0, -10.0)


def test_the_explorer_says_when_a_path_diverges():
    explorer = Explorer(ToySetting(optimizer="sgd", lr=10.0, steps=2000))
    assert explorer.status.value.startswith("diverged: the step after step")
    assert len(explorer.points) < 2001


def test_switching_to_adadelta_resets_its_multiplier():
    explorer = Explorer(ToySetting(optimizer="sgd", lr=0.3, steps=20))
    explorer.controls["optimizer"].value = "adadelta"
    assert explorer.controls["lr"].value == 1.0
    assert explorer.controls["eps"].value == 1e-6           # Adadelta's default
    explorer.controls["optimizer"].value = "adagrad"
    assert explorer.controls["eps"].value == 1e-8


# ----------------------------------------------------------------- the static form

def _ids(widget):
    return widget.model_id


def _links(state):
    """(source model, source trait, target model, target trait) of every jslink."""
    out = []
    for m in state.values():
        if m["model_name"] == "LinkModel":
            (src, s_trait), (dst, d_trait) = m["state"]["source"], m["state"]["target"]
            out.append((src.removeprefix("IPY_MODEL_"), s_trait,
                        dst.removeprefix("IPY_MODEL_"), d_trait))
    return out


def _tree(widget):
    ids, todo = set(), [widget]
    while todo:
        item = todo.pop()
        ids.add(item.model_id)
        todo.extend(getattr(item, "children", ()))
    return ids


def _serialised(box):
    """The state a page would embed for ``box``: its widgets and the links between them."""
    data = embed_data(views=[box])
    json.dumps(data["manager_state"])            # serialisable, buffers base64-encoded
    ids = _tree(box)
    return {k: m for k, m in data["manager_state"]["state"].items()
            if k in ids or (m["model_name"] == "LinkModel"
                            and m["state"]["target"][0].removeprefix("IPY_MODEL_") in ids)}


def test_precomputed_links_one_slider_to_a_stack():
    images = [ipywidgets.Image(value=bytes([i]) * 10, format="png") for i in range(3)]
    box = precomputed([("η", ["0.1", "0.2", "0.3"], False)], images, note="note",
                      css_class="gdlib-panel-x")
    slider, stack = box.children[0], box.children[-1]
    assert isinstance(slider, ipywidgets.SelectionSlider) and isinstance(stack, ipywidgets.Stack)
    assert slider.continuous_update and list(stack.children) == images
    state = _serialised(box)
    assert (_ids(slider), "index", _ids(stack), "selected_index") in _links(state)
    assert state[_ids(stack)]["state"]["selected_index"] == 0
    assert {"gdlib-panel", "gdlib-panel-x"} <= set(state[_ids(box)]["state"]["_dom_classes"])
    assert payload_bytes(box) == 3 * 16            # base64 of 10 bytes is 16 characters


def test_precomputed_nests_stacks_for_two_selectors():
    rows = [[ipywidgets.Image(value=bytes([i, j]), format="png") for j in range(2)]
            for i in range(3)]
    box = precomputed([("optimizer", ["a", "b", "c"], True), ("batch", ["1", "32"], False)],
                      rows)
    first, second, outer = box.children[0], box.children[1], box.children[-1]
    assert isinstance(first, ipywidgets.Dropdown) and isinstance(second,
                                                                  ipywidgets.SelectionSlider)
    links = _links(_serialised(box))
    assert (_ids(first), "index", _ids(outer), "selected_index") in links
    for inner in outer.children:
        assert list(inner.children) == rows[outer.children.index(inner)]
        assert (_ids(second), "index", _ids(inner), "selected_index") in links
    with pytest.raises(ValueError, match="positions"):
        precomputed([("a", ["1", "2"], False)], rows[0][:1])


TINY = PanelSpec(name="tiny", page="tiny", base=BASE, controls=("lr", "batch_size"),
                 grid=(Axis.over("lr", (0.01, 0.1), "η"),
                       Axis.over("batch_size", (1, 32), "batch size", dropdown=True)),
                 note="Short runs.")
TOY = ExplorerSpec(name="toy", page="toy", base=ToySetting(steps=30),
                   grid=(Axis.over("momentum", (0.0, 0.5, 0.9), "momentum"),))


def picture(html_widget):
    """The PNG bytes and the alt text of a static image (``render.static_image``)."""
    m = re.fullmatch(r'<img src="data:image/png;base64,([^"]+)" alt="([^"]*)" style="[^"]*">',
                     html_widget.value)
    assert m, html_widget.value[:200]
    return base64.b64decode(m.group(1)), html.unescape(m.group(2))


def test_static_training_panel_shows_every_grid_run(monkeypatch):
    monkeypatch.setenv(MODE_ENV, "static")
    grid = {index: train(config, DATA) for index, config in TINY.points()}
    box = panel_for(TINY, DATA, grid=grid)
    outer = box.children[-1]
    pictures = [picture(inner.children[j].children[1])
                for inner in outer.children for j in range(2)]
    assert len(pictures) == TINY.size == 4
    assert all(png.startswith(PNG) for png, _ in pictures)
    assert len({png for png, _ in pictures}) == 4
    assert all(alt.startswith("Training loss (left) and test accuracy (right)")
               for _, alt in pictures)
    assert "η = 0.1, batch 32" in pictures[3][1], pictures[3][1]
    assert payload_bytes(box) == sum(len(base64.b64encode(png)) for png, _ in pictures)
    note = box.children[2].value
    assert "precomputed when the book was built: 4 runs of gdlib, one for each " \
        "combination of η and batch size" in note and "Binder" in note
    assert "Short runs." in outer.children[0].children[1].children[0].value
    state = _serialised(box)
    assert sum("data:image/png;base64," in str(m["state"].get("value", ""))
               for m in state.values()) == 4
    wrong = dict(grid)
    wrong[(0, 0)] = grid[(1, 1)]
    with pytest.raises(ValueError, match="another config"):
        panel_for(TINY, DATA, grid=wrong)


def test_static_explorer_runs_its_grid(monkeypatch):
    monkeypatch.setenv(MODE_ENV, "static")
    box = panel_for(TOY)
    pictures = [picture(child.children[1]) for child in box.children[-1].children]
    assert len(pictures) == 3 and all(png.startswith(PNG) for png, _ in pictures)
    statuses = [child.children[0].value for child in box.children[-1].children]
    assert all(alt.startswith("The path on the surface") and status in alt
               for (_, alt), status in zip(pictures, statuses, strict=True))
    assert all(s.startswith("30 steps") for s in statuses) and len(set(statuses)) == 3


def test_show_panel_is_live_outside_the_book_build(monkeypatch):
    monkeypatch.delenv(MODE_ENV, raising=False)
    assert not static_mode()
    live = panel_for(TINY, DATA)
    assert isinstance(live, TrainingPanel) and live.wait().config == BASE.replace(lr=0.05)
    assert "gdlib-panel-tiny" in live.widget._dom_classes
    assert isinstance(panel_for(TOY), Explorer)
    monkeypatch.setenv(MODE_ENV, "html")
    with pytest.raises(ValueError, match="GDLIB_WIDGETS"):
        panel_for(TOY)


def test_specs_refuse_unknown_fields_and_controls():
    with pytest.raises(ValueError, match="unknown fields"):
        PanelSpec(name="x", page="x", base=BASE, controls=("lr",),
                  grid=(Axis.over("eta", (0.1,), "η"),))
    with pytest.raises(ValueError, match="controls"):
        PanelSpec(name="x", page="x", base=BASE, controls=("speed",),
                  grid=(Axis.over("lr", (0.1,), "η"),))
    with pytest.raises(ValueError, match="one or two"):
        ExplorerSpec(name="x", page="x", base=ToySetting(), grid=())
    with pytest.raises(ValueError, match="steps"):
        ExplorerSpec(name="x", page="x", base=ToySetting(),
                     grid=(Axis.over("steps", (0,), "steps"),))


def test_toy_path_is_toy_trajectory():
    s = ToySetting(surface="rosenbrock", optimizer="rmsprop", lr=0.01, window=9, x0=-1.5,
                   y0=2.0, steps=50)
    assert np.array_equal(toy_path(s), points_of(RMSProp(lr=0.01, window=9),
                                                      SURFACES["rosenbrock"], (-1.5, 2.0), 50))


# ----------------------------------------------------------------- in a kernel

KERNEL_CELL = """
import sys
sys.path.insert(0, {tests!r})
from helpers import make_clusters
from gdlib.train import TrainConfig
from gdlib.widgets import TrainingPanel
base = TrainConfig(sizes=(20, 16, 3), batch_size=32, iterations=30, eval_every=10)
panel = TrainingPanel(make_clusters(), base, controls=("lr", "window"))
display(panel)
panel.controls["lr"].value = 0.1
panel.wait()
assert panel.history is not None and panel.history.config.lr == panel.controls["lr"].value
assert panel.error is None and bytes(panel.image.value).startswith(b"\\x89PNG")
print(panel.status.value)
"""


def test_runs_inside_a_jupyter_kernel():
    tests = str(Path(__file__).resolve().parent)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        KERNEL_CELL.format(tests=tests))])
    nbclient.NotebookClient(nb, kernel_name="python3", timeout=300).execute()
    outputs = nb.cells[0].outputs
    assert [o.output_type for o in outputs] == ["display_data", "stream"], outputs
    assert "application/vnd.jupyter.widget-view+json" in outputs[0].data
    assert outputs[1].text.startswith("done: 30 updates")
    state = nb.metadata.widgets["application/vnd.jupyter.widget-state+json"]["state"]
    assert any(m["model_name"] == "ImageModel" for m in state.values())


def blas_threads():
    from threadpoolctl import threadpool_info
    return {i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}


class Machine:
    """A stand-in for ``cores.cpu_sample``: a clock, the machine's CPU seconds and this
    process's; ``others`` cores of other processes work while the clock advances."""

    def __init__(self):
        self.t, self.busy, self.own, self.others = 0.0, 0.0, 0.0, 0.0

    def advance(self, seconds, own=1.0):
        self.t += seconds
        self.own += own * seconds
        self.busy += (own + self.others) * seconds

    def __call__(self):
        return self.t, self.busy, self.own

    def clock(self):
        return self.t


def set_blas_threads(n):
    """Set the BLAS threads from a thread that ends, so that no thread keeps the right to
    change them (threadpoolctl gives it to one thread at a time)."""
    from threadpoolctl import threadpool_limits

    def setter():
        threadpool_limits(limits=n, user_api="blas")       # set, and never restored

    worker = threading.Thread(target=setter)
    worker.start()
    worker.join()


@pytest.fixture
def two_cores(monkeypatch):
    monkeypatch.setattr(cores, "usable_cores", lambda: 2)
    monkeypatch.setattr(cores, "_last_end", None)
    before = blas_threads()
    set_blas_threads(2)
    assert blas_threads() == {2}
    yield
    set_blas_threads(max(before))


def test_a_training_takes_a_second_thread_only_while_the_cores_are_free(two_cores):
    machine = Machine()
    with cores.BlasThreads(sample=machine, clock=machine.clock, period=0.25) as blas:
        assert blas_threads() == {1} and blas.most == 2        # it starts on one
        machine.advance(0.1)
        assert blas.update() == 1                               # not looked yet: too soon
        machine.advance(0.2)
        assert blas.update() == 2 and blas_threads() == {2}     # the machine was free
        machine.others = 0.6                                    # another process works
        machine.advance(0.3, own=2.0)
        assert blas.update() == 1 and blas_threads() == {1}
        machine.others = 0.0
        machine.advance(0.3)
        assert blas.update() == 2
    assert blas_threads() == {2}                                # as before the training
    assert set(blas.seconds) == {1, 2}
    # the next training starts on two threads if the machine stayed free since
    machine.advance(5.0, own=0.0)
    with cores.BlasThreads(sample=machine, clock=machine.clock) as blas:
        assert blas.threads == 2
    machine.others = 1.0
    machine.advance(5.0, own=0.0)
    with cores.BlasThreads(sample=machine, clock=machine.clock) as blas:
        assert blas.threads == 1


def test_on_more_cores_a_busy_one_leaves_room_for_two_threads(two_cores, monkeypatch):
    monkeypatch.setattr(cores, "usable_cores", lambda: 4)
    machine = Machine()
    machine.others = 1.5                                        # 2.5 of 4 cores free
    with cores.BlasThreads(sample=machine, clock=machine.clock, period=0.0) as blas:
        machine.advance(1.0)
        assert blas.update() == 2
        machine.others = 2.5                                    # 1.5 free: not enough
        machine.advance(1.0, own=2.0)
        assert blas.update() == 1


def test_usable_cores_are_our_cpus_within_the_cpu_quota(monkeypatch):
    from gdlib import machine

    monkeypatch.setattr(machine, "our_cpus", lambda: [0, 1, 2, 3])
    for quota, usable in ((None, 4), (8.0, 4), (3.0, 3), (2.5, 2), (1.5, 1), (0.5, 1)):
        monkeypatch.setattr(machine, "cpu_quota", lambda q=quota: q)
        assert cores.usable_cores() == usable, quota               # the panel's, the same
    assert machine.cpu_quota() is None or machine.cpu_quota() > 0  # this machine's, if any
    now, busy, own = cores.cpu_sample()
    assert busy >= own > 0


def test_a_training_never_takes_more_threads_than_the_blas_was_given(two_cores):
    from threadpoolctl import threadpool_limits

    machine = Machine()
    with threadpool_limits(limits=1, user_api="blas"):       # OPENBLAS_NUM_THREADS=1
        with cores.BlasThreads(sample=machine, clock=machine.clock, period=0.0) as blas:
            machine.advance(1.0)
            assert blas.most == 1 and blas.update() == 1 and blas_threads() == {1}
    with cores.BlasThreads(1, sample=machine, clock=machine.clock, period=0.0) as blas:
        machine.advance(1.0)
        assert blas.update() == 1


def test_a_training_reports_the_threads_it_really_had(two_cores):
    from threadpoolctl import threadpool_limits

    machine, result = Machine(), {}

    def training():
        with cores.BlasThreads(sample=machine, clock=machine.clock, period=0.0) as blas:
            machine.others = 2.0
            machine.advance(1.0)
            result["threads"] = (blas.threads, blas.update())
        result["seconds"] = set(blas.seconds)

    with threadpool_limits(limits=2, user_api="blas"):     # this thread holds the right
        worker = threading.Thread(target=training)
        worker.start()
        worker.join()
    assert result == {"threads": (2, 2), "seconds": {2}}


def test_panels_train_through_blas_threads_and_grids_on_one(two_cores, monkeypatch):
    seen = []

    def spy(config, data=None, **kwargs):
        seen.append(blas_threads())
        return train(config, data, **kwargs)

    def busy():            # the real clock, and other processes on two cores all along
        now = time.monotonic()
        return now, 3.0 * now, now

    monkeypatch.setattr(cores, "cpu_sample", busy)
    monkeypatch.setattr(panel_module, "train", spy)
    panel = TrainingPanel(DATA, BASE)
    panel.wait()
    assert seen == [{1}] and blas_threads() == {2}
    assert set(panel.blas_seconds) == {1}
    with cores.limited_blas():
        assert blas_threads() == {1}


def test_grid_limits_hold_every_run_and_leave_a_blow_up_off_the_top():
    runs = [train(BASE.replace(lr=lr), DATA) for lr in (0.01, 0.3)]
    blown = train(BASE.replace(lr=30.0), DATA)              # diverges with a finite loss
    low, high, acc_low = figure.grid_limits(runs)
    every = np.concatenate([h.loss for h in runs])
    assert high == every.max() and every.min() <= low < min(h.loss[-1] for h in runs) * 1.5
    from gdlib.metrics import default_window, smooth
    assert low == min(smooth(h.loss, default_window(len(h.loss))).min() for h in runs)
    assert acc_low == min(min(h.test_acc) for h in runs)
    with_blown = figure.grid_limits([*runs, blown])
    assert with_blown[1] <= 2 * max(h.loss[0] for h in [*runs, blown])
    assert max(blown.loss) > with_blown[1]                  # its peak is off the top
    assert figure.grid_limits([]) is None
    wide = figure.Limits(1e-12, 50, 0.0)
    assert figure.Limits(*with_blown).union(wide) == (1e-12, 50.0, 0.0)


def test_every_picture_of_a_static_panel_has_the_same_axes(monkeypatch):
    monkeypatch.setenv(MODE_ENV, "static")
    grid = {index: train(config, DATA) for index, config in TINY.points()}
    drawn = []
    original = figure.render_training

    def recording(*args, **kwargs):
        fig = original(*args, **kwargs)
        drawn.append([ax.get_ylim() for ax in fig.axes])
        return fig

    monkeypatch.setattr("gdlib.widgets.static.render_training", recording)
    panel_for(TINY, DATA, grid=grid)
    assert len(drawn) == TINY.size and all(d == drawn[0] for d in drawn), drawn
    assert drawn[0][0] == pytest.approx((figure.grid_limits(grid.values())[0] / 1.15,
                                         max(max(h.loss) for h in grid.values()) * 1.15))


def test_a_live_panel_keeps_the_axes_of_its_stored_grid(monkeypatch):
    grid = {index: train(config, DATA) for index, config in TINY.points()}
    panel = TrainingPanel(DATA, TINY.base, controls=TINY.controls, cache=grid.values(),
                          autostart=False)
    shown = []
    monkeypatch.setattr(panel_module, "render_training", lambda *a, **k: (
        shown.append(k["limits"]), figure.render_training(*a, **k))[1])
    panel.start()
    panel.wait()
    expected = figure.grid_limits(grid.values())
    assert shown and all(np.allclose(lim, expected.union(figure.grid_limits([panel.history])))
                         for lim in shown[-1:])
    assert shown[-1][0] <= expected[0] and shown[-1][1] >= expected[1]


def test_a_picture_says_the_size_of_its_smallest_text():
    import io

    from PIL import Image

    from gdlib.plots import TEXT_KEY, smallest_text
    from gdlib.widgets.render import new_figure, to_png

    fig = new_figure((4, 3))                      # 144 px per inch: 2x of 72
    ax = fig.subplots()
    ax.plot([0, 1])
    ax.set_title("small", fontsize=7)
    ax.tick_params(labelsize=12)
    assert smallest_text(fig) == 7 * 144 / 72
    for options in ({}, {"colors": 64, "best": True}):
        assert Image.open(io.BytesIO(to_png(fig, **options))).text[TEXT_KEY] == "14.00"
    ax.set_title("")                              # no text left but the ticks
    assert smallest_text(fig) == 12 * 2
    bare = new_figure((1, 1))
    assert smallest_text(bare) is None
    assert TEXT_KEY not in Image.open(io.BytesIO(to_png(bare))).text
