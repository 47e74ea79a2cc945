"""Labels: closing a review item with a CS verdict, and the moderation action it triggers.

``record_label`` closes the item with ``UPDATE ... WHERE status = 'claimed' AND claimed_by = :me``;
the label (with the decision's model version and thresholds), the listing's new status, the outbox
row for its ``hide``/``restore`` message and the audit entry are written in that same transaction.
Publishing happens after commit (``lovemachine.services.outbox``); a failed publish leaves the row
pending for a retry. A label carries the client's Idempotency-Key, unique per reviewer: a repeat
returns the stored label and writes nothing. Labels on items of the ``audit`` queue (the random audit
sample) are stored with source ``audit``, every other CS label with source ``cs``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, exists, select, update
from sqlalchemy.exc import IntegrityError

from lovemachine.adapters.sql._base import SqlBase, utcnow
from lovemachine.adapters.sql.enforcement_store import recommend_if_due
from lovemachine.adapters.sql.records import Row, decision_from_row
from lovemachine.adapters.sql.review_store import raise_unavailable
from lovemachine.adapters.sql.statement_store import insert_statements, latest_restriction
from lovemachine.adapters.sql.tables import (
    action_outbox,
    decisions,
    labels,
    listing_versions,
    listings,
    model_versions,
    review_items,
)
from lovemachine.policy import Decision
from lovemachine.review.effects import (  # re-exported
    CS_MODEL_VERSION as CS_MODEL_VERSION,
    LabelPlan,
    label_source as label_source,
    plan_label,
)
from lovemachine.review.policy import label_effect
from lovemachine.review.records import (
    ConflictError,
    LabelOutcome,
    LabelRecord,
    PendingAction,
    SellerViolation,
)

REVIEW_SOURCES = ("cs", "audit")
"""Label sources written by CS staff: ``audit`` for items of the random audit sample, else ``cs``."""


def label_from_row(row: Row) -> LabelRecord:
    return LabelRecord(
        id=int(row["id"]),
        listing_id=row["listing_id"],
        listing_version=row["listing_version"],
        review_item_id=row["review_item_id"],
        category=row["category"],
        violation=bool(row["violation"]),
        source=row["source"],
        reviewer=row["reviewer"],
        note=row["note"],
        model_version=row["model_version"],
        thresholds=dict(row["thresholds"]) if row["thresholds"] is not None else None,
        auto_hidden=bool(row["auto_hidden"]),
        created_at=row["created_at"],
        superseded_by=row["superseded_by"],
    )


class LabelStoreMixin(SqlBase):
    # ----------------------------------------------------------------------------- labels
    def record_label(
        self,
        item_id: int,
        *,
        reviewer: str,
        label: str,
        note: str = "",
        idempotency_key: str | None = None,
        now: datetime | None = None,
    ) -> LabelOutcome:
        """Label a review item the reviewer holds the claim on, and apply what the label does.

        In one transaction: close the item, insert the label (with the model version and thresholds
        of the decision that opened it), hide or restore the listing, queue the moderation action in
        the outbox, audit. A repeat with the same ``idempotency_key`` returns the first outcome with
        ``replayed=True``; the same key for a different label raises ``ConflictError``.
        """
        now = now or utcnow()
        label_effect(label, listing_status="visible", same_version=True, auto_hidden=False)  # validates
        with self._write() as conn:
            if idempotency_key:
                replay = self._replay(conn, reviewer, idempotency_key, item_id, label, note)
                if replay is not None:
                    return replay
            c = review_items.c
            closed = conn.execute(
                update(review_items)
                .where(c.id == item_id, c.status == "claimed", c.claimed_by == reviewer)
                .values(status="done", resolved_at=now, claim_expires_at=None)
            )
            if closed.rowcount != 1:
                if idempotency_key:  # a concurrent double submit may have just committed
                    replay = self._replay(conn, reviewer, idempotency_key, item_id, label, note)
                    if replay is not None:
                        return replay
                raise_unavailable(conn, item_id, now)
            try:
                return self._apply_label(conn, item_id, reviewer, label, note, idempotency_key, now)
            except IntegrityError:
                raise ConflictError(
                    "this Idempotency-Key was already used for another label", code="idempotency_key_reused"
                ) from None

    def _apply_label(
        self,
        conn: Connection,
        item_id: int,
        reviewer: str,
        label: str,
        note: str,
        idempotency_key: str | None,
        now: datetime,
    ) -> LabelOutcome:
        """Plan the label on the locked state (``plan_label``) and execute the plan: the label row, the
        listing's status, the outbox message, the audit entry."""
        item = conn.execute(select(review_items).where(review_items.c.id == item_id)).mappings().one()
        plan, thresholds = self._plan_label(conn, item, label, note, now)
        label_id = conn.execute(
            labels.insert()
            .values(
                listing_id=item["listing_id"],
                listing_version=item["listing_version"],
                review_item_id=item_id,
                category=plan.category,
                violation=plan.violation,
                source=plan.source,
                reviewer=reviewer,
                note=note,
                model_version=plan.model_version,
                thresholds=thresholds,
                auto_hidden=bool(item["auto_hidden"]),
                created_at=now,
                idempotency_key=idempotency_key,
            )
            .returning(labels.c.id)
        ).scalar_one()
        outbox_ids = self._label_effects(conn, item, plan, label_id, now)
        if plan.statement is not None:
            cause = replace(plan.statement.cause, label_id=label_id)
            insert_statements(conn, [replace(plan.statement, cause=cause)], now)
        if plan.violation:
            recommend_if_due(self, conn, item["listing_id"], item["listing_version"], now)
        self._audit(
            conn, [(reviewer, "label.create", "listing", item["listing_id"], plan.audit_detail)], at=now
        )
        row = conn.execute(select(labels).where(labels.c.id == label_id)).mappings().one()
        action = plan.outbox.action if plan.outbox is not None else None
        return LabelOutcome(label_from_row(row), action, replayed=False, outbox_ids=outbox_ids)

    def _plan_label(
        self, conn: Connection, item: RowMapping, label: str, note: str, now: datetime
    ) -> tuple[LabelPlan, Any]:
        """Lock the listing, read what the plan needs (the decision, its thresholds, whether another
        review already confirmed a violation on this version) and plan the label."""
        listing = (
            conn.execute(
                select(listings.c.version, listings.c.status)
                .where(listings.c.id == item["listing_id"])
                .with_for_update()
            )
            .mappings()
            .one()
        )
        decision = self._decision(conn, item["decision_id"])
        thresholds = None
        if decision is not None:
            thresholds = conn.execute(
                select(model_versions.c.thresholds).where(model_versions.c.version == decision.model_version)
            ).scalar_one_or_none()
        confirmed_elsewhere = conn.execute(
            select(
                exists().where(
                    labels.c.listing_id == item["listing_id"],
                    labels.c.listing_version == item["listing_version"],
                    labels.c.violation.is_(True),
                    labels.c.source.in_(REVIEW_SOURCES),
                    labels.c.superseded_by.is_(None),
                )
            )
        ).scalar_one()
        version = conn.execute(
            select(listing_versions.c.locale, listing_versions.c.first_seen_at).where(
                listing_versions.c.listing_id == item["listing_id"],
                listing_versions.c.version == item["listing_version"],
            )
        ).first()
        plan = plan_label(
            label,
            item_id=item["id"],
            queue=item["queue"],
            listing_id=item["listing_id"],
            listing_version=item["listing_version"],
            auto_hidden=bool(item["auto_hidden"]),
            listing_status=listing["status"],
            stored_version=listing["version"],
            decision=decision,
            violation_confirmed_elsewhere=bool(confirmed_elsewhere),
            note=note,
            now=now,
            dsa=self.dsa,
            locale=version.locale if version is not None else "",
            content_date=version.first_seen_at if version is not None else None,
            restriction_puid=latest_restriction(conn, item["listing_id"], item["listing_version"]),
        )
        return plan, thresholds

    @staticmethod
    def _label_effects(
        conn: Connection, item: RowMapping, plan: LabelPlan, label_id: int, now: datetime
    ) -> tuple[int, ...]:
        """The listing's new status and the outbox message, as planned; returns the outbox ids."""
        if plan.new_status is not None:
            conn.execute(
                update(listings)
                .where(listings.c.id == item["listing_id"], listings.c.version == item["listing_version"])
                .values(status=plan.new_status, updated_at=now)
            )
        if plan.outbox is None:
            return ()
        outbox_id = conn.execute(
            action_outbox.insert()
            .values(
                label_id=label_id,
                listing_id=item["listing_id"],
                listing_version=item["listing_version"],
                action=plan.outbox.action,
                payload=plan.outbox.payload,
                attributes=plan.outbox.attributes,
                created_at=now,
                attempts=0,
            )
            .returning(action_outbox.c.id)
        ).scalar_one()
        return (outbox_id,)

    @staticmethod
    def _replay(
        conn: Connection, reviewer: str, key: str, item_id: int, label: str, note: str
    ) -> LabelOutcome | None:
        row = (
            conn.execute(select(labels).where(labels.c.reviewer == reviewer, labels.c.idempotency_key == key))
            .mappings()
            .first()
        )
        if row is None:
            return None
        stored = label_from_row(row)
        if stored.review_item_id != item_id or stored.label != label or stored.note != note:
            raise ConflictError(
                "this Idempotency-Key was already used for another label",
                code="idempotency_key_reused",
                details={"review_item_id": stored.review_item_id, "label": stored.label},
            )
        action = conn.execute(
            select(action_outbox.c.action).where(action_outbox.c.label_id == stored.id).limit(1)
        ).scalar_one_or_none()
        return LabelOutcome(stored, action, replayed=True)

    @staticmethod
    def _decision(conn: Connection, decision_id: int | None) -> Decision | None:
        if decision_id is None:
            return None
        row = conn.execute(select(decisions).where(decisions.c.id == decision_id)).mappings().first()
        return decision_from_row(row) if row is not None else None

    def labels_for_listing(self, listing_id: str) -> list[LabelRecord]:
        query = (
            select(labels).where(labels.c.listing_id == listing_id).order_by(labels.c.created_at, labels.c.id)
        )
        with self._read() as conn:
            return [label_from_row(r) for r in conn.execute(query).mappings()]

    def get_decision(self, decision_id: int) -> Decision | None:
        with self._read() as conn:
            return self._decision(conn, decision_id)

    def seller_violations(
        self, seller_id: str, *, exclude_listing_id: str, limit: int = 20
    ) -> list[SellerViolation]:
        """Confirmed violations (labels) on the seller's other listings, newest first."""
        query = (
            select(labels.c.listing_id, listings.c.title, labels.c.category, labels.c.created_at)
            .join(listings, listings.c.id == labels.c.listing_id)
            .where(
                listings.c.seller_id == seller_id,
                labels.c.listing_id != exclude_listing_id,
                labels.c.violation.is_(True),
            )
            .order_by(labels.c.created_at.desc(), labels.c.id.desc())
            .limit(limit)
        )
        with self._read() as conn:
            return [SellerViolation(*r) for r in conn.execute(query).all()]

    # ----------------------------------------------------------------------------- outbox
    def pending_actions(self, *, limit: int = 100) -> list[PendingAction]:
        """Moderation actions written by labels and not yet confirmed published, oldest first."""
        query = (
            select(action_outbox)
            .where(action_outbox.c.published_at.is_(None))
            .order_by(action_outbox.c.id)
            .limit(limit)
        )
        with self._read() as conn:
            return [
                PendingAction(
                    id=int(r["id"]),
                    action=r["action"],
                    listing_id=r["listing_id"],
                    payload=dict(r["payload"]),
                    attributes={str(k): str(v) for k, v in r["attributes"].items()},
                    attempts=int(r["attempts"]),
                )
                for r in conn.execute(query).mappings()
            ]

    def mark_action_published(self, action_id: int) -> None:
        with self._write() as conn:
            conn.execute(
                update(action_outbox)
                .where(action_outbox.c.id == action_id, action_outbox.c.published_at.is_(None))
                .values(published_at=utcnow(), attempts=action_outbox.c.attempts + 1, last_error=None)
            )

    def mark_action_failed(self, action_id: int, error: str) -> None:
        with self._write() as conn:
            conn.execute(
                update(action_outbox)
                .where(action_outbox.c.id == action_id)
                .values(attempts=action_outbox.c.attempts + 1, last_error=error[:2000])
            )
