"""Score drift: the reference a model keeps and the PSI a worker reports against it."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from lovemachine.categories import CATEGORIES
from lovemachine.monitoring.drift import BIN_EDGES, psi, reference_distribution, reference_of, shares
from lovemachine.policy import Action, Decision
from workers.metrics import DRIFT_MIN, WorkerMetrics


def test_psi_is_zero_for_the_same_population_and_large_for_a_shifted_one() -> None:
    rng = np.random.default_rng(0)
    ref = shares(rng.beta(1, 20, 20_000))
    assert psi(ref, shares(rng.beta(1, 20, 20_000))) < 0.01
    assert psi(ref, shares(rng.beta(2, 5, 20_000))) > 0.25
    assert len(ref) == len(BIN_EDGES) - 1 and abs(sum(ref) - 1) < 1e-9


def test_the_reference_mixes_violations_and_clean_rows_at_the_live_base_rate() -> None:
    scores = np.array([[0.99] * 4, [0.98] * 4, [0.01] * 4, [0.02] * 4])
    y = np.array([[1] * 4, [1] * 4, [0] * 4, [0] * 4])
    as_is = reference_distribution(scores, y)
    live = reference_distribution(scores, y, {c: 0.02 for c in CATEGORIES})
    assert (
        as_is["cash"][-1] == 0.5
        and abs(live["cash"][-1] - 0.02) < 1e-9
        and abs(live["cash"][0] - 0.98) < 1e-9
    )
    assert reference_of({"reference_scores": live}) == live and reference_of({}) is None


def decision(score: float, model: str = "m1") -> Decision:
    return Decision(
        listing_id="L",
        listing_version=1,
        action=Action.ALLOW,
        scores={c: score for c in CATEGORIES},
        reasons=[],
        model_version=model,
        decided_at=datetime.now(UTC),
    )


def test_a_worker_reports_drift_for_its_champions_window_only() -> None:
    rng = np.random.default_rng(1)
    reference = {c: shares(rng.beta(1, 20, 10_000)) for c in CATEGORIES}
    m = WorkerMetrics()
    now = datetime.now(UTC)
    m.decided([decision(float(s)) for s in rng.beta(1, 20, DRIFT_MIN - 1)], {}, now)
    assert m.drift("m1", reference) == {}  # too few scores yet to say anything
    m.decided([decision(float(s)) for s in rng.beta(1, 20, 2_000)], {}, now)
    assert max(m.drift("m1", reference).values()) < 0.05
    m.decided([decision(float(s), "m2") for s in rng.beta(3, 3, 2_000)], {}, now)  # a new champion
    assert m.drift("m1", reference) == {}
    assert min(m.drift("m2", reference).values()) > 0.25
