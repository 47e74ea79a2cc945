"""The live base rates thresholds are chosen at: configured, else the audit sample's, else defaults.

Hide precision depends on how common violations are in live traffic (``lovemachine.policy.
thresholds.base_rate_weights``). The best source is the operator's own figure
(``LOVEMACHINE_BASE_RATES``); next, the audit sample's unbiased prevalence estimate for the live
model (``trainers.live_quality``), per category, when it rests on enough labelled listings; last,
``DEFAULT_BASE_RATES``. Each category is resolved on its own, and the answer says where each came from.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lovemachine.categories import CATEGORIES
from lovemachine.policy.thresholds import DEFAULT_BASE_RATES

log = logging.getLogger(__name__)
MIN_AUDIT_LABELLED = 200
"""Labelled audit-sample listings needed before its prevalence replaces the default."""
RATE_FLOOR, RATE_CEILING = 0.001, 0.5


@dataclass(frozen=True)
class BaseRates:
    rates: dict[str, float]
    sources: dict[str, str]
    """Per category: ``configured``, ``audit sample (n labelled)`` or ``default``."""

    def to_dict(self) -> dict[str, Any]:
        return {"rates": self.rates, "sources": self.sources}


def resolve_base_rates(
    configured: Mapping[str, float] | None, audit_estimate: Mapping[str, Any] | None = None
) -> BaseRates:
    """``audit_estimate``: the output of ``trainers.live_quality.live_quality`` (or None)."""
    rates: dict[str, float] = {}
    sources: dict[str, str] = {}
    labelled = _labelled(audit_estimate)
    for c in CATEGORIES:
        if configured and c in configured:
            rates[c], sources[c] = float(configured[c]), "configured"
            continue
        prevalence = _prevalence(audit_estimate, c)
        if prevalence is not None and labelled >= MIN_AUDIT_LABELLED:
            rates[c] = min(RATE_CEILING, max(RATE_FLOOR, prevalence))
            sources[c] = f"audit sample ({labelled:,} labelled)"
        else:
            rates[c], sources[c] = DEFAULT_BASE_RATES[c], "default"
    return BaseRates(rates, sources)


def audit_estimate(store: Any) -> dict[str, Any] | None:
    """The live model's audit estimate, or None when there is no champion or no audit data."""
    from trainers.live_quality import live_quality

    try:
        return live_quality(store, resamples=50)
    except LookupError:
        return None
    except Exception:  # an estimate is an improvement, never a reason for a retrain to fail
        log.exception("audit-sample estimate of the base rates failed; using configured/default rates")
        return None


def _labelled(estimate: Mapping[str, Any] | None) -> int:
    if not estimate:
        return 0
    strata = estimate.get("strata") or {}
    return int(sum(int((v or {}).get("labelled") or 0) for v in strata.values()))


def _prevalence(estimate: Mapping[str, Any] | None, category: str) -> float | None:
    if not estimate:
        return None
    value = ((estimate.get("categories") or {}).get(category) or {}).get("prevalence")
    return float(value) if isinstance(value, int | float) and value > 0 else None
