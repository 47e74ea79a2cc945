"""Reading the audit log (who did what, when, to which listing, rule, staff member, token or model).

Writes happen next to the change they describe, in its transaction (``SqlBase._audit``); ``record``
is for events with no other write (a sign-in).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from lovemachine.adapters.sql._base import SqlBase
from lovemachine.adapters.sql.tables import audit_log
from lovemachine.review.cursor import decode_cursor, encode_cursor
from lovemachine.review.records import AuditEntry, Page


class AuditStoreMixin(SqlBase):
    def record_audit(
        self, *, actor: str, action: str, entity_type: str, entity_id: str, detail: Mapping[str, Any]
    ) -> None:
        with self._write() as conn:
            self._audit(conn, [(actor, action, entity_type, entity_id, detail)])

    def list_audit(
        self,
        *,
        limit: int = 50,
        cursor: str | None = None,
        entity_type: str | None = None,
        entity_id: str | None = None,
        actor: str | None = None,
        action: str | None = None,
    ) -> Page[AuditEntry]:
        """Newest first; every filter is an exact match."""
        c = audit_log.c
        query = select(audit_log).order_by(c.id.desc()).limit(limit + 1)
        for column, value in (
            (c.entity_type, entity_type),
            (c.entity_id, entity_id),
            (c.actor, actor),
            (c.action, action),
        ):
            if value is not None:
                query = query.where(column == value)
        if cursor:
            (before,) = decode_cursor(cursor, [int])
            query = query.where(c.id < before)
        with self._read() as conn:
            rows = conn.execute(query).mappings().all()
        more = len(rows) > limit
        items = [
            AuditEntry(
                id=int(r["id"]),
                at=r["at"],
                actor=r["actor"],
                action=r["action"],
                entity_type=r["entity_type"],
                entity_id=r["entity_id"],
                detail=dict(r["detail"]),
            )
            for r in rows[:limit]
        ]
        return Page(items, encode_cursor([items[-1].id]) if more else None)
