"""What the CS tool's ``/metrics`` reads from the database at scrape time: label counts per reviewer,
appeals, outboxes, statements, training runs. Aggregates only, each an index-friendly GROUP BY."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from lovemachine.adapters.sql._base import SqlBase
from lovemachine.adapters.sql.tables import action_outbox, appeals, labels, statements, training_runs


@dataclass(frozen=True)
class OpsCounts:
    labels: dict[tuple[str, str], int] = field(default_factory=dict)
    """(reviewer, label) -> labels given (``no_violation`` or the category)."""
    appeals: dict[str, int] = field(default_factory=dict)
    """status -> appeals."""
    appeals_decided: dict[str, int] = field(default_factory=dict)
    """outcome -> decided appeals."""
    oldest_open_appeal: datetime | None = None
    action_outbox_backlog: int = 0
    statements: dict[str, int] = field(default_factory=dict)
    """Transparency Database state -> statements."""
    training_runs: dict[str, int] = field(default_factory=dict)
    last_training_success: datetime | None = None


class OpsStoreMixin(SqlBase):
    def ops_counts(self) -> OpsCounts:
        with self._read() as conn:
            label = func.coalesce(labels.c.category, "no_violation")
            by_label = {
                (reviewer or "-", lab if violation else "no_violation"): n
                for reviewer, lab, violation, n in conn.execute(
                    select(labels.c.reviewer, label, labels.c.violation, func.count())
                    .where(labels.c.source.in_(("cs", "audit")))
                    .group_by(labels.c.reviewer, label, labels.c.violation)
                )
            }
            by_status: dict[str, int] = dict(
                conn.execute(select(appeals.c.status, func.count()).group_by(appeals.c.status)).all()
            )
            by_outcome: dict[str, int] = dict(
                conn.execute(
                    select(appeals.c.outcome, func.count())
                    .where(appeals.c.outcome.is_not(None))
                    .group_by(appeals.c.outcome)
                ).all()
            )
            oldest = conn.execute(
                select(func.min(appeals.c.received_at)).where(appeals.c.status != "decided")
            ).scalar_one_or_none()
            backlog = conn.execute(
                select(func.count()).select_from(action_outbox).where(action_outbox.c.published_at.is_(None))
            ).scalar_one()
            by_state: dict[str, int] = dict(
                conn.execute(
                    select(statements.c.tdb_state, func.count()).group_by(statements.c.tdb_state)
                ).all()
            )
            runs: dict[str, int] = dict(
                conn.execute(
                    select(training_runs.c.status, func.count()).group_by(training_runs.c.status)
                ).all()
            )
            last = conn.execute(
                select(func.max(training_runs.c.finished_at)).where(
                    training_runs.c.status.in_(("succeeded", "not_eligible"))
                )
            ).scalar_one_or_none()
        return OpsCounts(
            labels={k: int(v) for k, v in by_label.items()},
            appeals={str(k): int(v) for k, v in by_status.items()},
            appeals_decided={str(k): int(v) for k, v in by_outcome.items()},
            oldest_open_appeal=_aware(oldest),
            action_outbox_backlog=int(backlog),
            statements={str(k): int(v) for k, v in by_state.items()},
            training_runs={str(k): int(v) for k, v in runs.items()},
            last_training_success=_aware(last),
        )


def _aware(t: datetime | None) -> datetime | None:
    """An aggregate (MIN, MAX) comes back without the column's type on SQLite: make it UTC-aware."""
    if t is None or not isinstance(t, datetime):
        return None
    from datetime import UTC

    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)
