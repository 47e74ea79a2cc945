"""Calibration: scores become probabilities, checked with a reliability table."""

import numpy as np
import pytest

from lovemachine.classifiers.calibration import (
    ScoreCalibrator,
    cross_fit,
    expected_calibration_error,
    reliability_table,
)


def overconfident(n: int = 6000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Labels drawn with P(y=1) = sigmoid(x), scores = sigmoid(4x): right ranking, wrong probabilities."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 2, size=(n, 2))
    y = (rng.random((n, 2)) < 1 / (1 + np.exp(-x))).astype(int)
    return 1 / (1 + np.exp(-4 * x)), y


@pytest.mark.parametrize("method", ["isotonic", "sigmoid"])
def test_calibration_repairs_overconfident_scores(method):
    s, y = overconfident()
    s_new, y_new = overconfident(seed=1)
    cal = ScoreCalibrator(method=method).fit(s, y)
    before = expected_calibration_error(y_new[:, 0], s_new[:, 0])
    after = expected_calibration_error(y_new[:, 0], cal.transform(s_new)[:, 0])
    assert before > 0.08
    assert after < before / 3


def test_sigmoid_calibration_keeps_the_ranking():
    s, y = overconfident()
    out = ScoreCalibrator(method="sigmoid").fit(s, y).transform(s)
    order = np.argsort(s[:, 0])
    assert (np.diff(out[order, 0]) >= -1e-12).all()


def test_column_with_too_few_labels_is_left_alone():
    s = np.random.default_rng(0).random((100, 2))
    y = np.zeros((100, 2), dtype=int)
    y[:50, 0] = 1
    y[:2, 1] = 1  # two positives: nothing to calibrate with
    out = ScoreCalibrator().fit(s, y).transform(s)
    assert (out[:, 1] == s[:, 1]).all()
    assert not (out[:, 0] == s[:, 0]).all()


def test_cross_fit_calibrates_each_row_without_it():
    s, y = overconfident(2000)
    oof = cross_fit(ScoreCalibrator, s, y, folds=5)
    full = ScoreCalibrator().fit(s, y).transform(s)
    assert oof.shape == s.shape
    assert not np.allclose(oof, full)  # every row was calibrated by a map that never saw it
    assert expected_calibration_error(y[:, 0], oof[:, 0]) < expected_calibration_error(y[:, 0], s[:, 0])


def test_reliability_table_bins_every_row():
    p = np.array([0.05, 0.15, 0.15, 0.95, 1.0])
    y = np.array([0, 0, 1, 1, 1])
    table = reliability_table(y, p, bins=10)
    assert sum(r["count"] for r in table) == 5
    assert table[1]["count"] == 2 and table[1]["observed_rate"] == 0.5
    assert table[9]["count"] == 2  # 1.0 falls in the last bin


def test_unknown_method_is_refused():
    with pytest.raises(ValueError, match="unknown calibration method"):
        ScoreCalibrator(method="magic")
