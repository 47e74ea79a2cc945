"""Customer reports forwarded by the marketplace: the ``user_reports`` queue.

A report attaches to the listing's current version. Reports on one listing are serialised by a row
lock on the listing (PostgreSQL; SQLite serialises every write), so the count of distinct reporters,
and the priority computed from it, are exact under concurrency.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select, update

from lovemachine.adapters.sql._base import SqlBase, dialect_insert, utcnow
from lovemachine.adapters.sql.records import decision_from_row
from lovemachine.adapters.sql.tables import decisions, listings, review_items, user_reports
from lovemachine.review.policy import USER_REPORTS, report_priority
from lovemachine.review.records import NotFoundError, ReportOutcome, UserReport


class ReportStoreMixin(SqlBase):
    # ----------------------------------------------------------------------------- user reports
    def add_user_report(
        self, *, listing_id: str, reporter_id: str, reason: str, actor: str, now: datetime | None = None
    ) -> ReportOutcome:
        """Record a customer's report on the listing's current version in the ``user_reports`` queue.

        A repeat by the same reporter is merged (``times`` counts it); each distinct reporter raises
        the item's priority. A report on a version CS already labelled is kept but does not reopen it.
        ``NotFoundError`` (``listing_not_found``) when the listing was never seen.
        """
        now = now or utcnow()
        with self._write() as conn:
            listing = (
                conn.execute(
                    select(listings.c.version, listings.c.status)
                    .where(listings.c.id == listing_id)
                    .with_for_update()  # serialises reports on one listing: the reporter count is exact
                )
                .mappings()
                .first()
            )
            if listing is None:
                raise NotFoundError(f"no listing {listing_id!r} has been seen", code="listing_not_found")
            version = listing["version"]
            decision_id, score, model_hid = _latest_decision(conn, listing_id, version)
            auto_hidden = listing["status"] == "hidden" and model_hid
            item = _open_report_item(conn, listing_id, version, decision_id, score, auto_hidden, now)
            times = _upsert_reporter(conn, listing_id, version, reporter_id, reason, item.id, now)
            reporters = int(
                conn.execute(
                    select(func.count())
                    .select_from(user_reports)
                    .where(user_reports.c.listing_id == listing_id, user_reports.c.listing_version == version)
                ).scalar_one()
            )
            if item.status != "done":  # a report on a version CS already labelled does not reopen it
                conn.execute(
                    update(review_items)
                    .where(review_items.c.id == item.id)
                    .values(priority=report_priority(score, reporters))
                )
            detail = {
                "review_item_id": item.id,
                "listing_version": version,
                "reporter_id": reporter_id,
                "reason": reason,
                "reporters": reporters,
            }
            self._audit(conn, [(actor, "report.create", "listing", listing_id, detail)], at=now)
        return ReportOutcome(int(item.id), reporters, str(item.status), new_reporter=times == 1)

    def user_reports_for(self, listing_id: str, listing_version: int) -> list[UserReport]:
        query = (
            select(user_reports)
            .where(user_reports.c.listing_id == listing_id, user_reports.c.listing_version == listing_version)
            .order_by(user_reports.c.created_at, user_reports.c.id)
        )
        with self._read() as conn:
            return [
                UserReport(
                    r["reporter_id"], r["reason"], int(r["times"]), r["created_at"], r["last_reported_at"]
                )
                for r in conn.execute(query).mappings()
            ]


def _latest_decision(conn: Connection, listing_id: str, version: int) -> tuple[int | None, float, bool]:
    """The newest decision on this listing version: its id, its highest score, whether it hid."""
    row = (
        conn.execute(
            select(decisions)
            .where(decisions.c.listing_id == listing_id, decisions.c.listing_version == version)
            .order_by(decisions.c.id.desc())
            .limit(1)
        )
        .mappings()
        .first()
    )
    if row is None:
        return None, 0.0, False
    decision = decision_from_row(row)
    return int(row["id"]), max(decision.scores.values(), default=0.0), decision.action == "hide"


def _open_report_item(
    conn: Connection,
    listing_id: str,
    version: int,
    decision_id: int | None,
    score: float,
    auto_hidden: bool,
    now: datetime,
) -> Any:  # a Row with .id and .status
    """The version's item in the ``user_reports`` queue, opened if there is none yet."""
    conn.execute(
        dialect_insert(conn, review_items).on_conflict_do_nothing(
            index_elements=["listing_id", "listing_version", "queue"]
        ),
        {
            "listing_id": listing_id,
            "listing_version": version,
            "decision_id": decision_id,
            "queue": USER_REPORTS,
            "priority": report_priority(score, 0),
            "status": "open",
            "auto_hidden": auto_hidden,
            "created_at": now,
        },
    )
    c = review_items.c
    return conn.execute(
        select(c.id, c.status).where(
            c.listing_id == listing_id, c.listing_version == version, c.queue == USER_REPORTS
        )
    ).one()


def _upsert_reporter(
    conn: Connection,
    listing_id: str,
    version: int,
    reporter_id: str,
    reason: str,
    item_id: int,
    now: datetime,
) -> int:
    """Record one reporter's report (a repeat is merged); how many times they have reported it."""
    stmt = dialect_insert(conn, user_reports)
    times = conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["listing_id", "listing_version", "reporter_id"],
            set_={
                "times": user_reports.c.times + 1,
                "reason": stmt.excluded.reason,
                "last_reported_at": stmt.excluded.last_reported_at,
            },
        ).returning(user_reports.c.times),
        {
            "listing_id": listing_id,
            "listing_version": version,
            "reporter_id": reporter_id,
            "reason": reason,
            "review_item_id": item_id,
            "times": 1,
            "created_at": now,
            "last_reported_at": now,
        },
    ).scalar_one()
    return int(times)
