"""What a batch came to: counts of acks, nacks, dead letters, decisions and published actions, and
the publish -> ack latencies in bounded memory. Per-batch outcomes add up to the worker's totals
(``Worker.stats``, the one JSON log line a minute, the benchmarks)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ddsketch import LogCollapsingLowestDenseDDSketch


class LatencySummary:
    """Publish -> ack latencies in constant memory: a DDSketch (1% relative accuracy, at most
    ``bins`` buckets) plus count and max. Mergeable, so per-batch summaries add up to totals."""

    __slots__ = ("_sketch", "max_s")

    def __init__(self, *, relative_accuracy: float = 0.01, bins: int = 2048) -> None:
        self._sketch = LogCollapsingLowestDenseDDSketch(relative_accuracy=relative_accuracy, bin_limit=bins)
        self.max_s: float | None = None

    def add(self, seconds: float) -> None:
        self._sketch.add(seconds)
        self.max_s = seconds if self.max_s is None else max(self.max_s, seconds)

    def merge(self, other: LatencySummary) -> None:
        if other.count:
            self._sketch.merge(other._sketch)
            self.max_s = other.max_s if self.max_s is None else max(self.max_s, other.max_s or 0.0)

    @property
    def count(self) -> int:
        return int(self._sketch.count)

    def quantile(self, q: float) -> float | None:
        """The ``q`` quantile in seconds (within 1%), None when nothing was recorded."""
        value = self._sketch.get_quantile_value(q) if self.count else None
        return None if value is None else float(value)

    def to_dict(self) -> dict[str, float | int | None]:
        def ms(v: float | None) -> float | None:
            return None if v is None else round(v * 1000, 1)

        return {
            "count": self.count,
            "p50_ms": ms(self.quantile(0.5)),
            "p99_ms": ms(self.quantile(0.99)),
            "max_ms": ms(self.max_s),
        }

    def __repr__(self) -> str:
        return f"LatencySummary({self.to_dict()})"


_COUNTS = (
    "acked",
    "nacked",
    "dead_lettered",
    "decided",
    "redelivered_already_decided",
    "actions_published",
    "transient_retries",
)


@dataclass
class BatchOutcome:
    acked: int = 0
    nacked: int = 0
    dead_lettered: int = 0
    decided: int = 0
    redelivered_already_decided: int = 0
    actions_published: int = 0
    transient_retries: int = 0
    """Waits on a transient error (database or broker down): each is one retry of a held batch."""
    actions: dict[str, int] = field(default_factory=dict)
    latency: LatencySummary = field(default_factory=LatencySummary)
    """Publish -> ack latency of the acked messages (bounded memory, whatever the volume)."""

    def add(self, other: BatchOutcome) -> None:
        for name in _COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for k, v in other.actions.items():
            self.actions[k] = self.actions.get(k, 0) + v
        self.latency.merge(other.latency)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready counts and latency quantiles (for logs and ``Worker.stats``)."""
        out: dict[str, Any] = {name: getattr(self, name) for name in _COUNTS}
        out["actions"] = dict(self.actions)
        out["latency"] = self.latency.to_dict()
        return out


def describe(outcome: BatchOutcome) -> str:
    return json.dumps(outcome.as_dict())
