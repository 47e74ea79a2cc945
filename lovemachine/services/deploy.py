"""Blue-green deploys: compare the challenger with the champion, promote it through gates, roll back.

Model versions are immutable; ``champion`` (live, acts) and ``challenger`` (scores in shadow) are
aliases, and every move is a row of the alias history (who, when, from, to, why). The use-cases:

* :func:`compare` — the shadow comparison (``lovemachine.registry.comparison``) of the two aliases.
* :func:`promote` — move ``champion`` to the challenger if every gate passes: the offline evaluation
  found it eligible (``metrics["evaluation"]["eligible"] is True``, written by ``lovemachine retrain``
  with the report's path in ``report`` or ``report_path``; missing means not passing), the shadow
  sample is large enough, its hide volume is within a bound of the champion's, and its artifact
  verifies. ``force`` (with a reason) overrides the first three, never the artifact. The move is a
  compare-and-set on the champion the gates were checked against: two concurrent promotions (or a
  promotion racing a rollback) cannot both win.
* :func:`rollback` — move ``champion`` back to the version it replaced, in one step, also
  compare-and-set.

Workers follow the alias within ``rules_refresh_seconds``; nothing here talks to them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from lovemachine.errors import ArtifactIntegrityError, PromotionBlockedError
from lovemachine.ports import ANY_VERSION, AliasChange, ModelVersionRecord
from lovemachine.registry.comparison import Comparison, ShadowSample
from lovemachine.registry.comparison import compare as compare_sample
from lovemachine.registry.loader import verify_record

CHAMPION, CHALLENGER = "champion", "challenger"


class DeployStore(Protocol):
    """What deploys need from the registry and the shadow decisions (``SqlStore`` implements it)."""

    def get_alias(self, alias: str) -> ModelVersionRecord | None: ...

    def get_model_version(self, version: str) -> ModelVersionRecord | None: ...

    def set_alias(
        self, alias: str, version: str, *, actor: str, reason: str, expected: str | None = ANY_VERSION
    ) -> AliasChange:
        """See :meth:`lovemachine.ports.ModelRegistry.set_alias` (compare-and-set with ``expected``)."""

    def alias_history(self, alias: str) -> list[AliasChange]:
        """Every move of ``alias``, oldest first."""

    def shadow_sample(self, *, champion: str, challenger: str) -> ShadowSample:
        """The challenger's shadow decisions paired with the champion's on the same listings."""


@dataclass(frozen=True)
class GateConfig:
    min_shadow: int = 1000
    """Listings both models scored, at least."""
    max_hide_ratio: float = 1.5
    """Challenger hides / champion hides on those listings (= per day), at most."""


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
        missing = "champion" if champion is None else "challenger"
        raise LookupError(f"there is no {missing}: nothing to compare")
    if champion.version == challenger.version:
        raise LookupError(f"the challenger {challenger.version} is the champion: nothing to compare")
    return compare_sample(store.shadow_sample(champion=champion.version, challenger=challenger.version))


def evaluation_gate(challenger: ModelVersionRecord) -> Gate:
    evaluation = challenger.metrics.get("evaluation")
    if not isinstance(evaluation, dict) or "eligible" not in evaluation:
        return Gate(
            "offline evaluation",
            False,
            f"{challenger.version} has no offline evaluation (metrics.evaluation.eligible); "
            "retrain with `lovemachine retrain`, which evaluates it against the champion",
        )
    report = evaluation.get("report") or evaluation.get("report_path") or "no report path recorded"
    if evaluation["eligible"] is True:
        return Gate("offline evaluation", True, f"beats the champion offline ({report})")
    reasons = evaluation.get("reasons")
    why = f": {'; '.join(str(r) for r in reasons)}" if isinstance(reasons, list) and reasons else ""
    return Gate("offline evaluation", False, f"does not beat the champion offline{why} ({report})")


def check_gates(
    challenger: ModelVersionRecord,
    comparison: Comparison | None,
    config: GateConfig,
    *,
    verify: Callable[[ModelVersionRecord], None] = verify_record,
) -> list[Gate]:
    """Every gate, passed or not, in a fixed order."""
    gates = [evaluation_gate(challenger)]
    n = comparison.both_scored if comparison is not None else 0
    gates.append(
        Gate(
            "shadow sample",
            n >= config.min_shadow,
            f"{n:,} listings scored by both (at least {config.min_shadow:,} needed)",
        )
    )
    gates.append(_hide_gate(comparison, config.max_hide_ratio))
    try:
        verify(challenger)
        gates.append(Gate("artifact", True, "checksum verified", forceable=False))
    except ArtifactIntegrityError as exc:
        gates.append(Gate("artifact", False, str(exc), forceable=False))
    return gates


def _hide_gate(comparison: Comparison | None, max_ratio: float) -> Gate:
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
    return Gate("hide volume", chall <= max_ratio * champ, f"{volume}; at most {max_ratio:g}x allowed")


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
    comparison = (
        compare_sample(store.shadow_sample(champion=champion.version, challenger=challenger.version))
        if champion is not None
        else None
    )
    gates = check_gates(challenger, comparison, config, verify=verify)
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
