"""BatchOutcome keeps latency summaries in constant memory (issue 10, item 7): the worker's totals
absorb every batch for the life of the process."""

import pickle
import random

from workers.outcome import BatchOutcome


def _batch(rng: random.Random, n: int = 200) -> BatchOutcome:
    out = BatchOutcome(acked=n)
    for _ in range(n):
        out.latency.add(rng.lognormvariate(-3.5, 1.0))  # ~30 ms median, a long tail
    return out


def test_totals_stay_the_same_size_however_many_batches_they_absorb():
    # The size of what the totals retain, measured by serialising them: unlike process-wide
    # allocation counts, this sees only this object, not other threads of the test session.
    rng = random.Random(7)
    totals = BatchOutcome()
    for _ in range(200):
        totals.add(_batch(rng))
    warm = len(pickle.dumps(totals))
    for _ in range(1_000):  # 200,000 more latencies
        totals.add(_batch(rng))
    grown = len(pickle.dumps(totals))
    assert totals.acked == totals.latency.count == 1_200 * 200
    # a list of floats would have grown by ~1.8 MB pickled (~6.6 MB in memory, 33 B a message);
    # the sketch's bins are bounded
    assert grown - warm < 16 * 1024


def test_quantiles_are_within_one_percent():
    rng = random.Random(3)
    values = [rng.lognormvariate(-3.5, 1.0) for _ in range(50_000)]
    totals, part = BatchOutcome(), BatchOutcome()
    for i, v in enumerate(values):
        part.latency.add(v)
        if i % 500 == 499:
            totals.add(part)
            part = BatchOutcome()
    ordered = sorted(values)
    for q in (0.5, 0.9, 0.99):
        exact = ordered[int(q * (len(ordered) - 1))]
        got = totals.latency.quantile(q)
        assert got is not None and abs(got - exact) <= 0.011 * exact
    assert totals.latency.max_s == max(values)
    summary = totals.as_dict()["latency"]
    assert summary["count"] == 50_000 and summary["p50_ms"] > 0


def test_an_empty_summary_has_no_quantiles():
    assert BatchOutcome().latency.quantile(0.5) is None
    assert BatchOutcome().as_dict()["latency"] == {"count": 0, "p50_ms": None, "p99_ms": None, "max_ms": None}
