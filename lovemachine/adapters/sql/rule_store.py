"""CS keyword/regex rules: read by every worker (hot reload), changed by CS staff (audited)."""

from __future__ import annotations

import logging
from typing import Literal

from sqlalchemy import Connection, case, func, select, update

from lovemachine.adapters.sql._base import SqlBase, utcnow
from lovemachine.adapters.sql.records import rule_from_row
from lovemachine.adapters.sql.tables import rules
from lovemachine.rules import Rule

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
