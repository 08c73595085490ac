"""gdlib.paper.panels: the book's panel specs, their stored grids and the drift check."""

import dataclasses

import numpy as np
import pytest
from helpers import make_clusters, make_images

from gdlib import sweep
from gdlib.data import load_dataset
from gdlib.paper import panels
from gdlib.train import TrainConfig, train
from gdlib.widgets import MODE_ENV, TrainingPanel
from gdlib.widgets.controls import CONTROLS

DATA = make_clusters()
SMALL = TrainConfig(sizes=(20, 16, 3), batch_size=32, iterations=60, eval_every=20)


def test_every_chapter_has_its_panels():
    pages = {spec.page for spec in panels.SPECS.values()}
    assert {f"chapters/0{n}" for n in range(4, 9)} <= {p[:11] for p in pages}
    explorers = {spec.page for spec in panels.EXPLORERS.values()}
    assert {"chapters/05_momentum", "chapters/06_adagrad",
            "chapters/07_rmsprop_adadelta"} <= explorers


@pytest.mark.parametrize("name", list(panels.PANELS))
def test_the_live_panel_starts_on_the_checked_grid_point(name):
    spec = panels.PANELS[name]
    assert spec.point(*spec.check) == spec.base
    assert set(spec.controls) <= set(CONTROLS)
    assert (spec.base.iterations, spec.base.eval_every, spec.base.eval_size) == (200, 40, 2000)


@pytest.mark.parametrize("name", list(panels.PANELS))
def test_the_stored_grid_is_complete_and_current(name):
    spec = panels.PANELS[name]
    grid = panels.load_grid(name)
    assert len(grid) == spec.size == len(list(spec.points()))
    for index, config in spec.points():
        assert grid[index].config == config
        assert grid[index].meta["panel"] == name


def test_grid_sizes():
    sizes = {name: spec.size for name, spec in panels.SPECS.items()}
    assert sizes == {"ch4": 21, "ch5": 35, "ch6": 9, "ch7": 18, "ch8": 15,
                     "ch5-explorer": 21, "ch6-explorer": 12, "ch7-explorer": 36,
                     "ch9-explorer": 16}


def test_grid_points_are_what_the_live_panel_trains():
    spec = panels.PANELS["ch8"]
    panel = TrainingPanel(make_images(), spec.base, controls=spec.controls,
                          presets=spec.presets, autostart=False)
    for (i, j), config in spec.points():
        panel.controls["optimizer"].value = config.optimizer
        panel.controls["batch_size"].value = config.batch_size
        panel.stop()
        assert panel.config() == config, (i, j)
    panel.wait()


def test_a_missing_or_stale_grid_names_the_script(tmp_path):
    with pytest.raises(FileNotFoundError, match="make_grids.py ch6"):
        panels.load_grid("ch6", root=tmp_path)
    spec = panels.PANELS["ch6"]
    stale = train(SMALL, DATA)
    for index, _ in spec.points():
        panels.save_grid_run("ch6", index, stale, root=tmp_path)
    with pytest.raises(ValueError, match="different config"):
        panels.load_grid("ch6", root=tmp_path)
    assert panels.load_grid("ch6", root=tmp_path, strict=False) == {}


def _shifted(history, factor):
    return dataclasses.replace(history, loss=history.loss * factor)


def test_compare_run_holds_every_run_to_the_tolerances():
    stored = train(SMALL, DATA)
    assert panels.compare_run("x", stored, stored).identical
    assert panels.compare_run("x", _shifted(stored, 1.05), stored).ok
    assert not panels.compare_run("x", _shifted(stored, 1.5), stored).ok
    worse = dataclasses.replace(stored, test_acc=stored.test_acc - 0.05)
    assert not panels.compare_run("x", worse, stored).ok
    diverged = train(SMALL.replace(diverge_loss=1e-9), DATA)
    assert panels.compare_run("x", diverged, diverged).ok
    assert not panels.compare_run("x", stored, diverged).ok


def test_check_grid_fails_loudly_on_drift(monkeypatch):
    spec = panels.PANELS["ch6"]
    grid = panels.load_grid("ch6")
    drifted = dict(grid)
    drifted[spec.check] = _shifted(grid[spec.check], 2.0)
    monkeypatch.setattr(sweep, "train", lambda config, data: grid[spec.check])
    result, _ = panels.check_grid("ch6", DATA, grid)
    assert result.ok and result.identical
    with pytest.raises(panels.GridDrift, match="make_grids.py ch6"):
        panels.check_grid("ch6", DATA, drifted)


def test_unknown_panel():
    with pytest.raises(KeyError, match="ch4"):
        panels.build("ch9")


def test_explorers_build_live(monkeypatch):
    monkeypatch.delenv(MODE_ENV, raising=False)
    for name in panels.EXPLORERS:
        explorer = panels.build(name)
        assert explorer.setting() == dataclasses.replace(
            panels.EXPLORERS[name].base, eps=explorer.setting().eps)
        assert np.isfinite(explorer.points).all()


@pytest.mark.mnist
def test_the_stored_check_point_recomputes():
    """What every book build does, for one panel: recompute and compare."""
    result, _ = panels.check_grid("ch6", load_dataset("mnist"))
    assert result.ok


@pytest.mark.mnist
def test_a_live_panel_retrains_its_stored_grid_point():
    """The live panel (cache empty) trains what the stored grid holds."""
    spec = panels.PANELS["ch6"]
    panel = TrainingPanel(load_dataset("mnist"), spec.base, controls=spec.controls)
    live = panel.wait()
    assert panel.trainings == 1
    assert panels.compare_run("ch6", live, panels.load_grid("ch6")[spec.check]).ok
