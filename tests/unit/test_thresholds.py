import numpy as np
import pytest

from lovemachine.policy.thresholds import choose_thresholds, threshold_at_precision, wilson_lower_bound


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
