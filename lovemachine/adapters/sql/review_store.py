"""The review queues: listing them, their priority order, and claims.

Concurrency is settled by the database, never by reading first: a claim is one conditional
``UPDATE ... WHERE status = 'open' OR the claim expired`` whose row count says who won. "Next item"
picks its row with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so agents asking at once get different
items instead of queueing on the same row; on SQLite the write transaction (``BEGIN IMMEDIATE``)
serialises them. Labels are in ``label_store``, user reports in ``report_store``.

Queues are ordered by ``priority + AGE_WEIGHT_PER_DAY * days waited``. Since every item gains the
same bonus per day, that order equals ``priority - AGE_WEIGHT_PER_DAY * created_at`` (in days),
which does not change with time: it is the keyset of the queue's cursor.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Float, and_, case, cast, extract, func, or_, select, update
from sqlalchemy.sql.elements import ColumnElement

from lovemachine.adapters.sql._base import SqlBase, utcnow
from lovemachine.adapters.sql.records import Row
from lovemachine.adapters.sql.tables import decisions, listings, review_items, user_reports
from lovemachine.review.cursor import decode_cursor, encode_cursor
from lovemachine.review.policy import AGE_WEIGHT_PER_DAY
from lovemachine.review.records import ConflictError, NotFoundError, Page, QueueSummary, ReviewItem


def _available(now: datetime) -> ColumnElement[bool]:
    c = review_items.c
    return or_(c.status == "open", and_(c.status == "claimed", c.claim_expires_at < now))


def _rank(conn: Connection) -> ColumnElement[float]:
    created = review_items.c.created_at
    if conn.dialect.name == "postgresql":
        days: ColumnElement[Any] = cast(extract("epoch", created), Float) / 86400.0
    else:
        days = func.julianday(created)
    return review_items.c.priority - AGE_WEIGHT_PER_DAY * days


def _item_query(conn: Connection) -> Any:
    reporters = (
        select(func.count())
        .select_from(user_reports)
        .where(user_reports.c.review_item_id == review_items.c.id)
        .scalar_subquery()
    )
    return select(
        review_items,
        listings.c.title,
        decisions.c.category.label("decision_category"),
        reporters.label("reporters"),
        _rank(conn).label("rank"),
    ).select_from(
        review_items.outerjoin(listings, listings.c.id == review_items.c.listing_id).outerjoin(
            decisions, decisions.c.id == review_items.c.decision_id
        )
    )


def _item(row: Row, now: datetime) -> ReviewItem:
    status, claimed_by, expires = row["status"], row["claimed_by"], row["claim_expires_at"]
    if status == "claimed" and expires is not None and expires <= now:
        status, claimed_by, expires = "open", None, None  # an expired claim is free to take
    waited_days = max((now - row["created_at"]).total_seconds(), 0.0) / 86400.0
    return ReviewItem(
        id=int(row["id"]),
        listing_id=row["listing_id"],
        listing_version=row["listing_version"],
        decision_id=row["decision_id"],
        queue=row["queue"],
        priority=float(row["priority"]),
        status=status,
        claimed_by=claimed_by,
        claim_expires_at=expires,
        auto_hidden=bool(row["auto_hidden"]),
        created_at=row["created_at"],
        resolved_at=row["resolved_at"],
        title=row["title"],
        category=row["decision_category"],
        reporters=int(row["reporters"] or 0),
        effective_priority=float(row["priority"]) + AGE_WEIGHT_PER_DAY * waited_days,
    )


class ReviewStoreMixin(SqlBase):
    # ----------------------------------------------------------------------------- queues
    def queue_summaries(self, *, now: datetime | None = None) -> list[QueueSummary]:
        """Per queue with undone items: how many are free to take, under a live claim, the oldest."""
        now = now or utcnow()
        c = review_items.c
        live_claim = and_(c.status == "claimed", c.claim_expires_at >= now)
        query = (
            select(
                c.queue,
                func.sum(case((_available(now), 1), else_=0)),
                func.sum(case((live_claim, 1), else_=0)),
                func.min(c.created_at),
            )
            .where(c.status != "done")
            .group_by(c.queue)
        )
        with self._read() as conn:
            rows = conn.execute(query).all()
        return [QueueSummary(q, int(o or 0), int(cl or 0), oldest) for q, o, cl, oldest in rows]

    def list_queue_items(
        self, queue: str, *, limit: int = 50, cursor: str | None = None, now: datetime | None = None
    ) -> Page[ReviewItem]:
        """Undone items of ``queue``, highest effective priority first (then oldest, then id)."""
        now = now or utcnow()
        with self._read() as conn:
            rank = _rank(conn)
            query = (
                _item_query(conn)
                .where(review_items.c.queue == queue, review_items.c.status != "done")
                .order_by(rank.desc(), review_items.c.id)
                .limit(limit + 1)
            )
            if cursor:
                after_rank, after_id = decode_cursor(cursor, [float, int])
                query = query.where(
                    or_(rank < after_rank, and_(rank == after_rank, review_items.c.id > after_id))
                )
            rows = conn.execute(query).mappings().all()
        more = len(rows) > limit
        rows = rows[:limit]
        next_cursor = encode_cursor([float(rows[-1]["rank"]), int(rows[-1]["id"])]) if more else None
        return Page([_item(r, now) for r in rows], next_cursor)

    def get_review_item(self, item_id: int, *, now: datetime | None = None) -> ReviewItem | None:
        now = now or utcnow()
        with self._read() as conn:
            row = conn.execute(_item_query(conn).where(review_items.c.id == item_id)).mappings().first()
        return _item(row, now) if row is not None else None

    # ----------------------------------------------------------------------------- claims
    def claim_next(
        self, queue: str, *, username: str, ttl: timedelta, now: datetime | None = None
    ) -> ReviewItem | None:
        """Claim the top item of ``queue`` free to take (open or claim expired); None if there is none."""
        now = now or utcnow()
        with self._write() as conn:
            for _ in range(5):
                pick = (
                    select(review_items.c.id)
                    .where(review_items.c.queue == queue, _available(now))
                    .order_by(_rank(conn).desc(), review_items.c.id)
                    .limit(1)
                    .with_for_update(skip_locked=True)
                )
                item_id = conn.execute(pick).scalar_one_or_none()
                if item_id is None:
                    return None
                if self._take(conn, item_id, username, ttl, now):
                    break
            else:  # pragma: no cover - every pick lost a race; the caller may simply ask again
                return None
        return self.get_review_item(item_id, now=now)

    def claim_item(
        self, item_id: int, *, username: str, ttl: timedelta, now: datetime | None = None
    ) -> ReviewItem:
        """Claim (or extend one's own claim on) an item. ``ConflictError`` ``claimed``/``done``."""
        now = now or utcnow()
        with self._write() as conn:
            if not self._take(conn, item_id, username, ttl, now, own=True):
                raise_unavailable(conn, item_id, now)
        item = self.get_review_item(item_id, now=now)
        assert item is not None
        return item

    def release_claim(self, item_id: int, *, username: str, now: datetime | None = None) -> ReviewItem:
        """Give one's claim back (idempotent when the item is already open)."""
        now = now or utcnow()
        c = review_items.c
        with self._write() as conn:
            result = conn.execute(
                update(review_items)
                .where(c.id == item_id, c.status == "claimed", c.claimed_by == username)
                .values(status="open", claimed_by=None, claim_expires_at=None)
            )
            if result.rowcount == 0:
                row = conn.execute(select(c.status).where(c.id == item_id)).first()
                if row is None:
                    raise NotFoundError(f"no review item #{item_id}")
                if row.status != "open":
                    raise_unavailable(conn, item_id, now)
        item = self.get_review_item(item_id, now=now)
        assert item is not None
        return item

    @staticmethod
    def _take(
        conn: Connection, item_id: int, username: str, ttl: timedelta, now: datetime, *, own: bool = False
    ) -> bool:
        c = review_items.c
        free = _available(now)
        if own:
            free = or_(free, and_(c.status == "claimed", c.claimed_by == username))
        result = conn.execute(
            update(review_items)
            .where(c.id == item_id, free)
            .values(status="claimed", claimed_by=username, claim_expires_at=now + ttl)
        )
        return result.rowcount == 1


def raise_unavailable(conn: Connection, item_id: int, now: datetime) -> None:
    """Raise why ``item_id`` cannot be claimed or labelled by the caller right now."""
    c = review_items.c
    row = conn.execute(select(c.status, c.claimed_by, c.claim_expires_at).where(c.id == item_id)).first()
    if row is None:
        raise NotFoundError(f"no review item #{item_id}")
    if row.status == "done":
        raise ConflictError(f"review item #{item_id} is already labelled", code="done")
    if row.status == "claimed" and row.claim_expires_at is not None and row.claim_expires_at > now:
        until = row.claim_expires_at.isoformat()
        raise ConflictError(
            f"review item #{item_id} is claimed by {row.claimed_by} until {until}",
            code="claimed",
            details={"claimed_by": row.claimed_by, "claim_expires_at": until},
        )
    raise ConflictError(f"claim review item #{item_id} first", code="not_claimed")
