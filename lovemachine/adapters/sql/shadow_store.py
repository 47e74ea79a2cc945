"""Shadow scoring: a challenger's decisions on live traffic, stored beside the champion's, never acted on.

``record_shadow_decisions`` writes only ``shadow_decisions``: no review item, no listing status, no
audit entry, no outbox flag, so nothing a challenger decides can reach the marketplace or the CS
queues. ``shadow_sample`` reads back what the comparison needs, counted by the database: the pairs
(champion decision, challenger decision) on every listing version both scored, the observation
window and the traffic in it, and the CS labels that arrived meanwhile on those listings.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import and_, func, select

from lovemachine.adapters.sql._base import SqlBase, dialect_insert
from lovemachine.adapters.sql.records import decision_from_row, decision_to_row
from lovemachine.adapters.sql.tables import decisions, labels, shadow_decisions
from lovemachine.policy import Decision
from lovemachine.registry.comparison import LabelledPair, PairCount, ShadowSample

NOT_CS_LABELS = ("synthetic",)
"""Label sources that are not CS verdicts on live traffic, left out of the comparison's precision."""


class ShadowStoreMixin(SqlBase):
    def record_shadow_decisions(self, items: Sequence[Decision]) -> int:
        """See :meth:`lovemachine.ports.ShadowDecisionStore.record_shadow_decisions`.

        The champion's transaction has stored the listing already (the foreign key needs it)."""
        rows = {(d.listing_id, d.listing_version, d.model_version): decision_to_row(d) for d in items}
        if not rows:
            return 0
        with self._write() as conn:
            insert = (
                dialect_insert(conn, shadow_decisions)
                .on_conflict_do_nothing(index_elements=["listing_id", "listing_version", "model_version"])
                .returning(shadow_decisions.c.id)
            )
            return len(conn.execute(insert, [rows[k] for k in sorted(rows)]).all())

    def shadow_decisions_for(self, listing_id: str) -> list[Decision]:
        """Every shadow decision on any version of the listing, in the order they were stored."""
        query = (
            select(shadow_decisions)
            .where(shadow_decisions.c.listing_id == listing_id)
            .order_by(shadow_decisions.c.id)
        )
        with self._read() as conn:
            return [decision_from_row(row) for row in conn.execute(query).mappings()]

    def shadow_decisions_for_model(self, model_version: str) -> list[Decision]:
        """Every shadow decision a model version made, in the order they were stored."""
        query = (
            select(shadow_decisions)
            .where(shadow_decisions.c.model_version == model_version)
            .order_by(shadow_decisions.c.id)
        )
        with self._read() as conn:
            return [decision_from_row(row) for row in conn.execute(query).mappings()]

    def count_shadow_decisions(self, model_version: str | None = None) -> int:
        query = select(func.count()).select_from(shadow_decisions)
        if model_version is not None:
            query = query.where(shadow_decisions.c.model_version == model_version)
        with self._read() as conn:
            return int(conn.execute(query).scalar_one())

    def shadow_sample(self, *, champion: str, challenger: str) -> ShadowSample:
        """What ``challenger`` decided in shadow on the listing versions ``champion`` decided."""
        s, d = shadow_decisions.alias("s"), decisions.alias("d")
        joined = s.join(d, and_(d.c.listing_id == s.c.listing_id, d.c.listing_version == s.c.listing_version))
        both = and_(s.c.model_version == challenger, d.c.model_version == champion)
        pair_query = (
            select(d.c.action, d.c.category, s.c.action, s.c.category, func.count())
            .select_from(joined)
            .where(both)
            .group_by(d.c.action, d.c.category, s.c.action, s.c.category)
        )
        window_query = (
            select(func.min(s.c.decided_at), func.max(s.c.decided_at)).select_from(joined).where(both)
        )
        with self._read() as conn:
            pairs = [PairCount(a, c, b, e, int(n)) for a, c, b, e, n in conn.execute(pair_query)]
            first_at, last_at = (_aware(v) for v in conn.execute(window_query).one())
            if first_at is None or last_at is None:
                return ShadowSample(champion=champion, challenger=challenger, pairs=pairs)
            traffic = conn.execute(
                select(func.count())
                .select_from(decisions)
                .where(decisions.c.decided_at >= first_at, decisions.c.decided_at <= last_at)
            ).scalar_one()
            label_query = (
                select(
                    d.c.listing_id,
                    d.c.listing_version,
                    d.c.action,
                    d.c.category,
                    s.c.action,
                    s.c.category,
                    labels.c.category,
                    labels.c.violation,
                )
                .select_from(
                    joined.join(
                        labels,
                        and_(
                            labels.c.listing_id == d.c.listing_id,
                            labels.c.listing_version == d.c.listing_version,
                        ),
                    )
                )
                .where(
                    both,
                    labels.c.superseded_by.is_(None),
                    labels.c.source.not_in(NOT_CS_LABELS),
                    labels.c.created_at >= first_at,
                )
            )
            found: dict[tuple[str, int], tuple[tuple[str, str | None, str, str | None], set[str]]] = {}
            for lid, lver, da, dc, sa, sc, category, violation in conn.execute(label_query):
                _, violations = found.setdefault((lid, lver), ((da, dc, sa, sc), set()))
                if violation and category is not None:
                    violations.add(category)
        return ShadowSample(
            champion=champion,
            challenger=challenger,
            pairs=pairs,
            labelled=[LabelledPair(*found[k][0], violations=frozenset(found[k][1])) for k in sorted(found)],
            first_at=first_at,
            last_at=last_at,
            traffic=int(traffic),
        )


def _aware(value: datetime | None) -> datetime | None:
    """An aggregate's timestamp as an aware UTC datetime, whatever the driver handed back."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)
