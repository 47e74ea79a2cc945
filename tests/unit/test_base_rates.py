"""Live base rates: configured beats the audit sample's estimate, which beats the defaults."""

from __future__ import annotations

from lovemachine.categories import ADULT, CASH, CATEGORIES, COUNTERFEIT
from lovemachine.policy.thresholds import DEFAULT_BASE_RATES
from trainers.base_rates import MIN_AUDIT_LABELLED, resolve_base_rates


def _estimate(labelled: int, prevalence: dict[str, float | None]) -> dict[str, object]:
    return {
        "strata": {"allow": {"labelled": labelled}, "hide": {"labelled": 0}, "report": {"labelled": 0}},
        "categories": {c: {"prevalence": prevalence.get(c)} for c in CATEGORIES},
    }


def test_defaults_without_configuration_or_audit_data() -> None:
    r = resolve_base_rates(None, None)
    assert r.rates == dict(DEFAULT_BASE_RATES)
    assert set(r.sources.values()) == {"default"}


def test_audit_estimate_replaces_defaults_only_with_enough_labels() -> None:
    few = resolve_base_rates(None, _estimate(MIN_AUDIT_LABELLED - 1, {ADULT: 0.2}))
    assert few.rates[ADULT] == DEFAULT_BASE_RATES[ADULT]
    enough = resolve_base_rates(None, _estimate(MIN_AUDIT_LABELLED, {ADULT: 0.2, CASH: None}))
    assert enough.rates[ADULT] == 0.2 and enough.sources[ADULT].startswith("audit sample")
    assert enough.rates[CASH] == DEFAULT_BASE_RATES[CASH]  # no estimate for cash: default


def test_configured_rates_win_per_category() -> None:
    r = resolve_base_rates({COUNTERFEIT: 0.05}, _estimate(1000, {COUNTERFEIT: 0.3, ADULT: 0.04}))
    assert r.rates[COUNTERFEIT] == 0.05 and r.sources[COUNTERFEIT] == "configured"
    assert r.rates[ADULT] == 0.04
