"""The thresholds a trained model ships with come from the one threshold function, with the live base
rates and the review-capacity cap applied (not only in offline evaluation)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from lovemachine.categories import CATEGORIES
from lovemachine.listings import LabelledListing
from lovemachine.policy import Policy
from lovemachine.policy.thresholds import ThresholdSpec, base_rate_weights, select_thresholds
from trainers.train import TrainConfig, fit


def _y(rows: list[LabelledListing]) -> np.ndarray:
    return np.array([r.label_vector() for r in rows])


def test_capacity_cap_and_base_rates_reach_the_deployed_thresholds(
    synthetic_rows: list[LabelledListing],
) -> None:
    train, valid = synthetic_rows[:3000], synthetic_rows[3000:4500]
    rates = {c: 0.05 for c in CATEGORIES}
    base = TrainConfig(seed=0, base_rates=rates, max_flag_rate=None)
    free = fit(train, valid, base)
    capped = fit(train, valid, replace(base, max_flag_rate=0.02))
    y, s = _y(valid), capped.valid_scores
    shares = np.full(len(CATEGORIES), 1 / len(CATEGORIES))  # equal live rates: equal shares of the cap
    tightened = 0
    for k, c in enumerate(CATEGORIES):
        t, u = capped.policy.thresholds[c], free.policy.thresholds[c]
        w = base_rate_weights(y[:, k], rates[c])
        flagged = w[s[:, k] >= t.report].sum() / w.sum()
        assert flagged <= 0.02 * shares[k] + 1e-9 or t.report == t.hide, (c, flagged)
        assert t.report >= u.report and t.hide == u.hide
        tightened += t.report > u.report
    assert tightened  # the cap binds somewhere on this data


def test_deployed_thresholds_are_the_one_function_applied_to_the_configured_spec(
    synthetic_rows: list[LabelledListing],
) -> None:
    train, valid = synthetic_rows[:3000], synthetic_rows[3000:4500]
    config = TrainConfig(seed=0, base_rates={c: 0.05 for c in CATEGORIES}, max_flag_rate=0.01)
    fitted = fit(train, valid, config)
    spec = ThresholdSpec(
        hide_precision=0.99, report_precision=0.8, base_rates=config.base_rates, max_flag_rate=0.01
    )
    expected = select_thresholds(_y(valid), fitted.valid_scores, spec, CATEGORIES)
    assert fitted.policy == Policy(expected)
    default = select_thresholds(_y(valid), fitted.valid_scores, ThresholdSpec(), CATEGORIES)
    assert Policy(default) != fitted.policy  # the spec matters on these scores
