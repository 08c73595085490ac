"""gdlib.paper: figures (configs, stored results, the recompute check) and claims (verdicts)."""


import numpy as np
import pytest
from helpers import make_clusters

from gdlib import metrics, sweep
from gdlib.paper import claims, figures
from gdlib.train import History, TrainConfig, train

# -- the figure registry: the paper's settings, written once ---------------------------


def test_figures_use_the_papers_settings():
    f = figures.FIGURES
    assert {c.batch_size for c in f["fig3"].values()} == {1}
    assert sorted(c.lr for c in f["fig3"].values()) == [0.01, 0.1]
    assert {c.batch_size for c in f["fig4"].values()} == {256}
    assert sorted(c.lr for c in f["fig4"].values()) == [0.01, 0.1]
    fig5 = [c for c in f["fig5"].values()]
    assert {c.optimizer for c in fig5} == {"momentum"} and {c.lr for c in fig5} == {0.01}
    assert {0.1, 0.3, 0.5, 0.7} <= {c.momentum for c in fig5}
    fig6 = list(f["fig6"].values())
    assert sorted(c.gamma for c in fig6) == [0.1, 0.3, 0.5] and {c.lr for c in fig6} == {1.0}
    fig7 = f["fig7"]
    assert fig7["Momentum"].momentum == 0.9 and fig7["Adadelta"].gamma == 0.1
    assert fig7["Adadelta"].lr == 1.0 and fig7["Adadelta x 0.01"].lr == 0.01
    for name, runs in f.items():
        for cfg in runs.values():
            assert cfg.sizes == (784, 500, 300, 10), name
            assert (cfg.activation, cfg.loss, cfg.dtype) == ("relu", "cross_entropy", "float32")


def test_figure_sets_the_seed():
    assert {c.seed for c in figures.figure("fig4", seed=3).values()} == {3}


# -- storing and loading ----------------------------------------------------------------


@pytest.fixture
def tiny_figure(monkeypatch, tmp_path):
    """A figure of two small runs, stored for two seeds in tmp_path."""
    base = TrainConfig(sizes=(20, 16, 3), batch_size=16, iterations=40, eval_every=10)
    fig = {"slow": base.replace(lr=0.01), "fast": base.replace(lr=0.3)}
    monkeypatch.setitem(figures.FIGURES, "tiny", fig)
    data = make_clusters()
    for seed in (0, 1):
        for label, h in figures.run_figure("tiny", data, seed=seed).items():
            figures.save_run("tiny", label, h, root=tmp_path)
    return data, tmp_path


