"""CS keyword/regex rules: read by every worker (hot reload), changed by CS staff (audited)."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Connection, case, func, select, update

from lovemachine.adapters.sql._base import SqlBase, utcnow
from lovemachine.adapters.sql.records import Row, rule_from_row
from lovemachine.adapters.sql.tables import listings, rules
from lovemachine.review.cursor import decode_cursor, encode_cursor
from lovemachine.review.records import NotFoundError, Page, StoredRule
from lovemachine.rules import Rule

RULE_FIELDS = ("pattern", "kind", "category", "action", "enabled", "note")


def _stored_rule(row: Row) -> StoredRule:
    return StoredRule(
        rule=rule_from_row(row),
        owner=row["owner"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


log = logging.getLogger(__name__)


class RuleStoreMixin(SqlBase):
    def list_rules(self, *, enabled_only: bool = True) -> list[Rule]:
        """Rules in id order. A stored rule that no longer validates (say its category was
        removed) is skipped with a warning rather than taking every worker down."""
        query = select(rules).order_by(rules.c.id)
        if enabled_only:
            query = query.where(rules.c.enabled.is_(True))
        out = []
        with self._read() as conn:
            for row in conn.execute(query).mappings():
                try:
                    out.append(rule_from_row(row))
                except ValueError as exc:
                    log.warning("skipping invalid stored rule: %s", exc)
        return out

    def get_rule(self, rule_id: int) -> Rule | None:
        with self._read() as conn:
            row = conn.execute(select(rules).where(rules.c.id == rule_id)).mappings().first()
        return rule_from_row(row) if row is not None else None

    def rules_revision(self) -> str:
        """``count:max_id:enabled_count:max_updated_at``; changes on every add and enable/disable."""
        query = select(
            func.count(),
            func.coalesce(func.max(rules.c.id), 0),
            func.coalesce(func.sum(case((rules.c.enabled.is_(True), 1), else_=0)), 0),
            func.max(rules.c.updated_at),
        ).select_from(rules)
        with self._read() as conn:
            count, max_id, enabled, updated = conn.execute(query).one()
        stamp = updated.isoformat() if updated is not None else "-"
        return f"{count}:{max_id}:{enabled}:{stamp}"

    def add_rule(
        self,
        *,
        pattern: str,
        kind: Literal["keyword", "regex"],
        category: str,
        action: Literal["hide", "report"],
        owner: str,
        note: str = "",
        enabled: bool = True,
    ) -> Rule:
        """Validate and store a new rule (``ValueError`` if invalid); audited as ``owner``."""
        Rule(id=0, pattern=pattern, kind=kind, category=category, action=action, enabled=enabled, note=note)
        now = utcnow()
        with self._write() as conn:
            rule_id = conn.execute(
                rules.insert()
                .values(
                    pattern=pattern,
                    kind=kind,
                    category=category,
                    action=action,
                    enabled=enabled,
                    owner=owner,
                    note=note,
                    created_at=now,
                    updated_at=now,
                )
                .returning(rules.c.id)
            ).scalar_one()
            rule = self._rule(conn, rule_id)
            detail = {"pattern": pattern, "kind": kind, "category": category, "action": action, "note": note}
            self._audit(conn, [(owner, "rule.add", "rule", str(rule_id), detail)], at=now)
        return rule

    def set_rule_enabled(self, rule_id: int, enabled: bool, *, actor: str) -> Rule:
        """Enable or disable a rule (rules are disabled, never deleted, to keep the history)."""
        now = utcnow()
        with self._write() as conn:
            result = conn.execute(
                update(rules).where(rules.c.id == rule_id).values(enabled=enabled, updated_at=now)
            )
            if result.rowcount == 0:
                raise LookupError(f"no rule #{rule_id}")
            rule = self._rule(conn, rule_id)
            action = "rule.enable" if enabled else "rule.disable"
            self._audit(conn, [(actor, action, "rule", str(rule_id), {"enabled": enabled})], at=now)
        return rule

    @staticmethod
    def _rule(conn: Connection, rule_id: int) -> Rule:
        return rule_from_row(conn.execute(select(rules).where(rules.c.id == rule_id)).mappings().one())

    def update_rule(self, rule_id: int, *, actor: str, **changes: Any) -> StoredRule:
        """Change any of pattern, kind, category, action, enabled, note; validated as a whole
        (``ValueError``), audited with the before and after values. ``NotFoundError`` if unknown."""
        unknown = set(changes) - set(RULE_FIELDS)
        if unknown:
            raise ValueError(f"unknown rule fields: {sorted(unknown)}")
        now = utcnow()
        with self._write() as conn:
            row = (
                conn.execute(select(rules).where(rules.c.id == rule_id).with_for_update()).mappings().first()
            )
            if row is None:
                raise NotFoundError(f"no rule #{rule_id}")
            merged = {f: row[f] for f in RULE_FIELDS} | changes
            Rule(id=rule_id, **merged)  # validates the result, not just the change
            changed = {f: v for f, v in changes.items() if row[f] != v}
            if changed:
                conn.execute(update(rules).where(rules.c.id == rule_id).values(**changed, updated_at=now))
                detail = {"before": {f: row[f] for f in changed}, "after": changed}
                self._audit(conn, [(actor, "rule.update", "rule", str(rule_id), detail)], at=now)
            stored = _stored_rule(conn.execute(select(rules).where(rules.c.id == rule_id)).mappings().one())
        return stored

    def get_stored_rule(self, rule_id: int) -> StoredRule | None:
        with self._read() as conn:
            row = conn.execute(select(rules).where(rules.c.id == rule_id)).mappings().first()
        return _stored_rule(row) if row is not None else None

    def list_rules_page(self, *, limit: int = 50, cursor: str | None = None) -> Page[StoredRule]:
        """Every rule (enabled or not), in id order."""
        query = select(rules).order_by(rules.c.id).limit(limit + 1)
        if cursor:
            (after,) = decode_cursor(cursor, [int])
            query = query.where(rules.c.id > after)
        with self._read() as conn:
            rows = conn.execute(query).mappings().all()
        more = len(rows) > limit
        items = [_stored_rule(r) for r in rows[:limit]]
        return Page(items, encode_cursor([items[-1].rule.id]) if more else None)

    def rules_by_ids(self, rule_ids: Sequence[int]) -> list[StoredRule]:
        if not rule_ids:
            return []
        query = select(rules).where(rules.c.id.in_(sorted(set(rule_ids)))).order_by(rules.c.id)
        with self._read() as conn:
            return [_stored_rule(r) for r in conn.execute(query).mappings()]

    def recent_listings(
        self, *, since: datetime, max_rows: int
    ) -> Iterator[tuple[str, str, str, str | None]]:
        """(id, title, description, brand) of listings created or edited since ``since``, newest
        first, at most ``max_rows``: what a rule preview scans."""
        query = (
            select(listings.c.id, listings.c.title, listings.c.description, listings.c.brand)
            .where(listings.c.updated_at >= since)
            .order_by(listings.c.updated_at.desc(), listings.c.id)
            .limit(max_rows)
        )
        with self._read() as conn:
            result = conn.execution_options(yield_per=1000).execute(query)
            for row in result:
                yield (row.id, row.title, row.description, row.brand)
