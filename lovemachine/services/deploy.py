"""Blue-green deploys: compare the challenger with the champion, promote it through gates, roll back.

Model versions are immutable; ``champion`` (live, acts) and ``challenger`` (scores in shadow) are
aliases, and every move is a row of the alias history (who, when, from, to, why). The use-cases:

* :func:`compare` — the shadow comparison (``lovemachine.registry.comparison``) of the two aliases.
* :func:`promote` — move ``champion`` to the challenger if every gate passes (:func:`check_gates`, in
  this order): the offline evaluation found it eligible (``EvaluationVerdict.of(metrics).eligible``,
  written by ``lovemachine retrain`` with the report's path in ``report`` or ``report_path``;
  missing means not passing); the shadow sample is large enough; its hides are within bounds of the
  champion's, both ways (fewer hides leave violations visible: reported, or allowed); its review load
  (reports + hides: each opens a review item) fits CS's capacity; its reports are no flood against the
  champion's; on the CS labels that arrived during the shadow, when there are enough, its precision is
  not much below the champion's and its hides are right; and its artifact verifies. ``force`` (with a
  reason) overrides every gate but the artifact. The move is a compare-and-set on the champion the
  gates were checked against: two concurrent promotions (or a promotion racing a rollback) cannot both
  win.
* :func:`rollback` — move ``champion`` back to the version it replaced, in one step, also
  compare-and-set.

Workers follow the alias within ``rules_refresh_seconds``; nothing here talks to them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lovemachine.errors import ArtifactIntegrityError, PromotionBlockedError
from lovemachine.ports import AliasChange, DeployStore, ModelVersionRecord
from lovemachine.registry.aliases import Alias
from lovemachine.registry.comparison import (
    ALLOW,
    HIDE,
    Comparison,
    LabelledPair,
    compare as compare_sample,
)
from lovemachine.registry.loader import verify_record
from lovemachine.registry.verdict import EvaluationVerdict

if TYPE_CHECKING:
    from lovemachine.config import Settings

CHAMPION, CHALLENGER = Alias.CHAMPION, Alias.CHALLENGER


@dataclass(frozen=True)
class GateConfig:
    """The promotion gates' bounds (``Settings.promote_*``, ``review_capacity_per_day`` and
    ``daily_listings``: :meth:`from_settings`)."""

    min_shadow: int = 1000
    """Listings both models scored, at least."""
    max_hide_ratio: float = 1.5
    """Challenger hides / champion hides on those listings (= per day), at most."""
    min_hide_ratio: float = 0.67
    """... and at least: fewer hides leave violations visible, a change a person must accept."""
    review_capacity_per_day: int = 50_000
    """Review items (reports + hides) CS works a day; as in the offline evaluation's defaults."""
    daily_listings: int = 200_000
    """Listings a day, for the capacity share when the shadow is too short for a daily rate."""
    max_report_ratio: float = 2.0
    """Challenger reports / champion reports, at most: a sudden flood of reports is an incident for CS
    even within its daily capacity."""
    report_floor: int = 20
    """The report ratio counts the champion's reports as at least this many: a ratio to a handful is
    noise, yet a near-silent champion must not make any number of reports acceptable."""
    min_labelled: int = 30
    """CS labels on the challenger's flags (hides) before the (hide) precision gate checks anything."""
    max_precision_drop: float = 0.05
    """The challenger's precision on the CS labels may be this much below the champion's, at most."""
    min_hide_precision: float = 0.95
    """Share of the challenger's labelled hides that CS confirmed, at least."""

    def __post_init__(self) -> None:
        if not 0 <= self.min_hide_ratio <= self.max_hide_ratio:
            raise ValueError(
                f"the hide ratio bounds must satisfy 0 <= min ({self.min_hide_ratio:g}) <= max "
                f"({self.max_hide_ratio:g})"
            )
        if self.review_capacity_per_day <= 0 or self.daily_listings <= 0:
            raise ValueError("review_capacity_per_day and daily_listings must be positive")

    @classmethod
    def from_settings(cls, s: Settings, **overrides: Any) -> GateConfig:
        """The gates as configured; ``overrides`` (None values ignored) win, e.g. from CLI options."""
        values: dict[str, Any] = {
            "min_shadow": s.promote_min_shadow,
            "max_hide_ratio": s.promote_max_hide_ratio,
            "min_hide_ratio": s.promote_min_hide_ratio,
            "review_capacity_per_day": s.review_capacity_per_day,
            "daily_listings": s.daily_listings,
            "max_report_ratio": s.promote_max_report_ratio,
            "report_floor": s.promote_report_floor,
            "min_labelled": s.promote_min_labelled,
            "max_precision_drop": s.promote_max_precision_drop,
            "min_hide_precision": s.promote_min_hide_precision,
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


@dataclass(frozen=True)
class Gate:
    name: str
    passed: bool
    detail: str
    forceable: bool = True


@dataclass(frozen=True)
class Promotion:
    change: AliasChange
    gates: list[Gate]
    forced: bool
    comparison: Comparison | None


@dataclass(frozen=True)
class DeployStatus:
    champion: ModelVersionRecord | None
    challenger: ModelVersionRecord | None
    history: list[AliasChange] = field(default_factory=list)
    """Moves of both aliases, newest first."""


def status(store: DeployStore) -> DeployStatus:
    history = [*store.alias_history(CHAMPION), *store.alias_history(CHALLENGER)]
    history.sort(key=lambda h: h.at, reverse=True)
    return DeployStatus(store.get_alias(CHAMPION), store.get_alias(CHALLENGER), history)


def compare(store: DeployStore) -> Comparison:
    """The challenger against the champion on the live listings both scored (``LookupError`` when an
    alias is missing)."""
    champion, challenger = store.get_alias(CHAMPION), store.get_alias(CHALLENGER)
    if champion is None or challenger is None:
        missing = CHAMPION if champion is None else CHALLENGER
        raise LookupError(f"there is no {missing}: nothing to compare")
    if champion.version == challenger.version:
        raise LookupError(f"the challenger {challenger.version} is the champion: nothing to compare")
    return compare_sample(store.shadow_sample(champion=champion.version, challenger=challenger.version))


def evaluation_gate(challenger: ModelVersionRecord) -> Gate:
    verdict = EvaluationVerdict.of(challenger.metrics)
    if verdict is None:
        return Gate(
            "offline evaluation",
            False,
            f"{challenger.version} has no offline evaluation (metrics.evaluation.eligible); "
            "retrain with `lovemachine retrain`, which evaluates it against the champion",
        )
    report = verdict.report_location or "no report path recorded"
    if verdict.eligible:
        return Gate("offline evaluation", True, f"beats the champion offline ({report})")
    why = f": {'; '.join(verdict.reasons)}" if verdict.reasons else ""
    return Gate("offline evaluation", False, f"does not beat the champion offline{why} ({report})")


def check_gates(
    challenger: ModelVersionRecord,
    comparison: Comparison | None,
    config: GateConfig,
    *,
    labelled: Sequence[LabelledPair] = (),
    verify: Callable[[ModelVersionRecord], None] = verify_record,
) -> list[Gate]:
    """Every gate, passed or not, in a fixed order; ``labelled``: the shadow sample's listings that CS
    labelled after the shadow began (``ShadowSample.labelled``)."""
    n = comparison.both_scored if comparison is not None else 0
    gates = [
        evaluation_gate(challenger),
        Gate(
            "shadow sample",
            n >= config.min_shadow,
            f"{n:,} listings scored by both (at least {config.min_shadow:,} needed)",
        ),
        _hide_gate(comparison, config),
        _capacity_gate(comparison, config),
        _report_gate(comparison, config),
        _precision_gate(labelled, config),
        _hide_precision_gate(labelled, config),
    ]
    try:
        verify(challenger)
        gates.append(Gate("artifact", True, "checksum verified", forceable=False))
    except ArtifactIntegrityError as exc:
        gates.append(Gate("artifact", False, str(exc), forceable=False))
    return gates


def _hide_gate(comparison: Comparison | None, config: GateConfig) -> Gate:
    """Hides within [min, max] x the champion's: more hides take down listings no one reviewed first;
    fewer leave violations the champion hides visible (now reported, or allowed)."""
    if comparison is None or not comparison.both_scored:
        return Gate("hide volume", False, "no shadow decisions to compare hide volumes on")
    champ, chall = comparison.champion_hides, comparison.challenger_hides
    per_day = comparison.per_day(chall)
    volume = f"{chall:,} hides vs the champion's {champ:,} on the same listings" + (
        f" (~{per_day:,.0f}/day)" if per_day is not None else ""
    )
    if not champ:  # a ratio of nothing: any hide at all is a new behaviour, for a person to accept
        bound = "the champion hides none of them, so the challenger may hide none unless forced with a reason"
        return Gate("hide volume", chall == 0, f"{volume}; {bound}")
    if chall > config.max_hide_ratio * champ:
        return Gate("hide volume", False, f"{volume}; at most {config.max_hide_ratio:g}x allowed")
    if chall < config.min_hide_ratio * champ:
        return Gate(
            "hide volume",
            False,
            f"{volume}; at least {config.min_hide_ratio:g}x needed: fewer hides leave violations the "
            "champion hides visible (reported or allowed), a change a person must accept with a reason",
        )
    bounds = f"{config.min_hide_ratio:g}x to {config.max_hide_ratio:g}x allowed"
    return Gate("hide volume", True, f"{volume}; {bounds}")


def _capacity_gate(comparison: Comparison | None, config: GateConfig) -> Gate:
    """The challenger's review load (reports + hides: each opens a review item) must fit what CS works
    a day: per day at the observed traffic, or, before the shadow has a daily rate, as a share of the
    listings against ``review_capacity_per_day / daily_listings``. A load over capacity but no more
    than the champion's passes: it does not make CS's backlog worse."""
    if comparison is None or not comparison.both_scored:
        return Gate("review capacity", False, "no shadow decisions to measure the review load on")
    both = comparison.both_scored
    load = comparison.challenger_reports + comparison.challenger_hides
    champ_load = comparison.champion_reports + comparison.champion_hides
    per_day = comparison.per_day(load)
    capacity = config.review_capacity_per_day
    if per_day is not None:
        fits = per_day <= capacity
        detail = f"~{per_day:,.0f} review items/day (reports + hides) for CS's {capacity:,}/day"
    else:
        share, limit = load / both, capacity / config.daily_listings
        fits = share <= limit
        detail = (
            f"{load:,} review items (reports + hides) on {both:,} listings = {share:.1%}, for CS's "
            f"{capacity:,}/day on {config.daily_listings:,} listings/day = {limit:.1%} "
            "(no daily rate: the shadow ran under an hour)"
        )
    if fits:
        return Gate("review capacity", True, detail)
    if load <= champ_load:
        return Gate(
            "review capacity", True, f"{detail}; over, but no more than the champion's {champ_load:,}"
        )
    return Gate(
        "review capacity", False, f"{detail}; over capacity, and more than the champion's {champ_load:,}"
    )


def _report_gate(comparison: Comparison | None, config: GateConfig) -> Gate:
    """Reports at most ``max_report_ratio`` x the champion's (counted as at least ``report_floor``)."""
    if comparison is None or not comparison.both_scored:
        return Gate("report volume", False, "no shadow decisions to compare report volumes on")
    champ, chall = comparison.champion_reports, comparison.challenger_reports
    bound = config.max_report_ratio * max(champ, config.report_floor)
    floor = (
        f", counting the champion's as at least {config.report_floor:,}"
        if champ < config.report_floor
        else ""
    )
    return Gate(
        "report volume",
        chall <= bound,
        f"{chall:,} reports vs the champion's {champ:,} on the same listings; at most "
        f"{config.max_report_ratio:g}x allowed{floor} (a flood of reports is an incident for CS)",
    )


@dataclass(frozen=True)
class LabelledFlags:
    """Among the labelled listings, those one model flagged (report or hide) and hid, and how many of
    each CS confirmed in the category of the flag."""

    flagged: int
    confirmed: int
    hidden: int
    hides_confirmed: int


def labelled_flags(labelled: Sequence[LabelledPair], *, challenger: bool) -> LabelledFlags:
    flagged = hidden = confirmed = hides_confirmed = 0
    for x in labelled:
        action, category = (
            (x.challenger_action, x.challenger_category)
            if challenger
            else (x.champion_action, x.champion_category)
        )
        if action == ALLOW:
            continue
        right = category in x.violations
        flagged, confirmed = flagged + 1, confirmed + right
        if action == HIDE:
            hidden, hides_confirmed = hidden + 1, hides_confirmed + right
    return LabelledFlags(flagged, confirmed, hidden, hides_confirmed)


def _precision_gate(labelled: Sequence[LabelledPair], config: GateConfig) -> Gate:
    """On the CS labels that arrived during the shadow, the challenger's precision (flagged in ``c``
    and CS confirmed ``c``) at most ``max_precision_drop`` below the champion's, once the challenger's
    flags have ``min_labelled`` labels; with fewer it passes, saying so. The champion's precision rests
    on however many labels its flags got (usually more: CS labels mostly what the champion flagged);
    with none there is nothing to compare with."""
    champ, chall = labelled_flags(labelled, challenger=False), labelled_flags(labelled, challenger=True)
    if chall.flagged < config.min_labelled:
        return Gate(
            "precision",
            True,
            f"not enough labels ({chall.flagged} < {config.min_labelled}) on the challenger's flags; "
            "not checked",
        )
    p_chall = chall.confirmed / chall.flagged
    mine = f"CS confirmed {p_chall:.1%} of the challenger's {chall.flagged} labelled flags"
    if not champ.flagged:
        return Gate("precision", True, f"{mine}; the champion's flags have no labels to compare with")
    p_champ = champ.confirmed / champ.flagged
    return Gate(
        "precision",
        p_chall >= p_champ - config.max_precision_drop - 1e-9,
        f"{mine} vs {p_champ:.1%} of the champion's {champ.flagged}; at most "
        f"{config.max_precision_drop * 100:g} points lower allowed",
    )


def _hide_precision_gate(labelled: Sequence[LabelledPair], config: GateConfig) -> Gate:
    """A hide acts before anyone looks: of the challenger's labelled hides, at least
    ``min_hide_precision`` confirmed, once there are ``min_labelled`` of them."""
    chall = labelled_flags(labelled, challenger=True)
    if chall.hidden < config.min_labelled:
        return Gate(
            "hide precision",
            True,
            f"not enough labels ({chall.hidden} < {config.min_labelled}) on the challenger's hides; "
            "not checked",
        )
    p = chall.hides_confirmed / chall.hidden
    return Gate(
        "hide precision",
        p >= config.min_hide_precision - 1e-9,
        f"CS confirmed {p:.1%} of the challenger's {chall.hidden} labelled hides; at least "
        f"{config.min_hide_precision:.0%} needed",
    )


def promote(
    store: DeployStore,
    *,
    actor: str,
    reason: str = "",
    force: bool = False,
    config: GateConfig | None = None,
    verify: Callable[[ModelVersionRecord], None] = verify_record,
) -> Promotion:
    """Move ``champion`` to the challenger if the gates pass (or ``force`` with a ``reason``).

    Raises ``PromotionBlockedError`` (with the failed gates) when it does not move, and
    ``AliasConflictError`` when the champion moved while the gates were checked.
    """
    config = config or GateConfig()
    reason = reason.strip()
    if force and not reason:
        raise ValueError("a forced promotion needs a reason")
    champion, challenger = store.get_alias(CHAMPION), store.get_alias(CHALLENGER)
    if challenger is None:
        raise PromotionBlockedError("there is no challenger to promote", ["no challenger"])
    if champion is not None and champion.version == challenger.version:
        raise PromotionBlockedError(
            f"{challenger.version} is already the champion", ["challenger is the champion"]
        )
    sample = (
        store.shadow_sample(champion=champion.version, challenger=challenger.version)
        if champion is not None
        else None
    )
    comparison = compare_sample(sample) if sample is not None else None
    labelled = sample.labelled if sample is not None else ()
    gates = check_gates(challenger, comparison, config, labelled=labelled, verify=verify)
    failed = [g for g in gates if not g.passed]
    if failed and (not force or any(not g.forceable for g in failed)):
        hint = "" if force or any(not g.forceable for g in failed) else "; --force with a reason overrides"
        raise PromotionBlockedError(
            f"promotion of {challenger.version} blocked: " + "; ".join(_line(g) for g in failed) + hint,
            [_line(g) for g in failed],
        )
    if failed:
        why = f"forced: {reason} (gates failed: {'; '.join(_line(g) for g in failed)})"
    else:
        why = f"promoted: {reason or 'all gates passed'}"
    change = store.set_alias(
        CHAMPION,
        challenger.version,
        actor=actor,
        reason=why,
        expected=champion.version if champion is not None else None,
    )
    return Promotion(change=change, gates=gates, forced=bool(failed), comparison=comparison)


def rollback(
    store: DeployStore,
    *,
    actor: str,
    reason: str = "",
    verify: Callable[[ModelVersionRecord], None] = verify_record,
) -> AliasChange:
    """Move ``champion`` back to the version its last move replaced, after verifying that version's
    artifact (``LookupError`` if there is none, ``ArtifactIntegrityError`` if it fails)."""
    champion = store.get_alias(CHAMPION)
    if champion is None:
        raise LookupError("there is no champion to roll back")
    history = store.alias_history(CHAMPION)
    last = history[-1] if history else None
    if last is None or last.to_version != champion.version or last.from_version is None:
        raise LookupError(f"{champion.version} replaced no earlier champion: nothing to roll back to")
    target = last.from_version
    record = store.get_model_version(target)
    if record is None:
        raise LookupError(f"the previous champion {target} is not registered")
    verify(record)
    return store.set_alias(
        CHAMPION,
        target,
        actor=actor,
        reason=f"rollback from {champion.version}" + (f": {reason.strip()}" if reason.strip() else ""),
        expected=champion.version,
    )


def _line(g: Gate) -> str:
    return f"{g.name}: {g.detail}"


def gates_out(gates: Sequence[Gate]) -> list[dict[str, Any]]:
    return [{"name": g.name, "passed": g.passed, "detail": g.detail, "forceable": g.forceable} for g in gates]


def change_out(change: AliasChange) -> dict[str, Any]:
    return {
        "alias": change.alias,
        "from_version": change.from_version,
        "to_version": change.to_version,
        "actor": change.actor,
        "reason": change.reason,
        "at": change.at.isoformat(),
    }
