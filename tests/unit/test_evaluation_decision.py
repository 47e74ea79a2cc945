"""The offline evaluation's decision: when a candidate is eligible against the live model (mean
improvement, paired bootstrap, per-category regression, the clean-listing rules)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lovemachine.categories import CATEGORIES
from lovemachine.listings import LabelledListing, parse_labelled
from synth import generate
from tests.unit.test_evaluation import raw_config
from trainers.evaluation.config import EvalConfig, EvaluationError, parse_config
from trainers.evaluation.decision import judge
from trainers.evaluation.metrics import Cut


def _decision_config(**eligibility: Any) -> EvalConfig:
    raw = raw_config(eligibility={"bootstrap_resamples": 50, **eligibility})
    return parse_config(raw, base_dir=Path("."))


def _scores(y: np.ndarray, noise: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(y * 0.6 + rng.normal(0.2, noise, y.shape), 0, 1)


def test_a_worse_candidate_is_not_eligible_and_a_better_one_is() -> None:
    rng = np.random.default_rng(2)
    y = (rng.random((800, 4)) < 0.1).astype(np.int8)
    scores = {"live": _scores(y, 0.2, 3), "better": _scores(y, 0.05, 4), "worse": _scores(y, 0.5, 5)}
    sources = {"live": "champion", "better": "train", "worse": "artifact", "keyword_rules": "keyword_rules"}
    scores["keyword_rules"] = np.zeros_like(scores["live"])
    d = judge(_decision_config(), y, scores, sources)
    assert d["incumbent"] == "live"  # the champion, not the rules, when there is one
    assert d["candidates"]["better"]["eligible"] is True
    assert d["candidates"]["worse"]["eligible"] is False
    assert d["candidates"]["worse"]["mean_delta"] < 0
    assert set(d["candidates"]) == {"better", "worse"}  # only train/artifact candidates are judged
    assert any(r.startswith("FAIL") for r in d["candidates"]["worse"]["reasons"])


def test_a_single_category_regression_blocks_eligibility() -> None:
    rng = np.random.default_rng(6)
    y = (rng.random((800, 4)) < 0.1).astype(np.int8)
    inc = _scores(y, 0.4, 7)
    cand = _scores(y, 0.05, 8)
    cand[:, 1] = _scores(y, 0.8, 9)[:, 1]  # much better on three categories, worse on adult
    d = judge(_decision_config(), y, {"inc": inc, "cand": cand}, {"inc": "champion", "cand": "train"})
    v = d["candidates"]["cand"]
    assert v["mean_delta"] > 0 and v["eligible"] is False
    assert v["reasons"][-1].startswith("FAIL") and "adult" in v["reasons"][-1]
    lenient = judge(
        _decision_config(max_category_regression=1.0),
        y,
        {"inc": inc, "cand": cand},
        {"inc": "champion", "cand": "train"},
    )
    assert lenient["candidates"]["cand"]["eligible"] is True


def test_without_an_incumbent_the_verdict_is_undecided_and_rules_stand_in_for_a_missing_champion() -> None:
    y = np.eye(4, dtype=np.int8).repeat(10, axis=0)
    s = y.astype(float)
    d = judge(_decision_config(), y, {"c": s}, {"c": "train"})
    assert d["incumbent"] is None and d["candidates"]["c"]["eligible"] is None
    d = judge(
        _decision_config(),
        y,
        {"c": s, "keyword_rules": s * 0},
        {"c": "train", "keyword_rules": "keyword_rules"},
    )
    assert d["incumbent"] == "keyword_rules" and d["candidates"]["c"]["eligible"] is True


def test_a_run_with_no_model_to_evaluate_fails_and_says_why() -> None:
    from trainers.evaluation.run import run_evaluation

    cfg = parse_config(raw_config(candidates=[{"source": "champion"}], baselines={}), base_dir=Path("."))
    with pytest.raises(EvaluationError, match=r"nothing to evaluate.*no database at x"):
        run_evaluation(cfg, registry=None, registry_note="no database at x")


# --------------------------------------------------------------------------- end to end through the CLI


def _clean_rows() -> list[LabelledListing]:
    rows = [parse_labelled(d) for d in generate(40, seed=12, rates={"hard_negative": 1.0})]
    clean = [r for r in rows if not any(r.label_vector())][:20]
    positive = next(r for r in rows if any(r.label_vector()))
    other = clean[0].model_copy(update={"tags": [*clean[0].tags, "label:other"]})
    tagged = [r.model_copy(update={"tags": [*r.tags, "set:regression"]}) for r in clean[:10]]
    return [*tagged, *clean[10:], positive, other]


def test_clean_stats_count_what_each_model_would_report_or_hide_among_clean_rows() -> None:
    from trainers.evaluation.clean import clean_stats

    rows = _clean_rows()  # 10 regression clean, 10 other clean, 1 positive, 1 labelled 'other'
    cuts = dict.fromkeys(CATEGORIES, Cut(report=0.5, hide=0.9))
    s = np.zeros((len(rows), len(CATEGORIES)))
    s[:3, 0] = 0.95  # three regression rows hidden (counterfeit)
    s[10:14, 2] = 0.6  # four other clean rows reported (cash)
    s[20:, 1] = 0.99  # the positive and the 'other' row: not clean, not counted
    st = clean_stats(rows, s, cuts)
    assert (st.rows, st.flagged, st.hidden) == (20, 7, 3)
    assert (st.regression_rows, st.regression_hidden) == (10, 3)
    assert st.flag_rate == pytest.approx(0.35)
    assert st.by_set["set:regression"] == {"rows": 10, "flagged": 3, "hidden": 3}


def _clean(rows: int, flagged: int, hidden: int = 0, regression_hidden: int = 0) -> Any:
    from trainers.evaluation.clean import CleanStats

    return CleanStats(rows, flagged, hidden, 100, regression_hidden)


def _judge_clean(cand: Any, live: Any, **eligibility: Any) -> dict[str, Any]:
    y = np.eye(4, dtype=np.int8).repeat(10, axis=0)
    s = y.astype(float)  # the candidate ranks perfectly, the live model does not: PR-AUC passes it
    s_live = s * 0.5
    s_live[::3] += 0.6
    scores = {"live": s_live, "cand": s}
    config = _decision_config(bootstrap_resamples=0, **eligibility)
    d = judge(config, y, scores, {"live": "champion", "cand": "artifact"}, {"live": live, "cand": cand})
    return dict(d["candidates"]["cand"])


def test_a_candidate_that_flags_more_clean_listings_is_not_eligible_and_the_reason_says_by_how_much() -> None:
    rules = {
        "min_mean_improvement": 0.0,
        "max_clean_flag_rate_increase": 0.01,
        "max_regression_hide_increase": 0,
    }
    worse = _judge_clean(_clean(448, 56, hidden=9), _clean(448, 2), **rules)
    assert worse["eligible"] is False
    assert [r[:5] for r in worse["reasons"]] == ["PASS:", "PASS:", "FAIL:", "PASS:"]  # PR-AUC passes it
    expected = (
        "clean listings flagged 12.5% (56 of 448, 9 hidden) vs live 0.4% (2, 0 hidden) (at most +1.0 pt)"
    )
    assert f"FAIL: {expected}" in worse["reasons"]
    assert worse["clean"]["flag_rate"] == pytest.approx(56 / 448) and worse["incumbent_clean"]["flagged"] == 2
    within = _judge_clean(_clean(448, 6), _clean(448, 2), **rules)  # +0.9 pt
    assert within["eligible"] is True


def test_more_wrongful_hides_on_the_regression_set_than_live_block_eligibility() -> None:
    rules = {"max_clean_flag_rate_increase": 0.01, "max_regression_hide_increase": 0}
    v = _judge_clean(_clean(448, 3, hidden=1, regression_hidden=1), _clean(448, 3), **rules)
    assert v["eligible"] is False
    assert "FAIL: clean regression-set listings hidden 1 of 100 vs live 0 (at most +0)" in v["reasons"]
    lenient = _judge_clean(
        _clean(448, 3, hidden=1, regression_hidden=1),
        _clean(448, 3),
        **{**rules, "max_regression_hide_increase": 1},
    )
    assert lenient["eligible"] is True and lenient["reasons"][-1].startswith("PASS: clean regression-set")


def test_the_clean_rules_fail_when_no_false_positive_could_show_and_are_off_unless_configured() -> None:
    none = _judge_clean(_clean(0, 0), _clean(0, 0), max_clean_flag_rate_increase=0.01)
    assert none["eligible"] is False and "no clean rows in the test set" in none["reasons"][-1]
    off = _judge_clean(_clean(448, 56), _clean(448, 2))
    assert not any("clean" in r for r in off["reasons"])
