"""Retraining on a cron expression, for the embedded setup (``lovemachine scheduler``).

APScheduler (3.x) runs one job, ``retrain``, on a ``CronTrigger`` built from a five-field crontab
line. One run at a time: the job has ``max_instances=1`` (a firing while a run is still going is
skipped and logged) and ``coalesce=True`` (firings missed while the process was down or busy become
one run, if within ``misfire_grace_time``). ``run_now`` moves the same job's next run to now, so it
too is bound by those rules. On Kubernetes a CronJob running ``lovemachine retrain`` does the same
with ``concurrencyPolicy: Forbid`` (see ``docs/operations.md``).

``run_scheduler`` blocks until ``stop`` is set (the CLI sets it on SIGTERM or SIGINT), then shuts
the scheduler down and waits for a running job; the job is expected to notice ``stop`` itself and
end early (``trainers.retrain`` records such a run as failed, "stopped").
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MAX_INSTANCES, JobExecutionEvent
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

if TYPE_CHECKING:
    from trainers.retrain import RetrainError, RetrainOutcome

log = logging.getLogger(__name__)

JOB_ID = "retrain"
MISFIRE_GRACE_S = 3600


_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def cron_trigger(expression: str, timezone: str | tzinfo = "UTC") -> CronTrigger:
    """A trigger from a crontab line (``minute hour day month weekday``); ``ValueError`` naming it.

    Weekdays mean what crontab means (0 and 7 Sunday, 1 Monday): APScheduler 3 numbers them from
    Monday, so the weekday field is handed over as names (``0 3 * * 1`` runs on Mondays). One
    difference remains: with both the day of month and the weekday restricted, crontab runs on
    either, APScheduler only on days matching both.
    """
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(
            f"invalid cron expression {expression!r}: expected 5 fields (minute hour day month weekday), "
            f"got {len(fields)}"
        )
    minute, hour, day, month, weekday = fields
    try:
        return CronTrigger(
            minute=minute,
            hour=hour,
            day=day,
            month=month,
            day_of_week=_crontab_weekdays(weekday),
            timezone=timezone,
        )
    except ValueError as exc:
        raise ValueError(f"invalid cron expression {expression!r}: {exc}") from None


def _crontab_weekdays(field: str) -> str:
    """A crontab weekday field (numbers 0-7 from Sunday, names, ranges, lists, steps) as day names."""
    if field == "*":
        return "*"
    days: set[int] = set()
    for part in field.split(","):
        span, slash, step_text = part.partition("/")
        step = int(step_text) if slash and step_text.isdigit() else 1
        if slash and (not step_text.isdigit() or step == 0):
            raise ValueError(f"bad step in weekday field {field!r}")
        if span == "*":
            lo, hi = 0, 6
        elif "-" in span:
            lo, hi = (_weekday(x, field) for x in span.split("-", 1))
            hi = 7 if hi == 0 and lo > 0 else hi  # "5-0" / "5-7": Friday to Sunday
        else:
            lo = _weekday(span, field)
            hi = 7 if slash else lo
        if hi < lo:
            raise ValueError(f"backwards range in weekday field {field!r}")
        days.update(d % 7 for d in range(lo, hi + 1, step))
    return ",".join(_WEEKDAYS[d] for d in sorted(days))


def _weekday(token: str, field: str) -> int:
    token = token.strip().lower()
    if token.isdigit() and int(token) <= 7:
        return int(token)
    if token[:3] in _WEEKDAYS:
        return _WEEKDAYS.index(token[:3])
    raise ValueError(f"unknown weekday {token!r} in {field!r}")


def build_scheduler(
    job: Callable[[], Any], *, cron: str, timezone: str | tzinfo = "UTC"
) -> BackgroundScheduler:
    """A scheduler (not started) with ``job`` on ``cron``, one instance at a time, missed runs merged."""
    trigger = cron_trigger(cron, timezone)
    scheduler = BackgroundScheduler(timezone=timezone)
    scheduler.add_job(
        job,
        trigger,
        id=JOB_ID,
        name="retrain",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=MISFIRE_GRACE_S,
    )

    def on_event(event: JobExecutionEvent) -> None:
        if event.code == EVENT_JOB_MAX_INSTANCES:
            log.warning("retraining skipped at %s: the previous run is still going", event.scheduled_run_time)
        elif event.exception is not None:
            log.error("retraining job raised %s: %s", type(event.exception).__name__, event.exception)

    scheduler.add_listener(on_event, EVENT_JOB_MAX_INSTANCES | EVENT_JOB_ERROR)
    return scheduler


def next_run(scheduler: BackgroundScheduler) -> datetime | None:
    job = scheduler.get_job(JOB_ID)
    return job.next_run_time if job is not None else None


def run_scheduler(
    job: Callable[[], Any],
    *,
    cron: str,
    stop: threading.Event,
    timezone: str | tzinfo = "UTC",
    run_now: bool = False,
    on_started: Callable[[BackgroundScheduler], None] | None = None,
) -> None:
    """Run ``job`` on ``cron`` until ``stop`` is set; then wait for a running job and return."""
    scheduler = build_scheduler(job, cron=cron, timezone=timezone)
    scheduler.start()
    try:
        if run_now:
            scheduler.modify_job(JOB_ID, next_run_time=datetime.now(scheduler.timezone))
        log.info("scheduler started: retraining on %r (%s); next run %s", cron, timezone, next_run(scheduler))
        if on_started is not None:
            on_started(scheduler)
        while not stop.wait(1.0):  # a timed wait lets a signal handler run promptly
            pass
        log.info("scheduler stopping: waiting for a running retrain to end")
    finally:
        scheduler.shutdown(wait=True)
    log.info("scheduler stopped")


def retrain_job(
    run: Callable[[], RetrainOutcome],
    *,
    on_outcome: Callable[[RetrainOutcome], None] | None = None,
    on_error: Callable[[RetrainError], None] | None = None,
    after: Callable[[], None] | None = None,
) -> Callable[[], None]:
    """The scheduler's job, for ``lovemachine scheduler`` and the demo's loop alike: one retrain
    (``run``, which records itself as trigger ``scheduled``), logged; a failure is logged (the run
    records it), never raised into APScheduler. ``on_outcome`` / ``on_error`` get the result, then
    ``after`` runs whatever happened (the demo stops the scheduler after one firing)."""

    def job() -> None:
        from trainers.retrain import RetrainError

        try:
            log.info("retraining: scheduled run starting")
            try:
                out = run()
            except RetrainError as exc:
                log.error("retraining: run #%d failed: %s", exc.run.id, exc.run.error)
                if on_error is not None:
                    on_error(exc)
                return
            except Exception:
                log.exception("retraining: could not start a run")
                return
            log.info(
                "retraining: run #%d %s in %.0fs: %s%s",
                out.run.id,
                out.run.status,
                out.seconds,
                out.record.version,
                " is the challenger" if out.eligible else " (not eligible)",
            )
            if on_outcome is not None:
                on_outcome(out)
        finally:
            if after is not None:
                after()

    return job
