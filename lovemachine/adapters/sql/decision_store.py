"""Recording decisions: listings, decisions, the review queue and the outbox flag, in one transaction.

Redelivery and races are settled by the database, not by reading first: the decision insert is
``ON CONFLICT (listing_id, listing_version, model_version) DO NOTHING RETURNING ...``, so exactly
one transaction creates a decision and every other one (a redelivered message, a second worker
racing on PostgreSQL) sees the stored row and reports ``created=False``. Rows are written in key
order so that two transactions over overlapping batches lock them in the same order and cannot
deadlock.

Errors leave this module as the core's error tree (``lovemachine.errors``), so the worker can tell a
database outage (``DatabaseUnavailableError``: retry) from a row the database refuses
(``DataRejectedError``: dead-letter with the database's message) without importing SQLAlchemy.

A listing version is acted on once, whichever model version scores it: when the ``champion`` moves
while a message is in flight, its redelivery is scored by the new model, but the decision the old one
stored (and its published action) stands and the new one is not inserted. The listing upsert locks the
listing's row first (PostgreSQL locks a conflicting row even when the ``DO UPDATE`` condition is
false; SQLite's ``BEGIN IMMEDIATE`` serialises writers), so two workers on different model versions
cannot both decide the same listing version.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, exc as sa_exc, func, select, update

from lovemachine.adapters.sql._base import SqlBase, dialect_insert, utcnow
from lovemachine.adapters.sql.records import (
    LISTING_FIELDS,
    StoredListing,
    decision_from_row,
    decision_to_row,
    listing_to_row,
    stored_listing_from_row,
)
from lovemachine.adapters.sql.statement_store import insert_statements, listing_version_row
from lovemachine.adapters.sql.tables import decisions, listing_versions, listings, review_items
from lovemachine.errors import DatabaseUnavailableError, DataRejectedError
from lovemachine.listings import Listing
from lovemachine.policy import Action, Decision
from lovemachine.ports import RecordedDecision
from lovemachine.review.effects import DecisionEffects, plan_decision_effects

Key = tuple[str, int, str]
"""(listing id, listing version, model version): what makes a decision unique."""


def decision_key(d: Decision) -> Key:
    return (d.listing_id, d.listing_version, d.model_version)


def _db_message(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    text = " ".join(str(orig).split())  # one line: DETAIL and HINT included
    return f"{type(orig).__name__}: {text[:600]}"


@contextmanager
def translate_db_errors(what: str) -> Iterator[None]:
    """Raise SQLAlchemy's errors as the core's: transient (retry) or permanent (the row is refused).

    Transient: the connection failed, dropped or timed out (``OperationalError``, ``InterfaceError``,
    an invalidated connection, the pool's checkout timeout). Permanent: the database refused the data
    (``IntegrityError``, ``DataError``). Anything else (a bug, a missing migration) is left as it is.
    """
    try:
        yield
    except (sa_exc.IntegrityError, sa_exc.DataError) as exc:
        raise DataRejectedError(f"the database refused {what}: {_db_message(exc)}") from exc
    except sa_exc.DBAPIError as exc:
        if exc.connection_invalidated or isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError):
            raise DatabaseUnavailableError(f"could not {what}: {_db_message(exc)}") from exc
        raise
    except (sa_exc.TimeoutError, sa_exc.DisconnectionError) as exc:
        raise DatabaseUnavailableError(f"could not {what}: {_db_message(exc)}") from exc


class DecisionStoreMixin(SqlBase):
    # ----------------------------------------------------------------------------- writes
    def record_decisions(self, items: Sequence[tuple[Listing, Decision]]) -> list[RecordedDecision]:
        """See :meth:`lovemachine.ports.DecisionStore.record_decisions`.

        Hide decisions mark the listing hidden; each new ``report`` or ``hide`` decision opens a
        review item in the queue of its category (``auto_hidden`` for hides, so CS can restore a
        wrong hide); a deterministic random sample of hides and allows (``self.audit_sample``) also
        opens one in the ``audit`` queue; hides and reports are written to the audit log as
        ``worker:<model version>``.
        """
        for listing, decision in items:
            if (listing.id, listing.version) != (decision.listing_id, decision.listing_version):
                raise ValueError(
                    f"decision for {decision.listing_id}@{decision.listing_version} paired with "
                    f"listing {listing.id}@{listing.version}"
                )
        if not items:
            return []
        now = utcnow()
        first: dict[Key, Decision] = {}
        for _, decision in items:
            first.setdefault(decision_key(decision), decision)
        with translate_db_errors(f"record {len(first)} decisions"), self._write() as conn:
            self._upsert_listings(conn, [listing for listing, _ in items], now)
            acting = self._acting_keys(conn, first)
            created = self._insert_decisions(conn, {k: d for k, d in first.items() if acting[k[:2]] == k})
            existing = self._load_decisions(conn, [acting[k[:2]] for k in first if k not in created])
            new = [(created[k], first[k]) for k in sorted(created)]
            locales = {(listing.id, listing.version): listing.locale for listing, _ in items}
            plan = plan_decision_effects(new, self.audit_sample, dsa=self.dsa, locales=locales, now=now)
            self._apply_effects(conn, plan, now)
        out: list[RecordedDecision] = []
        seen: set[Key] = set()
        for _, decision in items:
            key = decision_key(decision)
            if key in created:
                out.append(RecordedDecision(first[key], created=key not in seen, action_published=False))
            else:
                stored, published = existing[acting[key[:2]]]
                out.append(RecordedDecision(stored, created=False, action_published=published))
            seen.add(key)
        return out

    def _upsert_listings(self, conn: Connection, items: Sequence[Listing], now: datetime) -> None:
        latest: dict[str, Listing] = {}
        for listing in items:
            if listing.id not in latest or listing.version >= latest[listing.id].version:
                latest[listing.id] = listing
        rows = [
            {**listing_to_row(latest[i]), "status": "visible", "first_seen_at": now, "updated_at": now}
            for i in sorted(latest)
        ]
        stmt = dialect_insert(conn, listings)
        stmt = stmt.on_conflict_do_update(
            index_elements=[listings.c.id],
            set_={**{f: stmt.excluded[f] for f in LISTING_FIELDS}, "updated_at": stmt.excluded.updated_at},
            where=listings.c.version < stmt.excluded.version,
        )
        conn.execute(stmt, rows)
        versions = {(listing.id, listing.version): listing for listing in items}
        keep = dialect_insert(conn, listing_versions).on_conflict_do_nothing(
            index_elements=["listing_id", "version"]
        )
        conn.execute(keep, [listing_version_row(versions[k], now) for k in sorted(versions)])

    def _acting_keys(self, conn: Connection, first: dict[Key, Decision]) -> dict[tuple[str, int], Key]:
        """(listing id, version) -> the key of the decision that acts on it: the stored one (any model
        version, the earliest), else the first of this batch."""
        acting: dict[tuple[str, int], Key] = {}
        wanted = {k[:2] for k in first}
        ids = sorted({k[0] for k in first})
        for start in range(0, len(ids), 500):
            query = (
                select(decisions.c.listing_id, decisions.c.listing_version, decisions.c.model_version)
                .where(decisions.c.listing_id.in_(ids[start : start + 500]))
                .order_by(decisions.c.id)
            )
            for listing_id, listing_version, model_version in conn.execute(query):
                if (listing_id, listing_version) in wanted:
                    acting.setdefault(
                        (listing_id, listing_version), (listing_id, listing_version, model_version)
                    )
        for key in first:
            acting.setdefault(key[:2], key)
        return acting

    def _insert_decisions(self, conn: Connection, first: dict[Key, Decision]) -> dict[Key, int]:
        """Insert the decisions whose key is not stored yet; return {key: id} of those created."""
        if not first:
            return {}
        stmt = (
            dialect_insert(conn, decisions)
            .on_conflict_do_nothing(index_elements=["listing_id", "listing_version", "model_version"])
            .returning(
                decisions.c.id, decisions.c.listing_id, decisions.c.listing_version, decisions.c.model_version
            )
        )
        rows = [decision_to_row(first[k]) for k in sorted(first)]
        result = conn.execute(stmt, rows)
        return {(r.listing_id, r.listing_version, r.model_version): r.id for r in result}

    def _load_decisions(self, conn: Connection, keys: Sequence[Key]) -> dict[Key, tuple[Decision, bool]]:
        if not keys:
            return {}
        wanted = set(keys)
        found: dict[Key, tuple[Decision, bool]] = {}
        ids = sorted({k[0] for k in keys})
        for start in range(0, len(ids), 500):
            query = select(decisions).where(decisions.c.listing_id.in_(ids[start : start + 500]))
            for row in conn.execute(query).mappings():
                key = (row["listing_id"], row["listing_version"], row["model_version"])
                if key in wanted:
                    found[key] = (decision_from_row(row), row["action_published_at"] is not None)
        missing = wanted - found.keys()
        if missing:  # only possible if a row vanished between the insert and this read
            raise RuntimeError(f"decisions neither inserted nor found: {sorted(missing)[:5]}")
        return found

    def _apply_effects(self, conn: Connection, plan: DecisionEffects, now: datetime) -> None:
        """Execute a decision plan (``lovemachine.review.effects``) in the caller's transaction."""
        if plan.hide:
            stmt = (
                update(listings)
                .where(and_(listings.c.id == bindparam("b_id"), listings.c.version == bindparam("b_version")))
                .values(status="hidden", updated_at=bindparam("b_now"))
            )
            conn.execute(stmt, [{"b_id": i, "b_version": v, "b_now": now} for i, v in plan.hide])
        if plan.review_items:
            insert = dialect_insert(conn, review_items).on_conflict_do_nothing(
                index_elements=["listing_id", "listing_version", "queue"]
            )
            rows = [
                {
                    "listing_id": item.listing_id,
                    "listing_version": item.listing_version,
                    "decision_id": item.decision_id,
                    "queue": item.queue,
                    "priority": item.priority,
                    "status": "open",
                    "auto_hidden": item.auto_hidden,
                    "created_at": now,
                }
                for item in plan.review_items
            ]
            conn.execute(insert, rows)
        self._audit(
            conn,
            [(e.actor, e.action, e.subject_type, e.subject_id, e.detail) for e in plan.audit_entries],
            at=now,
        )
        insert_statements(conn, plan.statements, now)

    def mark_actions_published(self, keys: Sequence[tuple[str, int, str]]) -> None:
        """See :meth:`lovemachine.ports.DecisionStore.mark_actions_published` (first time kept)."""
        if not keys:
            return
        stmt = (
            update(decisions)
            .where(
                and_(
                    decisions.c.listing_id == bindparam("b_listing_id"),
                    decisions.c.listing_version == bindparam("b_listing_version"),
                    decisions.c.model_version == bindparam("b_model_version"),
                    decisions.c.action_published_at.is_(None),
                )
            )
            .values(action_published_at=bindparam("b_now"))
        )
        now = utcnow()
        with translate_db_errors("mark actions published"), self._write() as conn:
            conn.execute(
                stmt,
                [
                    {"b_listing_id": i, "b_listing_version": v, "b_model_version": m, "b_now": now}
                    for i, v, m in sorted(set(keys))
                ],
            )

    def unpublished_actions(
        self, *, decided_before: datetime, decided_after: datetime | None = None, limit: int = 500
    ) -> list[Decision]:
        """See :meth:`lovemachine.ports.DecisionStore.unpublished_actions`.

        The scan is bounded by the ``decided_at`` index: callers pass a window, not the whole table.
        """
        conditions = [
            decisions.c.action.in_([Action.HIDE.value, Action.REPORT.value]),
            decisions.c.action_published_at.is_(None),
            decisions.c.decided_at < decided_before,
        ]
        if decided_after is not None:
            conditions.append(decisions.c.decided_at >= decided_after)
        query = select(decisions).where(and_(*conditions)).order_by(decisions.c.decided_at, decisions.c.id)
        with translate_db_errors("read unpublished actions"), self._read() as conn:
            return [decision_from_row(row) for row in conn.execute(query.limit(limit)).mappings()]

    # ----------------------------------------------------------------------------- reads
    def get_listing(self, listing_id: str) -> StoredListing | None:
        with self._read() as conn:
            row = conn.execute(select(listings).where(listings.c.id == listing_id)).mappings().first()
        return stored_listing_from_row(row) if row is not None else None

    def decisions_for(self, listing_id: str) -> list[Decision]:
        """Every decision on any version of the listing, oldest version and decision first."""
        query = (
            select(decisions)
            .where(decisions.c.listing_id == listing_id)
            .order_by(decisions.c.listing_version, decisions.c.decided_at, decisions.c.id)
        )
        with self._read() as conn:
            return [decision_from_row(row) for row in conn.execute(query).mappings()]

    def decisions_for_model(self, model_version: str) -> list[Decision]:
        """Every decision a model version made, in the order they were stored."""
        query = select(decisions).where(decisions.c.model_version == model_version).order_by(decisions.c.id)
        with self._read() as conn:
            return [decision_from_row(row) for row in conn.execute(query).mappings()]

    def action_summary(self, model_version: str | None = None) -> dict[str, Any]:
        """Decision counts: ``{"total": n, "by_action": {action: n}, "by_category": {cat: {action: n}}}``.

        Every action appears in ``by_action`` (0 when absent); ``by_category`` holds the categories
        that drove a report or hide.
        """
        query = select(decisions.c.category, decisions.c.action, func.count().label("n")).group_by(
            decisions.c.category, decisions.c.action
        )
        if model_version is not None:
            query = query.where(decisions.c.model_version == model_version)
        by_action = {a.value: 0 for a in Action}
        by_category: dict[str, dict[str, int]] = {}
        with self._read() as conn:
            for category, action, n in conn.execute(query):
                by_action[action] = by_action.get(action, 0) + n
                if category is not None:
                    by_category.setdefault(category, {})[action] = n
        return {"total": sum(by_action.values()), "by_action": by_action, "by_category": by_category}

    def count_review_items(self, status: str = "open", *, queue: str | None = None) -> int:
        query = select(func.count()).select_from(review_items).where(review_items.c.status == status)
        if queue is not None:
            query = query.where(review_items.c.queue == queue)
        with self._read() as conn:
            return int(conn.execute(query).scalar_one())
