"""Strikes, account-action recommendations and the enforcement numbers, in SQL.

Strikes are computed when read, from the standing human labels that found a violation on the
seller's listing versions (``lovemachine.dsa.strikes``), so an overturned label stops counting and an
old one expires without any job. A recommendation is written when a confirmed violation takes the
seller to the threshold; only a lead's confirmation queues it for publishing.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from lovemachine.adapters.sql._base import SqlBase, utcnow
from lovemachine.adapters.sql.records import Row
from lovemachine.adapters.sql.tables import account_actions, appeals, labels, listing_versions, statements
from lovemachine.dsa.policy import DsaPolicy
from lovemachine.dsa.strikes import AccountAction, ConfirmedViolation, Strikes, strikes_of
from lovemachine.errors import ConflictError, NotFoundError, RefusedError

HUMAN_SOURCES = ("cs", "audit")
OPEN_STATUSES = ("recommended", "confirmed")


def account_action_from_row(row: Row) -> AccountAction:
    return AccountAction(
        id=row["id"],
        seller_id=row["seller_id"],
        action=row["action"],
        strike_weight=row["strike_weight"],
        threshold=row["threshold"],
        status=row["status"],
        created_at=row["created_at"],
        decided_by=row["decided_by"],
        decided_at=row["decided_at"],
        reason=row["reason"],
        published_at=row["published_at"],
        attempts=row["attempts"],
        last_error=row["last_error"],
        payload=dict(row["payload"]) if row["payload"] is not None else None,
    )


def strikes_in(conn: Connection, policy: DsaPolicy, seller_id: str, now: datetime) -> Strikes:
    """A seller's active strikes, read in the caller's transaction."""
    since = now - policy.strike_window()
    query = (
        select(
            labels.c.id,
            labels.c.listing_id,
            labels.c.listing_version,
            labels.c.category,
            labels.c.created_at,
        )
        .join(
            listing_versions,
            (listing_versions.c.listing_id == labels.c.listing_id)
            & (listing_versions.c.version == labels.c.listing_version),
        )
        .where(
            listing_versions.c.seller_id == seller_id,
            labels.c.violation.is_(True),
            labels.c.source.in_(HUMAN_SOURCES),
            labels.c.superseded_by.is_(None),
            labels.c.created_at > since,
        )
    )
    confirmed = [
        ConfirmedViolation(r.id, r.listing_id, r.listing_version, r.category, r.created_at)
        for r in conn.execute(query)
    ]
    return strikes_of(seller_id, confirmed, policy, now)


def recommend_if_due(
    store: SqlBase, conn: Connection, listing_id: str, version: int, now: datetime
) -> int | None:
    """After a confirmed violation on (listing, version): recommend a suspension of its seller if
    their strikes reach the threshold and none is open; returns the new recommendation's id."""
    seller = conn.execute(
        select(listing_versions.c.seller_id).where(
            listing_versions.c.listing_id == listing_id, listing_versions.c.version == version
        )
    ).scalar_one_or_none()
    if seller is None:
        return None
    strikes = strikes_in(conn, store.dsa, seller, now)
    if not strikes.over_threshold:
        return None
    pending = conn.execute(
        select(account_actions.c.id).where(
            account_actions.c.seller_id == seller,
            account_actions.c.status == "recommended",
        )
    ).first()
    if pending is not None:
        return None
    new_id = conn.execute(
        account_actions.insert()
        .values(
            seller_id=seller,
            action="suspend",
            strike_weight=strikes.weight,
            threshold=strikes.threshold,
            status="recommended",
            created_at=now,
            attempts=0,
        )
        .returning(account_actions.c.id)
    ).scalar_one()
    store._audit(
        conn,
        [("lovemachine", "account.recommend", "seller", seller, {"strike_weight": strikes.weight})],
        at=now,
    )
    return int(new_id)


