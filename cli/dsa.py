"""``lovemachine dsa``: the enforcement record for regulators and operators.

* ``export --since DATE --out FILE.jsonl``: the statements of reasons in the Transparency Database
  API's shape, one per line (restrictions only; no personal data);
* ``submit``: send the pending ones to the Transparency Database (``LOVEMACHINE_TDB_URL``,
  ``LOVEMACHINE_TDB_TOKEN``) in batches of at most 100, skipping puids it already holds, retrying
  transient failures with backoff; every statement's outcome is recorded (``status`` shows them);
* ``status``: how many statements are pending, submitted, rejected or failed, with the errors;
* ``report``: per day and category, restrictions, the automated share, appeals, the overturned share
  and the median time to decide one.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import DbUrl, console, fail, settings

if TYPE_CHECKING:
    from lovemachine.adapters.sql import SqlStore
    from lovemachine.config import Settings

dsa_app = typer.Typer(
    help="The enforcement record (EU Digital Services Act): statements of reasons, the Transparency "
    "Database, the numbers. See docs/dsa.md.",
    no_args_is_help=True,
)


def _store(s: Settings) -> SqlStore:
    from lovemachine.adapters.sql import SqlStore, make_engine
    from lovemachine.errors import ConfigurationError

    try:
        policy = s.dsa_policy()
    except ConfigurationError as exc:
        fail(str(exc))
    return SqlStore(make_engine(s.database_url), model_name=s.model_name, dsa=policy)


def _day(value: str, option: str) -> datetime:
    try:
        return datetime.combine(date.fromisoformat(value), datetime.min.time(), tzinfo=UTC)
    except ValueError:
        fail(f"{option} must be a date (YYYY-MM-DD), not {value!r}")


@dsa_app.command("export")
def export(
    since: Annotated[str, typer.Option("--since", help="first day (UTC, YYYY-MM-DD), inclusive")],
    out: Annotated[Path, typer.Option("--out", help="JSONL file to write ('-': stdout)")],
    until: Annotated[str | None, typer.Option(help="last day (UTC, YYYY-MM-DD), exclusive")] = None,
    database_url: DbUrl = None,
) -> None:
    """Write the statements of reasons made since a day, in the Transparency Database API's shape."""
    start = _day(since, "--since")
    end = _day(until, "--until") if until else None
    s = settings(database_url=database_url)
    store = _store(s)
    try:
        rows = [
            st.tdb for st in store.statements_between(start, end, kind="restriction", limit=10**7) if st.tdb
        ]
    finally:
        store.dispose()
    text = "".join(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n" for row in rows)
    if str(out) == "-":
        typer.echo(text, nl=False)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)
    console.print(f"[green]✓[/] {len(rows):,} statements of reasons since {since} -> {out}")


