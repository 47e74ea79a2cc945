"""Reads for the live precision / recall estimate: each stratum's size and its labelled sample.

The strata are the decision's action. Every ``report`` is reviewed, so reports are their own sample;
hides and allows are sampled by the audit draw (an ``audit`` review item on the listing version).
The estimator (``trainers.live_quality``) weights each stratum by its size over its labelled sample.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, func, or_, select

from lovemachine.adapters.sql._base import SqlBase
from lovemachine.adapters.sql.label_store import REVIEW_SOURCES, label_from_row
from lovemachine.adapters.sql.tables import decisions, labels, review_items
from lovemachine.review.audit import SampledDecision
from lovemachine.review.policy import AUDIT


class LiveQualityStoreMixin(SqlBase):
    def _scope(self, model_version: str, since: datetime | None) -> list[Any]:
        where = [decisions.c.model_version == model_version]
        if since is not None:
            where.append(decisions.c.decided_at >= since)
        return where

    def _audited(self) -> Any:
        ri = review_items.c
        return exists().where(
            ri.listing_id == decisions.c.listing_id,
            ri.listing_version == decisions.c.listing_version,
            ri.queue == AUDIT,
        )

    def decision_strata(
        self, model_version: str, *, since: datetime | None = None
    ) -> dict[str, dict[str, int]]:
        """Per action: ``decisions`` (the stratum's size) and ``sampled`` (in the audit queue; for
        reports, all of them)."""
        where = self._scope(model_version, since)
        total = select(decisions.c.action, func.count()).where(*where).group_by(decisions.c.action)
        audited = (
            select(decisions.c.action, func.count())
            .where(*where, self._audited())
            .group_by(decisions.c.action)
        )
        out = {a: {"decisions": 0, "sampled": 0} for a in ("hide", "report", "allow")}
        with self._read() as conn:
            for action, n in conn.execute(total):
                out[action]["decisions"] = int(n)
            for action, n in conn.execute(audited):
                out[action]["sampled"] = int(n)
        out["report"]["sampled"] = out["report"]["decisions"]
        return out

    def labelled_sample(self, model_version: str, *, since: datetime | None = None) -> list[SampledDecision]:
        """The sampled decisions of ``model_version`` that carry at least one CS or audit label."""
        d, lc = decisions.c, labels.c
        query = (
            select(labels, d.id.label("d_id"), d.action.label("d_action"), d.scores.label("d_scores"))
            .select_from(decisions)
            .join(labels, and_(lc.listing_id == d.listing_id, lc.listing_version == d.listing_version))
            .where(
                *self._scope(model_version, since),
                lc.source.in_(REVIEW_SOURCES),
                or_(d.action == "report", self._audited()),
            )
            .order_by(d.id, lc.created_at, lc.id)
        )
        grouped: dict[int, tuple[Any, list[Any]]] = {}
        with self._read() as conn:
            for row in conn.execute(query).mappings():
                grouped.setdefault(int(row["d_id"]), (row, []))[1].append(label_from_row(row))
        return [
            SampledDecision(
                decision_id=decision_id,
                listing_id=first["listing_id"],
                listing_version=int(first["listing_version"]),
                action=first["d_action"],
                scores={str(k): float(v) for k, v in first["d_scores"].items()},
                labels=tuple(labs),
            )
            for decision_id, (first, labs) in grouped.items()
        ]
