"""gdlib.paper.store: the one store of stored runs (figure results and panel grids)."""

import dataclasses

import numpy as np
import pytest
from helpers import make_clusters

from gdlib import sweep
from gdlib.paper import figures, panels, store
from gdlib.train import History, TrainConfig, train

SMALL = TrainConfig(sizes=(20, 16, 3), batch_size=16, iterations=30, eval_every=10)


@pytest.fixture(scope="module")
def run():
    return store.train_as_stored(SMALL, make_clusters())


@pytest.fixture
def shelf(tmp_path):
    """A store of its own, in a temporary folder."""
    return store.Store(tmp_path / "runs", "scripts/make_tiny.py", env="GDLIB_TINY",
                       succeeded=store.did_not_diverge)


def test_a_saved_run_loads_back_bit_for_bit(shelf, run):
    path = shelf.save("tiny", "eta = 0.1 seed0", run, {"label": "eta = 0.1"})
    assert path == shelf.folder() / "tiny" / "eta-0.1-seed0.npz" and path.is_file()
    back = shelf.load("tiny", "eta = 0.1 seed0", SMALL)
    assert back.equals(run) and back.config == SMALL
    assert back.meta["label"] == "eta = 0.1" and back.meta["made_by"] == "scripts/make_tiny.py"
    assert back.meta["blas_threads"] == 1                     # made on one BLAS thread
    assert shelf.runs()[0].equals(run)
    assert shelf.compare("x", back, run).identical


def test_another_config_is_refused_naming_what_differs_and_the_fix(shelf, run):
    shelf.save("tiny", "a", run, {})
    with pytest.raises(store.StoredRunMismatch,
                       match=r"lr: stored 0\.01, asked 0\.3.*`python scripts/make_tiny.py tiny`"):
        shelf.load("tiny", "a", SMALL.replace(lr=0.3))
    with pytest.raises(ValueError):                           # a ValueError, as before
        shelf.load("tiny", "a", SMALL.replace(seed=4))
    assert shelf.find("tiny", "a", SMALL.replace(lr=0.3)) is None
    assert shelf.find("tiny", "a", SMALL).equals(run)


def test_a_missing_run_names_its_file_and_the_fix(shelf):
    with pytest.raises(store.StoredRunMissing,
                       match=r"tiny/b\.npz is missing.*make_tiny\.py tiny.*set GDLIB_TINY"):
        shelf.load("tiny", "b", SMALL)
    with pytest.raises(FileNotFoundError):
        shelf.load("tiny", "b", SMALL)
    assert shelf.find("tiny", "b", SMALL) is None


def test_a_failed_save_leaves_no_partial_file(shelf, run, monkeypatch):
    path = shelf.save("tiny", "a", run, {"version": 1})
    before = path.read_bytes()

    def broken(file, **arrays):               # writes half a file, then the disk is full
        file.write(b"PK\x03\x04 half a zip")
        raise OSError("No space left on device")

    monkeypatch.setattr(np, "savez_compressed", broken)
    with pytest.raises(OSError, match="No space left"):
        shelf.save("tiny", "a", run, {"version": 2})
    with pytest.raises(OSError, match="No space left"):
        shelf.save("tiny", "new", run, {})
    assert path.read_bytes() == before                        # the old file, whole
    assert sorted(p.name for p in path.parent.iterdir()) == ["a.npz"]   # no temporary left
    monkeypatch.undo()
    assert shelf.load("tiny", "a", SMALL).meta["version"] == 1


def test_the_comparison_detects_a_difference(shelf, run):
    assert shelf.compare("x", run, run).ok
    off = dataclasses.replace(run, loss=np.nextafter(run.loss, np.inf))   # last bits only
    tiny = shelf.compare("x", off, run)
    assert not tiny.identical and tiny.loss_rel_diff < 1e-6
    far = shelf.compare("x", dataclasses.replace(run, loss=run.loss * 1.5), run)
    assert not far.identical and not far.ok and far.loss_rel_diff == pytest.approx(0.5)
    worse = dataclasses.replace(run, test_acc=run.test_acc - 0.05)
    assert not shelf.compare("x", worse, run).ok and "accuracy diff 0.0500" in repr(
        shelf.compare("x", worse, run))


def test_each_store_counts_success_its_own_way(run):
    diverged = train(SMALL.replace(diverge_loss=1e-9), make_clusters())
    good = dataclasses.replace(run, test_acc=np.full_like(run.test_acc, 0.95))
    short = dataclasses.replace(run, test_acc=np.full_like(run.test_acc, 0.5))
    assert store.converged(good) and not store.converged(short) and diverged.diverged
    # results: a twin below CONVERGED_ACCURACY must fail again, a converged one be matched
    assert store.RESULTS.compare("x", short, short).ok
    assert not store.RESULTS.compare("x", good, short).ok
    assert not store.RESULTS.compare("x", short, good).ok
    # grids: a short run that did not diverge is held to the tolerances
    assert store.GRIDS.compare("x", short, short).ok
    assert not store.GRIDS.compare("x", short, good).ok           # accuracy 0.45 apart
    assert not store.GRIDS.compare("x", diverged, short).ok
    assert store.GRIDS.compare("x", diverged, diverged).ok


def test_one_store_keeps_both_kinds_of_run(run):
    assert figures.result_path("fig7", "Adadelta x 0.01", 3) == (
        store.RESULTS.folder() / "fig7" / "adadelta-x-0.01-seed3.npz")
    assert panels.grid_path("ch8", (1, 2)) == (
        store.GRIDS.folder() / "ch8" / "batch_size-256_optimizer-momentum.npz")
    for path in [figures.result_path("fig4", "eta = 0.1", 0), panels.grid_path("ch6", (4,))]:
        assert path.is_file(), path                            # the stored files' names
    assert store.slug("Eta = 0.1  seed0") == "eta-0.1-seed0"
    assert store.slug("batch_size-1_lr-0.001") == "batch_size-1_lr-0.001"


def test_the_folder_is_argument_then_environment_then_package(shelf, monkeypatch, tmp_path):
    monkeypatch.delenv("GDLIB_TINY", raising=False)
    assert shelf.folder() == tmp_path / "runs"
    monkeypatch.setenv("GDLIB_TINY", str(tmp_path / "env"))
    assert shelf.folder() == tmp_path / "env"
    assert shelf.folder(tmp_path / "arg") == tmp_path / "arg"
    monkeypatch.setenv("GDLIB_TINY", "relative")
    with pytest.raises(ValueError, match="GDLIB_TINY must be an absolute path"):
        shelf.folder()


def test_a_stored_run_is_trained_on_one_blas_thread(monkeypatch):
    from threadpoolctl import threadpool_info

    seen = []

    def spy(config, data, **kwargs):
        seen.append({p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"})
        return train(config, data, **kwargs)

    monkeypatch.setattr(sweep, "train", spy)         # train_as_stored is sweep's, one home
    history = store.train_as_stored(SMALL.replace(iterations=3), make_clusters())
    assert seen == [{1}] and isinstance(history, History) and history.meta["seconds"] > 0
    assert history.meta["blas_threads"] == 1