@dsa_app.command("submit")
def submit(
    limit: Annotated[int, typer.Option(min=1, help="statements to send at most in this run")] = 10_000,
    retry_rejected: Annotated[
        bool, typer.Option("--retry-rejected", help="also resend statements the database refused before")
    ] = False,
    database_url: DbUrl = None,
) -> None:
    """Send pending statements to the Transparency Database; idempotent by puid, safe to rerun.

    Exit status: 0 all sent (or already there); 1 some were refused or failed (see `dsa status`)."""
    from lovemachine.adapters.transparency_db import OutcomeStatus, TransparencyDbClient
    from lovemachine.dsa.records import SubmissionResult, TdbState
    from lovemachine.dsa.tdb import TdbStatement
    from lovemachine.errors import TransparencyDbConfigError

    s = settings(database_url=database_url)
    if s.tdb_token is None:
        fail("set LOVEMACHINE_TDB_TOKEN: the platform's Transparency Database API token")
    store = _store(s)
    try:
        pending = store.statements_to_submit(limit=limit, retry_rejected=retry_rejected)
        if not pending:
            console.print("nothing to submit: every statement is in the Transparency Database")
            return
        statements = [TdbStatement.model_validate(st.tdb) for st in pending]
        try:
            with (
                console.status(f"submitting {len(statements):,} statements to {s.tdb_url}"),
                TransparencyDbClient(
                    s.tdb_url, s.tdb_token.get_secret_value(), attempts=s.tdb_attempts
                ) as client,
            ):
                report = client.submit(statements)
        except TransparencyDbConfigError as exc:
            fail(str(exc))
        states = {
            OutcomeStatus.SUBMITTED: TdbState.SUBMITTED,
            OutcomeStatus.ALREADY_PRESENT: TdbState.PRESENT,
            OutcomeStatus.REJECTED: TdbState.REJECTED,
            OutcomeStatus.FAILED: TdbState.FAILED,
        }
        results = []
        for outcome in report.outcomes:
            error = "; ".join(outcome.errors) if outcome.errors else outcome.last_error
            results.append(SubmissionResult(outcome.puid, states[outcome.status], error or None))
        store.record_submissions(results)
    finally:
        store.dispose()
    counts = Counter(r.state.value for r in results)
    console.print(", ".join(f"{n:,} {state}" for state, n in sorted(counts.items())), highlight=False)
    if counts.get("rejected") or counts.get("failed"):
        console.print("[yellow]some were not accepted:[/] `lovemachine dsa status` lists them")
        raise typer.Exit(1)


@dsa_app.command("status")
def status(database_url: DbUrl = None) -> None:
    """Statements per Transparency Database state, and those refused or failed with their errors."""
    s = settings(database_url=database_url)
    store = _store(s)
    try:
        recent = store.statements_between(datetime(2000, 1, 1, tzinfo=UTC), limit=10**7)
    finally:
        store.dispose()
    counts = Counter(st.tdb_state for st in recent)
    console.print(
        ", ".join(f"{n:,} {state}" for state, n in sorted(counts.items())) or "no statements yet",
        highlight=False,
    )
    for st in recent:
        if st.tdb_state in ("rejected", "failed"):
            console.print(
                f"  {st.puid} ({st.tdb_state}, {st.tdb_attempts} attempts): {st.tdb_error}", highlight=False
            )


@dsa_app.command("report")
def report(
    days: Annotated[int, typer.Option(min=1, max=366, help="days back from today")] = 30,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of a table")] = False,
    database_url: DbUrl = None,
) -> None:
    """Per day and category: restrictions, automated share, appeals, overturned share, time to decide."""
    from rich.table import Table

    s = settings(database_url=database_url)
    until = datetime.now(UTC) + timedelta(seconds=1)
    since = (until - timedelta(days=days)).replace(hour=0, minute=0, second=0, microsecond=0)
    store = _store(s)
    try:
        rows = store.enforcement_report(since, until)
    finally:
        store.dispose()
    if as_json:
        typer.echo(json.dumps({"since": since.isoformat(), "until": until.isoformat(), "rows": rows}))
        return

    def pct(x: float | None) -> str:
        return "-" if x is None else f"{x:.0%}"

    t = Table(title=f"enforcement, {since.date()} to {until.date()}")
    for col in (
        "day",
        "category",
        "restrictions",
        "automated",
        "appeals",
        "decided",
        "overturned",
        "median h",
    ):
        t.add_column(col, justify="left" if col in ("day", "category") else "right")
    for r in rows:
        hours = r["median_hours_to_decide"]
        t.add_row(
            r["day"],
            r["category"],
            f"{r['restrictions']:,}",
            pct(r["automated_share"]),
            f"{r['appeals']:,}",
            f"{r['appeals_decided']:,}",
            pct(r["overturned_share"]),
            "-" if hours is None else f"{hours:.1f}",
        )
    console.print(t)


def register(app: typer.Typer) -> None:
    """Add ``dsa`` to the ``lovemachine`` command."""
    app.add_typer(dsa_app, name="dsa")
