import numpy as np
import pytest

from lovemachine.policy.thresholds import (
    ThresholdSpec,
    base_rate_weights,
    choose_thresholds,
    select_thresholds,
    threshold_at_precision,
    wilson_lower_bound,
)


def test_wilson_bound_is_below_the_point_estimate_and_tightens_with_n():
    lb10 = wilson_lower_bound(np.array([10]), np.array([10]), 1.0)[0]
    lb1000 = wilson_lower_bound(np.array([1000]), np.array([1000]), 1.0)[0]
    assert lb10 < lb1000 < 1.0
    assert wilson_lower_bound(np.array([50]), np.array([100]), 1.0)[0] < 0.5


def test_threshold_separates_perfectly_separable_scores():
    rng = np.random.default_rng(0)
    y = np.r_[np.ones(500), np.zeros(5000)]
    s = np.r_[rng.uniform(0.7, 1.0, 500), rng.uniform(0.0, 0.6, 5000)]
    t = threshold_at_precision(y, s, 0.99)
    assert t <= 0.7  # every positive kept
    assert y[s >= t].mean() >= 0.99


def test_threshold_moves_up_when_negatives_score_high():
    rng = np.random.default_rng(1)
    y = np.r_[np.ones(1000), np.zeros(1000)]
    s = np.r_[rng.uniform(0.5, 1.0, 1000), rng.uniform(0.0, 0.75, 1000)]
    t99 = threshold_at_precision(y, s, 0.99)
    t80 = threshold_at_precision(y, s, 0.80)
    assert t99 >= 0.74  # above the negatives' range
    assert t80 < t99
    flagged = s >= t99
    assert y[flagged].mean() >= 0.99


def test_unreachable_target_means_never():
    y = np.array([1, 0] * 100)
    s = np.linspace(0, 1, 200)
    assert threshold_at_precision(y, s, 0.99) == 1.0
    assert threshold_at_precision(np.zeros(10), np.linspace(0, 1, 10), 0.9) == 1.0


def test_choose_thresholds_orders_report_below_hide():
    rng = np.random.default_rng(2)
    y = np.r_[np.ones(400), np.zeros(4000)]
    s = np.r_[rng.beta(5, 1, 400), rng.beta(1, 5, 4000)]
    t = choose_thresholds(y, s, hide_precision=0.99, report_precision=0.8)
    assert t.report <= t.hide
    with pytest.raises(ValueError):
        choose_thresholds(y, s, hide_precision=0.5, report_precision=0.9)


def test_report_threshold_does_not_sink_into_the_noise_of_a_near_perfect_model():
    rng = np.random.default_rng(3)
    y = np.r_[np.ones(300), np.zeros(5000)]
    s = np.r_[rng.uniform(0.9, 1.0, 300), 10 ** rng.uniform(-7, -2, 5000)]
    t = choose_thresholds(y, s)
    assert t.report >= 0.005  # the cumulative rule alone would report negatives scoring 1e-6
    assert (s[y == 1] >= t.report).all()


def test_marginal_cutoff_stops_where_the_margin_turns_impure():
    from lovemachine.policy.thresholds import marginal_cutoff

    s = np.linspace(1, 0, 200)
    y = np.r_[np.ones(100), np.zeros(100)]
    cut = marginal_cutoff(y, s, 0.5, window=20)
    assert 0.45 <= cut <= 0.6


# --------------------------------------------------------------------------- review-capacity cap
def test_flag_rate_threshold_flags_at_most_the_allowed_share():
    from lovemachine.policy.thresholds import threshold_at_flag_rate

    s = np.linspace(0.0, 1.0, 1001)
    t = threshold_at_flag_rate(s, 0.05)
    assert (s >= t).mean() <= 0.05
    assert (s >= t).sum() == 50  # the lowest such threshold: exactly the allowed count
    assert threshold_at_flag_rate(s, 1.0) == 0.0
    with pytest.raises(ValueError):
        threshold_at_flag_rate(s, 1.5)


def test_flag_rate_threshold_keeps_ties_together():
    from lovemachine.policy.thresholds import threshold_at_flag_rate

    s = np.r_[np.full(10, 0.9), np.linspace(0.0, 0.5, 90)]
    assert threshold_at_flag_rate(s, 0.05) == 1.0  # the top 10 are tied: flag none of them
    assert threshold_at_flag_rate(s, 0.10) == pytest.approx(0.9)