def blas_threads():
    from threadpoolctl import threadpool_info

    return {p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"}


def test_stored_and_recomputed_runs_train_on_one_blas_thread(monkeypatch, tmp_path):
    """The one rule on threads: runs are made (save_run records it) and recomputed on one
    BLAS thread, so a recomputation can match its stored twin bit for bit."""
    monkeypatch.delenv("GDLIB_RUN_CACHE", raising=False)
    base = TrainConfig(sizes=(20, 16, 3), batch_size=16, iterations=5, eval_every=5)
    monkeypatch.setitem(figures.FIGURES, "tiny", {"run": base})
    seen = []

    def spy(config, data, **kwargs):
        seen.append(blas_threads())
        return train(config, data, **kwargs)

    monkeypatch.setattr(sweep, "train", spy)        # train_as_stored is sweep.train_on_one_thread
    [h] = figures.run_figure("tiny", make_clusters(), seed=0).values()
    assert seen == [{1}]
    figures.save_run("tiny", "run", h, root=tmp_path)
    assert History.load(figures.result_path("tiny", "run", 0, tmp_path)).meta[
        "blas_threads"] == 1
    assert figures.load_figure("fig3", seeds=(0,))["eta = 0.01"][0].meta["blas_threads"] == 1


def test_stored_runs_load_and_match_a_recomputation(tiny_figure):
    data, root = tiny_figure
    stored = figures.load_figure("tiny", seeds=(0, 1), root=root)
    assert [len(v) for v in stored.values()] == [2, 2]
    assert stored["fast"][1].meta["made_by"] == "scripts/make_results.py"
    live = figures.run_figure("tiny", data, seed=0)
    comparisons = figures.check_against_stored(live, stored)
    assert all(c.ok and c.identical for c in comparisons)


def test_a_different_run_is_not_ok(tiny_figure):
    data, root = tiny_figure
    stored = figures.load_figure("tiny", seeds=(0, 1), root=root)
    # same config (so the twin is found) but trained on other data: numbers differ
    live = figures.run_figure("tiny", make_clusters(seed=7, spread=3.0), seed=0)
    comparisons = figures.check_against_stored(live, stored)
    assert not any(c.identical for c in comparisons)
    assert not all(c.ok for c in comparisons)


def test_missing_and_stale_results_are_named(tiny_figure, monkeypatch):
    _, root = tiny_figure
    with pytest.raises(FileNotFoundError, match=r"seed2\.npz.*make_results\.py tiny"):
        figures.load_figure("tiny", seeds=(0, 2), root=root)
    changed = {k: v.replace(lr=v.lr * 2) for k, v in figures.FIGURES["tiny"].items()}
    monkeypatch.setitem(figures.FIGURES, "tiny", changed)
    with pytest.raises(ValueError, match="different config"):
        figures.load_figure("tiny", seeds=(0,), root=root)


def test_results_are_found_by_argument_environment_or_package(tiny_figure, monkeypatch):
    _, root = tiny_figure
    monkeypatch.delenv("GDLIB_RESULTS", raising=False)
    assert figures.results_dir() == figures.PACKAGED_RESULTS
    assert (figures.PACKAGED_RESULTS / "fig4").is_dir()      # shipped with the package
    monkeypatch.setenv("GDLIB_RESULTS", str(root))
    assert figures.results_dir() == root
    assert len(figures.load_figure("tiny", seeds=(0, 1))["fast"]) == 2
    assert figures.results_dir(root / "elsewhere") == root / "elsewhere"   # argument first
    monkeypatch.setenv("GDLIB_RESULTS", "relative/path")
    with pytest.raises(ValueError, match="GDLIB_RESULTS must be an absolute path"):
        figures.results_dir()


def test_a_missing_twin_is_named(tiny_figure):
    data, root = tiny_figure
    stored = figures.load_figure("tiny", seeds=(1,), root=root)
    live = figures.run_figure("tiny", data, seed=0, labels=["fast"])
    with pytest.raises(LookupError, match=r"no stored twin of 'fast' for seed 0.*seeds: \[1\]"):
        figures.check_against_stored(live, stored)
    with pytest.raises(KeyError, match="no stored runs labelled 'fast'"):
        figures.check_against_stored(live, {"slow": stored["slow"]})


# -- claims -------------------------------------------------------------------------------


def fake(loss, acc=0.95, diverged_at=None, **cfg):
    """A History with a given loss curve and final accuracy."""
    loss = np.asarray(loss, dtype=float)
    return History(TrainConfig(**cfg), loss, np.array([0, len(loss)]), np.array([2.3, 0.1]),
                   np.array([0.1, acc]), diverged_at=diverged_at)


def decay(rate, n=2000, floor=0.05, noise=0.0, seed=0):
    rng = np.random.default_rng(seed)
    it = np.arange(n)
    return 2.3 * np.exp(-rate * it) + floor + noise * np.abs(rng.standard_normal(n))


def test_thresholds_are_read_when_a_claim_is_checked(monkeypatch):
    """Setting claims.LOSS_THRESHOLD (exercise 8.3) moves the verdict, not only the text."""
    stored = supporting_figures()
    # eta 0.01 ends below 0.3 late; at a threshold neither run reaches, claim 2 is open
    assert claims.check_claims(stored)[1].reproduces
    monkeypatch.setattr(claims, "LOSS_THRESHOLD", 0.01)
    row = claims.check_claims(stored)[1]
    assert row.verdict == claims.INCONCLUSIVE and "< 0.01" in row.evidence
    assert "10 runs never got there" in str(row.tests[0])
    monkeypatch.setattr(claims, "SMALL_ACCURACY_GAP", 0.0001)
    assert not claims.check_claims(supporting_figures())[6].reproduces


def seeds(make):
    return [make(s) for s in range(5)]


def noisy(rate, seed, noise=0.05):
    """A decaying loss whose tail fluctuation is the seed's noise (the same for every rate)."""
    return decay(rate, noise=noise, seed=seed)


def supporting_figures():
    """Synthetic runs shaped the way the paper describes its figures."""
    return {
        "fig3": {"eta = 0.01": seeds(lambda s: fake(decay(0.002, noise=0.5, seed=s), 0.95)),
                 "eta = 0.1": seeds(lambda s: fake(decay(0.0, floor=1.0, seed=s), 0.5))},
        "fig4": {"eta = 0.1": seeds(lambda s: fake(noisy(0.02, s), 0.97)),
                 "eta = 0.01": seeds(lambda s: fake(noisy(0.005, s), 0.93))},
        "fig5": {f"momentum = {m}": seeds(lambda s, m=m: fake(noisy(0.005 * (1 + m), s), 0.95))
                 for m in (0.1, 0.3, 0.5, 0.7, 0.9)},
        "fig6": {f"gamma = {g}": seeds(lambda s, g=g: fake(decay(0.01 * (1.2 - g)), 0.96))
                 for g in (0.5, 0.3, 0.1)},
        "fig7": {"SGD": seeds(lambda s: fake(decay(0.003), 0.92)),
                 "Momentum": seeds(lambda s: fake(decay(0.02), 0.97)),
                 "AdaGrad": seeds(lambda s: fake(decay(0.01), 0.960)),
                 "Adadelta": seeds(lambda s: fake(decay(0.011), 0.962)),
                 "Adadelta x 0.01": seeds(lambda s: fake(decay(0.0001), 0.60))},
    }


def test_claims_reproduce_on_runs_that_support_them():
    results = claims.check_claims(supporting_figures())
    assert [c.row for c in results] == ["1", "2", "3", "4a", "4b", "5", "6", "7"]
    assert [c.verdict for c in results] == ["yes"] * 7 + ["no"]
    assert all(c.evidence and c.criterion and c.measure and c.on_test_data for c in results)
    assert all(c.n == 5 and set(c.verdicts) == {0.5, 1.0, 2.0} for c in results)
    assert "±" in results[1].evidence
    assert "faster = fewer updates" in results[1].measure          # one definition per row
    assert "lower final training loss" in results[6].measure
    assert "test loss" in results[6].on_test_data and "accuracy" in results[6].on_test_data


@pytest.mark.parametrize("figure, label, make, claim_index", [
    # batch 1 at eta 0.1 converging after all
    ("fig3", "eta = 0.1", lambda s: fake(decay(0.002), 0.95), 0),
    # eta 0.01 faster than 0.1 at batch 256
    ("fig4", "eta = 0.01", lambda s: fake(noisy(0.05, s), 0.98), 1),
    # momentum 0.7 slower than 0.5
    ("fig5", "momentum = 0.7", lambda s: fake(decay(0.001), 0.95), 2),
    # momentum 0.7 far ahead of 0.1 in accuracy
    ("fig5", "momentum = 0.7", lambda s: fake(decay(0.009), 0.99), 3),
    # momentum 0.9 fluctuating twice as much as SGD at its effective rate
    ("fig5", "momentum = 0.9", lambda s: fake(noisy(0.0095, s, noise=0.1), 0.95), 4),
    # window 19 no longer the fastest
    ("fig6", "gamma = 0.1", lambda s: fake(decay(0.001), 0.96), 5),
    # AdaGrad far ahead of Adadelta
    ("fig7", "Adadelta", lambda s: fake(decay(0.002), 0.90), 6),
])
def test_each_claim_can_fail(figure, label, make, claim_index):
    stored = supporting_figures()
    stored[figure][label] = seeds(make)
    assert claims.check_claims(stored)[claim_index].verdict == claims.NO


def test_seeds_that_disagree_give_an_inconclusive_verdict():
    """Adadelta ahead in three seeds and behind in two: the interval straddles 0."""
    stored = supporting_figures()
    stored["fig7"]["Adadelta"] = seeds(
        lambda s: fake(decay(0.01, floor=0.05 + (0.004 if s < 3 else -0.006)), 0.962))
    row = claims.check_claims(stored)[6]
    assert row.tests[0].interval.contains(0.0)
    assert row.verdict == claims.INCONCLUSIVE and not row.reproduces


@pytest.mark.parametrize("rule, low, high, bound, verdict", [
    ("above", 0.1, 0.3, 0.0, "yes"), ("above", -0.3, -0.1, 0.0, "no"),
    ("above", -0.1, 0.1, 0.0, "inconclusive"), ("above", 0.0, 0.2, 0.0, "inconclusive"),
    ("below", 0.01, 0.04, 0.05, "yes"), ("below", 0.06, 0.08, 0.05, "no"),
    ("within", -0.004, 0.006, 0.01, "yes"), ("within", 0.022, 0.025, 0.01, "no"),
    ("within", -0.025, -0.022, 0.01, "no"), ("within", 0.005, 0.015, 0.01, "inconclusive"),
])
def test_decide_reads_the_interval_against_the_bound(rule, low, high, bound, verdict):
    interval = metrics.Interval((low + high) / 2, low, high, 5)
    assert claims.decide(interval, rule, bound) == verdict


def test_decide_names_a_bad_rule():
    with pytest.raises(ValueError, match="rule must be 'above', 'below' or 'within'"):
        claims.decide(metrics.Interval(0, 0, 0, 5), "over", 0.0)


def test_verdicts_at_half_and_twice_the_thresholds():
    """Row 4a's gap of 0.015 is 'no' at 0.01 and 0.005, 'yes' at 0.02."""
    stored = supporting_figures()
    stored["fig5"]["momentum = 0.7"] = seeds(lambda s: fake(noisy(0.0085, s), 0.965))
    row = claims.check_claims(stored)[3]
    assert row.verdicts == {1.0: "no", 0.5: "no", 2.0: "yes"}


def test_a_run_that_never_gets_there_counts_at_its_length():
    """A bound that shrinks the difference: never reached (2,000) minus 500 is +1,500."""
    slow = seeds(lambda s: fake(decay(0.0, floor=1.0)))
    fast = seeds(lambda s: fake(np.r_[np.ones(500), np.full(1500, 0.1)]))
    test = claims.faster("slow", slow, "fast", fast, 0.3)
    assert test.interval.mean == pytest.approx(2000 - 538)   # smoothed over 50: at 538
    assert test.verdict == claims.YES and "5 runs never got there" in test.what


def test_a_real_tiny_run_gives_a_verdict():
    """The claims run on real Histories too (not only on fakes)."""
    h = train(TrainConfig(sizes=(20, 16, 3), batch_size=16, iterations=60, lr=0.3),
              make_clusters())
    assert 0 <= metrics.final_accuracy(h) <= 1
    assert np.isfinite(metrics.fluctuation(h))


@pytest.mark.parametrize("stored_acc, live_acc, live_diverged, ok", [
    (0.95, 0.95, False, True),     # converged twins that agree
    (0.95, 0.93, False, False),    # converged, but 2 points apart
    (0.95, 0.95, True, False),     # live diverged where the stored run converged
    (0.20, 0.60, False, True),     # both failed, at different places: chaotic, fine
    (0.20, 0.95, False, False),    # stored failed, live converged
    (0.20, 0.20, True, True),      # stored failed, live diverged
])
def test_failed_runs_are_compared_by_outcome(stored_acc, live_acc, live_diverged, ok):
    cfg = TrainConfig()
    twin = fake(decay(0.01), stored_acc)
    live = fake(decay(0.01), live_acc, diverged_at=100 if live_diverged else None)
    twin.config = live.config = cfg
    [c] = figures.check_against_stored({"run": live}, {"run": [twin]})
    assert c.ok == ok


def test_the_run_cache_returns_the_same_history_without_training(tiny_figure, monkeypatch,
                                                                  tmp_path):
    data, _ = tiny_figure
    monkeypatch.setenv("GDLIB_RUN_CACHE", str(tmp_path / "cache"))
    first = figures.run_figure("tiny", data, seed=0)
    assert len(list((tmp_path / "cache").glob("*.npz"))) == 2
    assert all(h.meta["seconds"] > 0 for h in first.values())     # how long it trained
    monkeypatch.setattr(sweep, "train", lambda *a, **k: pytest.fail("trained again"))
    again = figures.run_figure("tiny", data, seed=0)
    assert all(again[label].equals(first[label]) for label in first)
    assert all(again[label].meta["seconds"] == first[label].meta["seconds"] for label in first)
    with pytest.raises(pytest.fail.Exception, match="trained again"):   # another seed
        figures.run_figure("tiny", data, seed=1)
    other = make_clusters(seed=7, spread=3.0)       # same name and shapes, other numbers
    with pytest.raises(pytest.fail.Exception, match="trained again"):   # other data
        figures.run_figure("tiny", other, seed=0)


def test_without_the_run_cache_every_run_trains(tiny_figure, monkeypatch):
    data, _ = tiny_figure
    monkeypatch.delenv("GDLIB_RUN_CACHE", raising=False)
    runs = []
    empty = np.zeros(0)
    monkeypatch.setattr(sweep, "train", lambda cfg, d: runs.append(
        History(cfg, empty, empty, empty, empty)) or runs[-1])
    result = figures.run_figure("tiny", data)
    assert list(result.values()) == runs and len(runs) == 2
    assert all(h.meta["seconds"] >= 0 for h in runs)


def test_the_claims_chapters_4_and_5_call_match_the_table():
    """Chapters 4 and 5 call single claims; each is its row of check_claims."""
    stored = supporting_figures()
    rows = {c.row: c for c in claims.check_claims(stored)}
    single = {"1": claims.batch_one(stored["fig3"], stored["fig4"]),
              "2": claims.batch_256(stored["fig4"]),
              "3": claims.momentum_faster(stored["fig5"]),
              "4a": claims.momentum_small_differences(stored["fig5"])}
    for row, claim in single.items():
        assert claim.row == row and claim.verdict == rows[row].verdict
        assert claim.evidence == rows[row].evidence and claim.criterion == rows[row].criterion


def test_rows_and_verdicts_read_as_the_tables_print_them():
    assert claims.in_words(["1", "2", "3"]) == "1, 2 and 3"
    assert claims.in_words(["4a"]) == "4a" and claims.in_words([]) == "none"
    interval = metrics.Interval(0.5, 0.2, 0.8, 5)
    row = claims.Claim("9", "Sec. 4", "x", "m", "e", [claims.Test("t", interval, "above", 0.0)],
                       "c", "d", verdicts={1.0: "yes", 0.5: "no", 2.0: "inconclusive"})
    assert row.brief() == "**yes** (½×: no; 2×: inconclusive)"


@pytest.mark.parametrize("name", sorted(figures.FIGURES))
def test_every_figure_is_stored_for_every_seed(name):
    """Each figure's five seeds are in the results folder, made from today's configs
    (``load_figure`` raises, naming the command, where one is missing or stale)."""
    stored = figures.load_figure(name)
    assert sorted(stored) == sorted(figures.FIGURES[name])
    assert all(len(runs) == len(figures.SEEDS) for runs in stored.values())


@pytest.mark.parametrize("name", ["fig3", "fig4", "fig5", "fig6", "fig7"])
def test_the_papers_figures_are_stored_on_fashion_mnist_too(name):
    stored = figures.load_figure(name, dataset="fashion")
    assert {h.config.dataset for runs in stored.values() for h in runs} == {"fashion"}
