"""The audit sample (deterministic, at its rate) and the live precision/recall estimate from it."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from lovemachine.categories import CATEGORIES
from lovemachine.policy import Action
from lovemachine.review.audit import AuditSample, SampledDecision, sample_point
from lovemachine.review.records import LabelRecord
from trainers.live_quality import estimate_live_quality

T0 = datetime(2026, 11, 23, tzinfo=UTC)
THRESHOLDS = {c: {"report": 0.5, "hide": 0.85} for c in CATEGORIES}


def test_the_audit_draw_is_deterministic_and_close_to_its_rate() -> None:
    sample = AuditSample(rate_hidden=0.01, rate_allowed=0.001)
    n = 200_000
    hidden = [i for i in range(n) if sample.selects(f"L{i}", 1, Action.HIDE)]
    allowed = [i for i in range(n) if sample.selects(f"L{i}", 1, Action.ALLOW)]
    assert hidden == [i for i in range(n) if sample.selects(f"L{i}", 1, "hide")]  # a replay draws the same
    assert abs(len(hidden) / n - 0.01) < 0.001  # 2,000 expected; sd ~ 45
    assert abs(len(allowed) / n - 0.001) < 0.0003  # 200 expected; sd ~ 14
    assert set(allowed) <= set(hidden)  # one draw per listing version: the rarer stratum nests
    assert not any(sample.selects(f"L{i}", 1, Action.REPORT) for i in range(1000))  # reports: all reviewed
    assert sample_point("L1", 1) != sample_point("L1", 2)  # a new version is a new draw
    assert sample_point("L1", 1, "salt-a") != sample_point("L1", 1, "salt-b")
    with pytest.raises(ValueError, match="rate_hidden"):
        AuditSample(rate_hidden=1.5)


def _label(i: int, listing_id: str, label: str, source: str) -> LabelRecord:
    violation = label != "no_violation"
    return LabelRecord(
        id=i,
        listing_id=listing_id,
        listing_version=1,
        review_item_id=i,
        category=label if violation else None,
        violation=violation,
        source=source,
        reviewer="ann",
        note="",
        model_version="m1",
        thresholds=None,
        auto_hidden=False,
        created_at=T0,
    )


def _population(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """n listings, at most one violation each (6% counterfeit, 4% cash), scores that rank them well."""
    rng = np.random.default_rng(seed)
    truth = rng.choice([-1, 0, 2], size=n, p=[0.90, 0.06, 0.04])  # category index, -1 = clean
    y = np.zeros((n, len(CATEGORIES)), dtype=bool)
    y[truth >= 0, truth[truth >= 0]] = True
    scores = np.where(y, rng.beta(5, 2, y.shape), rng.beta(1, 9, y.shape))
    actions = np.where(
        (scores >= 0.85).any(axis=1), "hide", np.where((scores >= 0.5).any(axis=1), "report", "allow")
    )
    return y, scores, list(actions)


def test_the_estimate_recovers_known_precision_and_recall_and_the_naive_one_does_not() -> None:
    n = 60_000
    y, scores, actions = _population(n, seed=3)
    audit = AuditSample(rate_hidden=0.1, rate_allowed=0.02)
    sample, strata = [], {h: {"decisions": actions.count(h)} for h in ("hide", "report", "allow")}
    for i in range(n):
        lid = f"P{i}"
        if actions[i] != "report" and not audit.selects(lid, 1, actions[i]):
            continue
        cat = next((c for k, c in enumerate(CATEGORIES) if y[i, k]), "no_violation")
        source = "cs" if actions[i] == "report" else "audit"
        sample.append(
            SampledDecision(
                decision_id=i,
                listing_id=lid,
                listing_version=1,
                action=actions[i],
                scores=dict(zip(CATEGORIES, scores[i].tolist(), strict=True)),
                labels=(_label(i, lid, cat, source),),
            )
        )
    est = estimate_live_quality(sample, strata, THRESHOLDS, resamples=400, seed=1)
    assert est["strata"]["allow"]["labelled"] < 0.03 * strata["allow"]["decisions"]
    for k, c in ((0, "counterfeit"), (2, "cash")):
        for op, cut in (("act", 0.5), ("hide", 0.85)):
            pred = scores[:, k] >= cut
            tp = (pred & y[:, k]).sum()
            true_p, true_r = tp / pred.sum(), tp / y[:, k].sum()
            got = est["categories"][c][op]
            for name, truth in (("precision", true_p), ("recall", true_r)):
                e = got[name]
                assert abs(e["estimate"] - truth) < 0.03, (c, op, name, e, truth)
                assert e["low"] - 0.01 <= truth <= e["high"] + 0.01, (c, op, name, e, truth)
                assert e["high"] - e["low"] < 0.15
        # labels alone overstate recall: the misses among allowed listings are hardly ever labelled
        act = est["categories"][c]["act"]
        assert act["naive_recall"] > act["recall"]["estimate"] + 0.05
    assert est["categories"]["adult"]["act"]["recall"]["estimate"] is None  # no positives at all
    assert est["notes"] == []


def test_a_stratum_without_labels_is_left_out_with_a_note() -> None:
    d = SampledDecision(1, "L1", 1, "report", {c: 0.7 for c in CATEGORIES}, (_label(1, "L1", "cash", "cs"),))
    est = estimate_live_quality([d], {"report": {"decisions": 1}, "allow": {"decisions": 500}}, THRESHOLDS)
    assert est["categories"]["cash"]["act"]["precision"]["estimate"] == 1.0
    assert any("'allow' decisions" in n and "recall" in n for n in est["notes"])