class EnforcementStoreMixin(SqlBase):
    # ----------------------------------------------------------------------------- strikes
    def seller_seen(self, seller_id: str) -> bool:
        """Whether any listing version of this seller was ever judged."""
        query = (
            select(listing_versions.c.listing_id).where(listing_versions.c.seller_id == seller_id).limit(1)
        )
        with self._read() as conn:
            return conn.execute(query).first() is not None

    def seller_strikes(self, seller_id: str, *, now: datetime | None = None) -> Strikes:
        with self._read() as conn:
            return strikes_in(conn, self.dsa, seller_id, now or utcnow())

    # ----------------------------------------------------------------------------- account actions
    def list_account_actions(self, *, status: str | None = None, limit: int = 100) -> list[AccountAction]:
        query = select(account_actions)
        if status is not None:
            query = query.where(account_actions.c.status == status)
        query = query.order_by(account_actions.c.created_at, account_actions.c.id).limit(limit)
        with self._read() as conn:
            return [account_action_from_row(r) for r in conn.execute(query).mappings()]

    def decide_account_action(
        self, action_id: int, *, staff: str, confirm: bool, reason: str, now: datetime | None = None
    ) -> AccountAction:
        """A lead confirms (queued for publishing) or dismisses a recommended suspension."""
        now = now or utcnow()
        if not reason.strip():
            raise RefusedError(
                "confirming or dismissing an account action needs a reason", code="reason_required"
            )
        with self._write() as conn:
            row = (
                conn.execute(select(account_actions).where(account_actions.c.id == action_id))
                .mappings()
                .first()
            )
            if row is None:
                raise NotFoundError(f"no account action #{action_id}")
            if row["status"] != "recommended":
                raise ConflictError(f"account action #{action_id} is already {row['status']}", code="decided")
            strikes = strikes_in(conn, self.dsa, row["seller_id"], now)
            payload = None
            if confirm:
                payload = {
                    "kind": "account_action",
                    "seller_id": row["seller_id"],
                    "action": row["action"],
                    "strike_weight": strikes.weight,
                    "strikes": [
                        {
                            "listing_id": s.listing_id,
                            "listing_version": s.listing_version,
                            "category": s.category,
                        }
                        for s in strikes.active
                    ],
                    "reason": reason,
                    "confirmed_by_human": True,
                    "decided_at": now.isoformat(),
                }
            conn.execute(
                update(account_actions)
                .where(account_actions.c.id == action_id)
                .values(
                    status="confirmed" if confirm else "dismissed",
                    decided_by=staff,
                    decided_at=now,
                    reason=reason,
                    payload=payload,
                )
            )
            verb = "confirm" if confirm else "dismiss"
            self._audit(
                conn,
                [
                    (
                        staff,
                        f"account.{verb}",
                        "seller",
                        row["seller_id"],
                        {"account_action_id": action_id, "reason": reason},
                    )
                ],
                at=now,
            )
            stored = (
                conn.execute(select(account_actions).where(account_actions.c.id == action_id))
                .mappings()
                .one()
            )
        return account_action_from_row(stored)

    def pending_account_actions(self, *, limit: int = 100) -> list[AccountAction]:
        """Confirmed account actions not yet published, oldest first."""
        query = (
            select(account_actions)
            .where(account_actions.c.status == "confirmed", account_actions.c.published_at.is_(None))
            .order_by(account_actions.c.decided_at, account_actions.c.id)
            .limit(limit)
        )
        with self._read() as conn:
            return [account_action_from_row(r) for r in conn.execute(query).mappings()]

    def mark_account_action(self, action_id: int, *, error: str | None = None) -> None:
        """Record a publish: done (``error`` None) or failed (kept pending, with the error)."""
        with self._write() as conn:
            values: dict[str, Any] = {"attempts": account_actions.c.attempts + 1, "last_error": error}
            if error is None:
                values["published_at"] = utcnow()
            conn.execute(update(account_actions).where(account_actions.c.id == action_id).values(**values))

    # ----------------------------------------------------------------------------- the numbers
    def enforcement_report(self, since: datetime, until: datetime) -> list[dict[str, Any]]:
        """Per day (UTC) and category: restrictions, their automated share, appeals received, decided
        and overturned (a measure of wrongful restrictions), and the median hours to decide one."""
        rows: dict[tuple[str, str], dict[str, Any]] = defaultdict(
            lambda: {
                "restrictions": 0,
                "automated": 0,
                "appeals": 0,
                "decided": 0,
                "overturned": 0,
                "hours": [],
            }
        )
        with self._read() as conn:
            for r in conn.execute(
                select(statements.c.created_at, statements.c.category, statements.c.automated_decision).where(
                    statements.c.kind == "restriction",
                    statements.c.created_at >= since,
                    statements.c.created_at < until,
                )
            ):
                cell = rows[(r.created_at.date().isoformat(), r.category)]
                cell["restrictions"] += 1
                cell["automated"] += r.automated_decision == "fully"
            category_of = {
                puid: category
                for puid, category in conn.execute(
                    select(statements.c.puid, statements.c.category).where(statements.c.kind == "restriction")
                )
            }
            for a in conn.execute(
                select(appeals).where(appeals.c.received_at >= since, appeals.c.received_at < until)
            ).mappings():
                category = category_of.get(a["statement_puid"] or "", "no_action")
                cell = rows[(a["received_at"].date().isoformat(), category)]
                cell["appeals"] += 1
                if a["decided_at"] is not None:
                    cell["decided"] += 1
                    cell["overturned"] += a["outcome"] == "overturned"
                    cell["hours"].append((a["decided_at"] - a["received_at"]).total_seconds() / 3600)
        out = []
        for (day, category), c in sorted(rows.items()):
            out.append(
                {
                    "day": day,
                    "category": category,
                    "restrictions": c["restrictions"],
                    "automated_share": c["automated"] / c["restrictions"] if c["restrictions"] else None,
                    "appeals": c["appeals"],
                    "appeals_decided": c["decided"],
                    "overturned_share": c["overturned"] / c["decided"] if c["decided"] else None,
                    "median_hours_to_decide": statistics.median(c["hours"]) if c["hours"] else None,
                }
            )
        return out