def test_capacity_cap_raises_the_report_threshold_until_the_flag_rate_fits():
    rng = np.random.default_rng(4)
    y = np.r_[np.ones(500), np.zeros(9500)]
    # positives spread over (0.3, 1); a thin tail of negatives in (0.3, 0.6) makes a wide report band
    s = np.r_[rng.uniform(0.3, 1.0, 500), rng.uniform(0.0, 0.3, 9440), rng.uniform(0.3, 0.6, 60)]
    free = choose_thresholds(y, s)
    capped = choose_thresholds(y, s, max_flag_rate=0.04)
    assert (s >= free.report).mean() > 0.04  # the cap binds on this data
    assert (s >= capped.report).mean() <= 0.04
    assert (s >= capped.report).mean() > 0.035  # raised only as far as needed
    assert capped.report > free.report
    assert capped.hide == free.hide  # the cap moves only the report band
    assert capped.report <= capped.hide


def test_capacity_cap_that_does_not_bind_changes_nothing_and_existing_callers_keep_working():
    rng = np.random.default_rng(5)
    y = np.r_[np.ones(200), np.zeros(5000)]
    s = np.r_[rng.beta(8, 1, 200), rng.beta(1, 8, 5000)]
    assert choose_thresholds(y, s, max_flag_rate=0.5) == choose_thresholds(y, s)
    assert choose_thresholds(y, s, max_flag_rate=None) == choose_thresholds(y, s)


def test_capacity_cap_below_the_hide_rate_empties_the_report_band():
    rng = np.random.default_rng(6)
    y = np.r_[np.ones(2000), np.zeros(8000)]
    s = np.r_[rng.uniform(0.8, 1.0, 2000), rng.uniform(0.0, 0.5, 8000)]
    t = choose_thresholds(y, s, max_flag_rate=0.01)
    assert t.report == t.hide  # never above hide, even though hides alone exceed the cap


# --- issue 11: thresholds at the live base rate, the capacity cap in deployed thresholds ----------


def _overlapping(seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """20% positives over (0.5, 1); a thin tail of negatives reaches into them, up to 0.8."""
    rng = np.random.default_rng(seed)
    y = np.r_[np.ones(2000), np.zeros(8000)]
    s = np.r_[rng.uniform(0.5, 1.0, 2000), rng.uniform(0.0, 0.5, 7950), rng.uniform(0.5, 0.8, 50)]
    return y, s


def test_base_rate_weights_sum_to_the_row_count_and_shift_the_mix():
    y, _ = _overlapping()
    w = base_rate_weights(y, 0.02)
    assert w.sum() == pytest.approx(len(y))
    assert (w[y == 1] * 1).sum() / w.sum() == pytest.approx(0.02)
    assert np.all(base_rate_weights(y, None) == 1)
    with pytest.raises(ValueError):
        base_rate_weights(y, 0.0)


def test_hide_threshold_at_a_low_live_base_rate_is_stricter_than_at_the_validation_mix():
    y, s = _overlapping()
    at_mix = choose_thresholds(y, s)
    at_live = choose_thresholds(y, s, base_rate=0.02)
    assert at_live.hide > at_mix.hide

    # live precision above each hide threshold: false positives weigh (0.98/0.8)/(0.02/0.2) = 12.25x
    def live_precision(t: float) -> float:
        tp, fp = ((s >= t) & (y == 1)).sum(), ((s >= t) & (y == 0)).sum()
        return tp * 0.1 / (tp * 0.1 + fp * 1.225)

    assert live_precision(at_mix.hide) < 0.99 <= live_precision(at_live.hide)


def test_select_thresholds_uses_configured_base_rates_per_category():
    y, s = _overlapping()
    Y, S = np.column_stack([y, y]), np.column_stack([s, s])
    spec = ThresholdSpec(base_rates={"a": 0.02, "b": 0.2})
    out = select_thresholds(Y, S, spec, ("a", "b"))
    assert out["a"].hide > out["b"].hide
    assert out["b"] == choose_thresholds(y, s)  # 0.2 is the validation mix itself


def test_capacity_cap_is_shared_by_categories_and_judged_at_the_live_rate():
    y, s = _overlapping()
    Y, S = np.column_stack([y, y]), np.column_stack([s, s])
    rates = {"a": 0.1, "b": 0.1}
    free = select_thresholds(Y, S, ThresholdSpec(base_rates=rates), ("a", "b"))
    capped = select_thresholds(Y, S, ThresholdSpec(base_rates=rates, max_flag_rate=0.12), ("a", "b"))
    w = base_rate_weights(y, 0.1)
    assert w[s >= free["a"].report].sum() / w.sum() > 0.06  # uncapped, the band is wider than the cap
    for c in ("a", "b"):
        live_flag_rate = w[s >= capped[c].report].sum() / w.sum()
        assert 0.055 < live_flag_rate <= 0.06 + 1e-9  # each category gets half of the 12% cap
        assert capped[c].report > free[c].report
        assert capped[c].hide == free[c].hide
