"""Appeals (DSA Art. 20) in SQL: intake from the marketplace, the appeals queue, and the decision, whose
effects (restore, new statement, superseded label, confirming label) are written in one transaction
with the listing's row locked, as a label's are. The rules are ``lovemachine.dsa.appeals``."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, or_, select, update

from lovemachine.adapters.sql._base import SqlBase, utcnow
from lovemachine.adapters.sql.records import Row, decision_from_row
from lovemachine.adapters.sql.statement_store import latest_restriction
from lovemachine.adapters.sql.tables import (
    appeals,
    decisions,
    labels,
    statements,
    user_reports,
)
from lovemachine.dsa.appeals import (
    MAX_APPEAL_TEXT,
    Appeal,
    AppealStatus,
    Appellant,
    Contested,
    check_in_time,
    original_decider,
)
from lovemachine.dsa.statements import (
    Kind,
)
from lovemachine.errors import ConflictError, NotFoundError, RefusedError
from lovemachine.policy import Decision

APPEAL_CLAIM_TTL = timedelta(minutes=30)
CS_REVIEW_SOURCES = ("cs", "audit")


def appeal_from_row(row: Row) -> Appeal:
    return Appeal(**{name: row[name] for name in Appeal.__dataclass_fields__})


class AppealStoreMixin(SqlBase):
    # ----------------------------------------------------------------------------- intake
    def create_appeal(
        self,
        *,
        appellant: str,
        text: str,
        submitted_by: str,
        listing_id: str | None = None,
        listing_version: int | None = None,
        statement_puid: str | None = None,
        external_id: str | None = None,
        now: datetime | None = None,
    ) -> tuple[Appeal, bool]:
        """Accept a complaint forwarded by the marketplace; returns (appeal, created). The same
        ``external_id`` from the same token returns the stored appeal (``created=False``)."""
        now = now or utcnow()
        if appellant not in (Appellant.SELLER, Appellant.NOTIFIER):
            raise RefusedError("appellant must be 'seller' or 'notifier'", code="bad_appellant")
        if not text.strip() or len(text) > MAX_APPEAL_TEXT:
            raise RefusedError(
                f"the complaint's text must be 1 to {MAX_APPEAL_TEXT} characters", code="bad_text"
            )
        with self._write() as conn:
            if external_id is not None:
                found = (
                    conn.execute(
                        select(appeals).where(
                            appeals.c.submitted_by == submitted_by, appeals.c.external_id == external_id
                        )
                    )
                    .mappings()
                    .first()
                )
                if found is not None:
                    return appeal_from_row(found), False
            if appellant == Appellant.SELLER:
                values = self._seller_appeal(conn, listing_id, listing_version, statement_puid, now)
            else:
                values = self._notifier_appeal(conn, listing_id, listing_version, now)
            pending = conn.execute(
                select(appeals.c.id).where(
                    appeals.c.listing_id == values["listing_id"],
                    appeals.c.listing_version == values["listing_version"],
                    appeals.c.appellant == appellant,
                    appeals.c.status != AppealStatus.DECIDED.value,
                )
            ).scalar_one_or_none()
            if pending is not None:
                raise ConflictError(
                    f"appeal #{pending} on this decision is still being handled",
                    code="appeal_pending",
                    details={"appeal_id": pending},
                )
            row = {
                **values,
                "appellant": appellant,
                "text": text,
                "submitted_by": submitted_by,
                "external_id": external_id,
                "received_at": now,
                "due_at": now + timedelta(hours=self.dsa.appeal_due_hours),
                "status": AppealStatus.OPEN.value,
            }
            appeal_id = conn.execute(appeals.insert().values(**row).returning(appeals.c.id)).scalar_one()
            self._audit(
                conn,
                [
                    (
                        f"token:{submitted_by}",
                        "appeal.create",
                        "listing",
                        values["listing_id"],
                        {"appeal_id": appeal_id, "appellant": appellant, "contested": values["contested"]},
                    )
                ],
                at=now,
            )
            stored = conn.execute(select(appeals).where(appeals.c.id == appeal_id)).mappings().one()
        return appeal_from_row(stored), True

    def _seller_appeal(
        self, conn: Connection, listing_id: str | None, version: int | None, puid: str | None, now: datetime
    ) -> dict[str, Any]:
        """A seller contests a restriction: the statement named, or the newest on the listing version."""
        if puid is None:
            if listing_id is None or version is None:
                raise RefusedError(
                    "name the statement (statement_puid) or the listing and its version", code="no_subject"
                )
            puid = latest_restriction(conn, listing_id, version)
            if puid is None:
                raise NotFoundError(
                    f"no restriction on listing {listing_id} v{version} to appeal", code="no_restriction"
                )
        st = conn.execute(select(statements).where(statements.c.puid == puid)).mappings().first()
        if st is None or st["kind"] != Kind.RESTRICTION.value:
            raise NotFoundError(f"no restriction statement {puid}", code="no_restriction")
        if listing_id is not None and (st["listing_id"], st["listing_version"]) != (listing_id, version):
            raise RefusedError(
                f"statement {puid} is not about listing {listing_id} v{version}", code="statement_mismatch"
            )
        check_in_time(st["created_at"], now, self.dsa)
        reversed_by = conn.execute(select(statements.c.puid).where(statements.c.supersedes == puid)).first()
        if reversed_by is not None:
            raise RefusedError(
                f"the restriction {puid} was already lifted ({reversed_by.puid})", code="already_reversed"
            )
        reviewer = None
        if st["label_id"] is not None:
            reviewer = conn.execute(
                select(labels.c.reviewer).where(labels.c.id == st["label_id"])
            ).scalar_one()
        decision = self._acting_decision(conn, st["listing_id"], st["listing_version"])
        model = decision.model_version if decision is not None else None
        return {
            "listing_id": st["listing_id"],
            "listing_version": st["listing_version"],
            "statement_puid": puid,
            "contested": Contested.RESTRICTION.value,
            "original_decider": original_decider(reviewer, model),
            "original_label_id": st["label_id"],
            "original_model_version": model,
        }

    def _notifier_appeal(
        self, conn: Connection, listing_id: str | None, version: int | None, now: datetime
    ) -> dict[str, Any]:
        """A customer who reported the listing contests CS's decision not to act on it."""
        if listing_id is None or version is None:
            raise RefusedError("a notifier's complaint names the listing and its version", code="no_subject")
        reported = conn.execute(
            select(user_reports.c.id)
            .where(user_reports.c.listing_id == listing_id, user_reports.c.listing_version == version)
            .limit(1)
        ).first()
        if reported is None:
            raise NotFoundError(f"no customer report on listing {listing_id} v{version}", code="no_report")
        label = (
            conn.execute(
                select(labels)
                .where(
                    labels.c.listing_id == listing_id,
                    labels.c.listing_version == version,
                    labels.c.source.in_(CS_REVIEW_SOURCES),
                    labels.c.superseded_by.is_(None),
                )
                .order_by(labels.c.created_at.desc(), labels.c.id.desc())
                .limit(1)
            )
            .mappings()
            .first()
        )
        if label is None:
            raise RefusedError("the report has not been decided yet; nothing to contest", code="not_decided")
        if label["violation"]:
            raise RefusedError(
                "the listing was found in breach; there is no decision not to act", code="acted_on"
            )
        check_in_time(label["created_at"], now, self.dsa)
        decision = self._acting_decision(conn, listing_id, version)
        return {
            "listing_id": listing_id,
            "listing_version": version,
            "statement_puid": None,
            "contested": Contested.NO_ACTION.value,
            "original_decider": original_decider(label["reviewer"], None),
            "original_label_id": label["id"],
            "original_model_version": decision.model_version if decision is not None else None,
        }

    @staticmethod
    def _acting_decision(conn: Connection, listing_id: str, version: int) -> Decision | None:
        row = (
            conn.execute(
                select(decisions)
                .where(decisions.c.listing_id == listing_id, decisions.c.listing_version == version)
                .order_by(decisions.c.id)
                .limit(1)
            )
            .mappings()
            .first()
        )
        return decision_from_row(row) if row is not None else None

    # ----------------------------------------------------------------------------- the queue
    def get_appeal(self, appeal_id: int) -> Appeal | None:
        with self._read() as conn:
            row = conn.execute(select(appeals).where(appeals.c.id == appeal_id)).mappings().first()
        return appeal_from_row(row) if row is not None else None

    def list_appeals(self, *, status: str | None = None, limit: int = 100) -> list[Appeal]:
        """Appeals oldest first (the order they are due in); ``status`` ``open`` includes claimed ones."""
        query = select(appeals)
        if status == AppealStatus.OPEN.value:
            query = query.where(appeals.c.status != AppealStatus.DECIDED.value)
        elif status is not None:
            query = query.where(appeals.c.status == status)
        query = query.order_by(appeals.c.received_at, appeals.c.id).limit(limit)
        with self._read() as conn:
            return [appeal_from_row(r) for r in conn.execute(query).mappings()]

    def claim_next_appeal(self, staff: str, *, now: datetime | None = None) -> Appeal | None:
        """Claim the oldest open appeal this person may decide (not one on their own decision)."""
        now = now or utcnow()
        free = or_(
            appeals.c.status == AppealStatus.OPEN.value,
            and_(appeals.c.status == AppealStatus.CLAIMED.value, appeals.c.claim_expires_at <= now),
        )
        with self._write() as conn:
            candidate = conn.execute(
                select(appeals.c.id)
                .where(free, appeals.c.original_decider != staff)
                .order_by(appeals.c.received_at, appeals.c.id)
                .limit(1)
            ).scalar_one_or_none()
            if candidate is None:
                return None
            conn.execute(
                update(appeals)
                .where(appeals.c.id == candidate, free)
                .values(
                    status=AppealStatus.CLAIMED.value,
                    claimed_by=staff,
                    claim_expires_at=now + APPEAL_CLAIM_TTL,
                )
            )
            row = conn.execute(select(appeals).where(appeals.c.id == candidate)).mappings().one()
        return appeal_from_row(row)
