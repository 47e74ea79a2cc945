"""Deciding an appeal in SQL: the outcome's effects (restore or restrict through the action outbox, a
new statement that supersedes the contested one, the original labels superseded, a confirming label)
are written in one transaction with the listing's row locked, as a label's are. The rules are
``lovemachine.dsa.appeals``."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import Connection, select, update

from lovemachine.adapters.sql._base import SqlBase, utcnow
from lovemachine.adapters.sql.appeal_store import appeal_from_row
from lovemachine.adapters.sql.enforcement_store import recommend_if_due
from lovemachine.adapters.sql.statement_store import insert_statements, latest_restriction
from lovemachine.adapters.sql.tables import (
    action_outbox,
    appeals,
    labels,
    listing_versions,
    listings,
    statements,
)
from lovemachine.dsa.appeals import (
    Appeal,
    AppealStatus,
    Appellant,
    Contested,
    Outcome,
    check_decider,
    check_outcome,
)
from lovemachine.dsa.statements import (
    Automation,
    Kind,
    Source,
    StatementCause,
    StatementPlan,
    appeal_puid,
    build_statement,
)
from lovemachine.errors import ConflictError, NotFoundError
from lovemachine.listings import ModerationAction


class AppealDecisionMixin(SqlBase):
    # ----------------------------------------------------------------------------- the decision
    def decide_appeal(
        self,
        appeal_id: int,
        *,
        staff: str,
        outcome: str,
        reason: str,
        category: str | None = None,
        now: datetime | None = None,
    ) -> tuple[Appeal, tuple[int, ...]]:
        """Decide an appeal (see ``lovemachine.dsa.appeals``); returns it and the outbox ids to publish."""
        now = now or utcnow()
        with self._write() as conn:
            row = conn.execute(select(appeals).where(appeals.c.id == appeal_id)).mappings().first()
            if row is None:
                raise NotFoundError(f"no appeal #{appeal_id}")
            appeal = appeal_from_row(row)
            if appeal.status == AppealStatus.DECIDED.value:
                raise ConflictError(f"appeal #{appeal_id} was decided by {appeal.decided_by}", code="decided")
            claimed = appeal.status == AppealStatus.CLAIMED.value and appeal.claim_expires_at is not None
            if claimed and appeal.claimed_by != staff and appeal.claim_expires_at > now:  # type: ignore[operator]
                raise ConflictError(f"appeal #{appeal_id} is claimed by {appeal.claimed_by}", code="claimed")
            check_decider(appeal, staff)
            result = check_outcome(appeal, outcome, reason, category)
            label_id, puid, outbox_ids = self._appeal_effects(
                conn, appeal, result, staff, reason, category, now
            )
            if label_id is not None:
                recommend_if_due(self, conn, appeal.listing_id, appeal.listing_version, now)
            conn.execute(
                update(appeals)
                .where(appeals.c.id == appeal_id)
                .values(
                    status=AppealStatus.DECIDED.value,
                    outcome=result.value,
                    decided_by=staff,
                    decided_at=now,
                    reason=reason,
                    label_id=label_id,
                    statement_out_puid=puid,
                    claim_expires_at=None,
                )
            )
            self._audit(
                conn,
                [
                    (
                        staff,
                        f"appeal.{result.value}",
                        "listing",
                        appeal.listing_id,
                        {
                            "appeal_id": appeal_id,
                            "reason": reason,
                            "label_id": label_id,
                            "statement_puid": puid,
                            "original_decider": appeal.original_decider,
                            "original_model_version": appeal.original_model_version,
                        },
                    )
                ],
                at=now,
            )
            stored = conn.execute(select(appeals).where(appeals.c.id == appeal_id)).mappings().one()
        return appeal_from_row(stored), outbox_ids

    def _appeal_effects(
        self,
        conn: Connection,
        appeal: Appeal,
        outcome: Outcome,
        staff: str,
        reason: str,
        category: str | None,
        now: datetime,
    ) -> tuple[int | None, str | None, tuple[int, ...]]:
        """(label written, statement issued, outbox ids) of the decision, with the listing locked."""
        listing = (
            conn.execute(
                select(listings.c.version, listings.c.status)
                .where(listings.c.id == appeal.listing_id)
                .with_for_update()
            )
            .mappings()
            .one()
        )
        current = listing["version"] == appeal.listing_version
        if appeal.contested == Contested.RESTRICTION:
            st = (
                conn.execute(select(statements).where(statements.c.puid == appeal.statement_puid))
                .mappings()
                .one()
            )
            if outcome is Outcome.UPHELD:
                if appeal.original_label_id is not None:
                    return None, None, ()
                label_id = self._appeal_label(conn, appeal, staff, reason, st["category"], True, now)
                return label_id, None, ()
            label_id = self._appeal_label(conn, appeal, staff, reason, None, False, now)
            self._supersede(conn, appeal, label_id, violation=True)
            # the hide carries over to versions edited since, unless one of them was restricted itself
            later = current or latest_restriction(conn, appeal.listing_id, listing["version"]) is None
            restore = listing["status"] == "hidden" and later
            plan = self._appeal_statement(conn, appeal, Kind.RESTORE, st["category"], reason, now, st["puid"])
            insert_statements(conn, [_with(plan, label_id=label_id, appeal_id=appeal.id)], now)
            if not restore:
                return label_id, plan.puid, ()
            self._set_status(conn, appeal, "visible", now)
            return (
                label_id,
                plan.puid,
                (self._outbox(conn, appeal, "restore", label_id, plan.puid, reason, now),),
            )
        # a decision not to act
        if outcome is Outcome.UPHELD:
            return None, None, ()
        assert category is not None
        label_id = self._appeal_label(conn, appeal, staff, reason, category, True, now)
        self._supersede(conn, appeal, label_id, violation=False)
        if not (current and listing["status"] == "visible"):
            return label_id, None, ()
        plan = self._appeal_statement(conn, appeal, Kind.RESTRICTION, category, reason, now, None)
        insert_statements(conn, [_with(plan, label_id=label_id, appeal_id=appeal.id)], now)
        self._set_status(conn, appeal, "hidden", now)
        return label_id, plan.puid, (self._outbox(conn, appeal, "hide", label_id, plan.puid, reason, now),)

    def _appeal_label(
        self,
        conn: Connection,
        appeal: Appeal,
        staff: str,
        reason: str,
        category: str | None,
        violation: bool,
        now: datetime,
    ) -> int:
        return int(
            conn.execute(
                labels.insert()
                .values(
                    listing_id=appeal.listing_id,
                    listing_version=appeal.listing_version,
                    review_item_id=None,
                    category=category if violation else None,
                    violation=violation,
                    source="cs",
                    reviewer=staff,
                    note=f"appeal #{appeal.id}: {reason}"[:2000],
                    model_version=appeal.original_model_version,
                    thresholds=None,
                    auto_hidden=appeal.original_decider.startswith("worker:"),
                    created_at=now,
                )
                .returning(labels.c.id)
            ).scalar_one()
        )

    @staticmethod
    def _supersede(conn: Connection, appeal: Appeal, label_id: int, *, violation: bool) -> None:
        """The standing labels the decision reverses (those that found a violation, or none) are set
        aside for training: superseded by the decider's label."""
        conn.execute(
            update(labels)
            .where(
                labels.c.listing_id == appeal.listing_id,
                labels.c.listing_version == appeal.listing_version,
                labels.c.violation.is_(violation),
                labels.c.superseded_by.is_(None),
                labels.c.id != label_id,
            )
            .values(superseded_by=label_id)
        )

    def _appeal_statement(
        self,
        conn: Connection,
        appeal: Appeal,
        kind: Kind,
        category: str,
        reason: str,
        now: datetime,
        supersedes: str | None,
    ) -> StatementPlan:
        version = conn.execute(
            select(listing_versions.c.locale, listing_versions.c.first_seen_at).where(
                listing_versions.c.listing_id == appeal.listing_id,
                listing_versions.c.version == appeal.listing_version,
            )
        ).first()
        who = "the seller's" if appeal.appellant == Appellant.SELLER else "a customer's"
        verb = "reversed the earlier decision" if kind is Kind.RESTORE else "restricted the listing"
        cause = StatementCause(
            kind=kind,
            listing_id=appeal.listing_id,
            listing_version=appeal.listing_version,
            category=category,
            locale=version.locale if version is not None else "",
            content_date=version.first_seen_at if version is not None else now,
            decided_at=now,
            automated_detection=False,
            automation=Automation.NOT,
            source=Source.NOTICE if appeal.appellant == Appellant.NOTIFIER else Source.OWN_INITIATIVE,
            facts=f"On {who} complaint, a person on our team who did not make the original decision "
            f"reviewed it and {verb}: {reason}"[:1500],
            appeal_id=appeal.id,
            supersedes=supersedes,
        )
        return build_statement(
            cause, self.dsa, appeal_puid(appeal.listing_id, appeal.listing_version, appeal.id, now)
        )

    @staticmethod
    def _set_status(conn: Connection, appeal: Appeal, status: str, now: datetime) -> None:
        conn.execute(
            update(listings).where(listings.c.id == appeal.listing_id).values(status=status, updated_at=now)
        )

    @staticmethod
    def _outbox(
        conn: Connection, appeal: Appeal, action: str, label_id: int, puid: str, reason: str, now: datetime
    ) -> int:
        message = ModerationAction(
            listing_id=appeal.listing_id,
            listing_version=appeal.listing_version,
            action=action,  # type: ignore[arg-type]
            scores={},
            reasons=[f"appeal: {action} after a human review of complaint #{appeal.id}"],
            model_version=appeal.original_model_version or "cs-review",
            decided_at=now,
            statement_puid=puid,
        )
        return int(
            conn.execute(
                action_outbox.insert()
                .values(
                    label_id=label_id,
                    listing_id=appeal.listing_id,
                    listing_version=appeal.listing_version,
                    action=action,
                    payload=message.model_dump(mode="json"),
                    attributes={
                        "action": action,
                        "listing_id": appeal.listing_id,
                        "model_version": message.model_version,
                        "source": "appeal",
                    },
                    created_at=now,
                    attempts=0,
                )
                .returning(action_outbox.c.id)
            ).scalar_one()
        )


def _with(plan: StatementPlan, *, label_id: int, appeal_id: int) -> StatementPlan:
    return replace(plan, cause=replace(plan.cause, label_id=label_id, appeal_id=appeal_id))
