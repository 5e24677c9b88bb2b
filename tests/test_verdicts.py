"""symlens.verdicts: the rules the status table and the claims ledger share, on constructed evidence."""

import numpy as np
import pytest

from symlens import verdicts


def _run(cos, edge=0.5, peak=0.5):
    return {"cosine_similarity": cos, "edge_fraction": edge, "filter_peak_fraction": peak}


def test_edge_error_judges_only_the_runs_that_learned_their_generator():
    u = 0.33
    assert verdicts.edge_error([_run(0.97, 0.8), _run(0.9, 0.6)], u).level == "reproduced"
    # one run did not learn its generator: its large error elsewhere does not count against the claim
    v = verdicts.edge_error([_run(0.97, 0.86), _run(0.4, 0.1)], u)
    assert v.level == "partly" and "0.86 against 0.33" in v.measured and "1 of 2 runs" in v.measured
    assert verdicts.edge_error([_run(0.97, 0.86), _run(0.9, 0.2)], u).level == "not yet"
    assert verdicts.edge_error([_run(0.5, 0.9)], u).level == "not tested"
    # the old ledger rule (median over runs with cos >= 0.5 at least 0.5) said "not reproduced" here
    assert verdicts.edge_error([_run(0.97, 0.86), _run(0.6, 0.2), _run(0.55, 0.3)], u).level == "partly"


def test_filter_delta_counts_runs_at_the_peak_threshold():
    p = verdicts.PEAK_DELTA
    assert verdicts.filter_delta([_run(0.1, peak=p), _run(0.1, peak=0.99)]).level == "reproduced"
    v = verdicts.filter_delta([_run(0.1, peak=0.93)] + [_run(0.1, peak=0.6)] * 3)
    assert v.level == "partly" and v.measured == f"peak fraction ≥ {p} in 1 of 4 runs (best 0.93)"
    assert verdicts.filter_delta([_run(0.1, peak=p - 0.01)]).level == "not yet"
    assert verdicts.filter_delta([]).level == "not tested"


def test_the_status_table_uses_these_thresholds():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "scripts" / "book_tables.py"
    spec = importlib.util.spec_from_file_location("book_tables", path)
    bt = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bt)
    assert bt.RULES["converged"] == verdicts.CONVERGED and bt.RULES["peak_delta"] == verdicts.PEAK_DELTA


def test_restarts_similar_is_the_spread_over_seeds_not_the_level():
    sd = verdicts.SEED_SD_MAX
    # two seeds 0.02 apart: sample sd 0.0141
    assert verdicts.restarts_similar({"a": {0: 0.97, 1: 0.99}, "b": {0: 0.96, 1: 0.96}}).level == "reproduced"
    # similar, but similar failures: partly
    assert verdicts.restarts_similar({"a": {0: 0.40, 1: 0.42}}).level == "partly"
    # the old status-table rule (some seed >= 0.95) said "partly" here; the spread says not yet
    v = verdicts.restarts_similar({"a": {0: 0.973, 1: 0.620}, "b": {0: 0.5}})
    assert v.level == "not yet" and "largest sd 0.250 (a)" in v.measured and "b seeds" not in v.measured
    assert verdicts.restarts_similar({"a": {0: 0.9}, "b": {1: 0.2}}).level == "not tested"
    # at the bar exactly: sd of (x, x + d) is d / sqrt(2)
    d = sd * 2 ** 0.5
    assert verdicts.restarts_similar({"a": {0: 0.9, 1: 0.9 + d - 1e-9}}).level == "reproduced"


def test_trained_checks_count_only_checks_on_trained_models():
    def check(kind, met):
        return {"kind": kind, "met": met}

    ident = [check("identity", False)] * 3  # identities are judged elsewhere: never counted here
    assert verdicts.trained_checks(ident + [check("trained", True)] * 2).level == "reproduced"
    v = verdicts.trained_checks(ident + [check("trained", True), check("trained", False)])
    assert v.level == "partly" and v.measured == "1 of 2 checks met"
    assert verdicts.trained_checks([check("trained", True)] + [check("trained", False)] * 2).level == "not yet"
    assert verdicts.trained_checks(ident).level == "not tested"


def test_paths_repeat_compares_curves_on_tau_not_on_their_own_sampling():
    t = np.linspace(0.0, 1.0, 21)
    rise = np.clip(1.2 * t, 0, 0.97)
    # the same (linear) path logged on another τ grid is the same path: gap 0
    t2 = np.linspace(0.0, 1.0, 7)
    same = {"a": {0: (t, 0.97 * t), 1: (t2, 0.97 * t2)}}
    v = verdicts.paths_repeat(same)
    assert v.level == "reproduced" and "gap 0.00" in v.measured
    # one seed lags by 0.2 in τ: at τ = 0.5 the curves are 0.60 and 0.36 apart by 0.24
    lag = {"a": {0: (t, rise), 1: (t, np.clip(1.2 * (t - 0.2), 0, 0.97))}}
    v = verdicts.paths_repeat(lag)
    assert v.level == "not yet" and "gap 0.24" in v.measured
    # paths that stall alike repeat, but the claim is about learning runs
    stall = {"a": {0: (t, 0.3 + 0 * t), 1: (t, 0.32 + 0 * t)}}
    assert verdicts.paths_repeat(stall).level == "partly"
    assert verdicts.paths_repeat({"a": {0: (t, rise)}}).level == "not tested"
    with pytest.raises(ValueError, match="one length"):
        verdicts.paths_repeat({"a": {0: (t, rise[:-1]), 1: (t, rise)}})


def test_all_datasets_learned_counts_datasets_at_the_reproduced_threshold():
    assert verdicts.all_datasets_learned({"a": 0.97, "b": 0.95}).level == "reproduced"
    v = verdicts.all_datasets_learned({"a": 0.97, "b": 0.94})
    assert v.level == "partly" and v.measured == "1 of 2 datasets at mean cos ≥ 0.95; lowest 0.940 (b)"
    assert verdicts.all_datasets_learned({"a": 0.90, "b": 0.85}).level == "not yet"
    assert verdicts.all_datasets_learned({}).level == "not tested"


def test_minimal_generator_judges_only_the_runs_that_learned():
    def run(cos, power):
        return {"cosine_similarity": cos, "best_power": power}
    assert verdicts.minimal_generator([run(0.97, 1), run(0.85, 1)]).level == "reproduced"
    assert verdicts.minimal_generator([run(0.97, 1), run(0.3, 2)]).level == "partly"  # the failed run is not judged
    v = verdicts.minimal_generator([run(0.97, 1), run(0.9, 2)])
    assert v.level == "not yet" and v.measured.startswith("best power 1 in 1 of the 2 runs")
    assert verdicts.minimal_generator([run(0.3, 1)]).level == "not tested"
