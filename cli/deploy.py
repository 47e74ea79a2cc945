"""``lovemachine deploy ...``: blue-green deploys of the model from the command line.

``status`` (aliases and their history), ``compare`` (the challenger's shadow decisions against the
champion's), ``challenger VERSION`` (start shadowing a version), ``promote`` (through the gates, or
``--force`` with a reason) and ``rollback`` (one step back). Each is a composition root over
``lovemachine.services.deploy``; workers follow an alias move within ``rules_refresh_seconds``.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import DbUrl, console, fail, settings
from lovemachine.config import Settings
from lovemachine.errors import AliasConflictError, ArtifactIntegrityError, PromotionBlockedError
from lovemachine.services import deploy

if TYPE_CHECKING:  # the SQL stack is imported only when a command runs
    from lovemachine.adapters.sql import SqlStore
    from lovemachine.registry.comparison import Comparison

Actor = Annotated[
    str | None, typer.Option("--actor", help="who is recorded in the alias history (default cli:$USER)")
]
Reason = Annotated[str, typer.Option("--reason", help="why; kept in the alias history")]

deploy_app = typer.Typer(
    help="Blue-green model deploys: champion (live) and challenger (shadow) aliases.", no_args_is_help=True
)


def _actor(actor: str | None) -> str:
    if actor:
        return actor
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no user name in some containers
        return "cli"


@contextmanager
def _store(database_url: str | None) -> Iterator[tuple[SqlStore, Settings]]:
    from lovemachine.adapters.sql import SqlStore, make_engine

    s = settings(database_url=database_url)
    store = SqlStore(make_engine(s.database_url), model_name=s.model_name)
    try:
        yield store, s
    finally:
        store.dispose()


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.1%}"


def _signed(x: float | None) -> str:
    return "-" if x is None else f"{x:+,.0f}"


def print_comparison(c: Comparison) -> None:
    from rich.table import Table

    window = f"{c.window_days * 24:,.1f} h" if c.window_days is not None else "-"
    rate = (
        f"{c.traffic_per_day:,.0f} listings/day"
        if c.traffic_per_day is not None
        else "under an hour: no per-day rate yet"
    )
    console.print(
        f"challenger [bold]{c.challenger}[/] vs champion [bold]{c.champion}[/]: {c.both_scored:,} listings "
        f"scored by both over {window} ({rate}); agreement {_pct(c.agreement)}; "
        f"hides {c.champion_hides:,} -> {c.challenger_hides:,}; reports {c.champion_reports:,} -> "
        f"{c.challenger_reports:,}; CS labels since: {c.labelled:,}"
    )
    t = Table(title="per category (challenger - champion per day; precision on CS labels, n)")
    for col in (
        "category",
        "agreement",
        "hide/day",
        "report/day",
        "only champ",
        "only chall",
        "P champ",
        "P chall",
    ):
        t.add_column(col, justify="left" if col == "category" else "right")
    for x in c.categories:
        t.add_row(
            x.category,
            _pct(x.agreement),
            _signed(x.hide_delta_per_day),
            _signed(x.report_delta_per_day),
            f"{x.only_champion:,}",
            f"{x.only_challenger:,}",
            f"{_pct(x.champion_precision)} ({x.champion_labelled})",
            f"{_pct(x.challenger_precision)} ({x.challenger_labelled})",
        )
    console.print(t)


@deploy_app.command("status")
def status_command(
    database_url: DbUrl = None,
    limit: Annotated[int, typer.Option(min=1, help="history entries to show")] = 20,
) -> None:
    """Print where champion and challenger point, and the latest alias moves (newest first)."""
    with _store(database_url) as (store, _s):
        st = deploy.status(store)
    for name, record in (("champion", st.champion), ("challenger", st.challenger)):
        console.print(f"{name:<11}{record.version if record is not None else '(none)'}")
    for h in st.history[:limit]:
        typer.echo(
            f"{h.at:%Y-%m-%d %H:%M:%S}  {h.alias:<10}  {h.from_version or '-'} -> {h.to_version}  "
            f"{h.actor}: {h.reason}"
        )


@deploy_app.command("compare")
def compare_command(
    database_url: DbUrl = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the comparison as JSON")] = False,
) -> None:
    """Compare the challenger's shadow decisions with the champion's on the same live listings."""
    with _store(database_url) as (store, _s):
        try:
            comparison = deploy.compare(store)
        except LookupError as exc:
            fail(str(exc))
    if as_json:
        typer.echo(json.dumps(comparison.to_dict(), indent=2))
    else:
        print_comparison(comparison)


@deploy_app.command("challenger")
def challenger_command(
    version: Annotated[str, typer.Argument(help="a registered model version")],
    reason: Reason = "",
    actor: Actor = None,
    database_url: DbUrl = None,
) -> None:
    """Point the challenger alias at VERSION: workers start scoring with it in shadow."""
    from lovemachine.registry.loader import verify_record

    with _store(database_url) as (store, _s):
        record = store.get_model_version(version)
        if record is None:
            fail(f"unknown model version {version!r}")
        try:
            verify_record(record)
        except ArtifactIntegrityError as exc:
            fail(str(exc))
        change = store.set_alias(deploy.CHALLENGER, version, actor=_actor(actor), reason=reason or "shadow")
    console.print(f"[green]✓[/] challenger {change.from_version or '(none)'} -> {change.to_version}")


# The promotion gates' options: each overrides one setting for this call.
Force = Annotated[bool, typer.Option("--force", help="promote although gates fail (needs --reason)")]
MinShadow = Annotated[
    int | None, typer.Option(help="gate: listings both scored [env: LOVEMACHINE_PROMOTE_MIN_SHADOW]")
]
MaxHideRatio = Annotated[
    float | None,
    typer.Option(help="gate: challenger/champion hides, at most [env: LOVEMACHINE_PROMOTE_MAX_HIDE_RATIO]"),
]
MinHideRatio = Annotated[
    float | None,
    typer.Option(
        help="gate: challenger/champion hides, at least; fewer leave violations visible "
        "[env: LOVEMACHINE_PROMOTE_MIN_HIDE_RATIO]"
    ),
]
ReviewCapacity = Annotated[
    int | None,
    typer.Option(
        help="gate: review items (reports + hides) CS works a day [env: LOVEMACHINE_REVIEW_CAPACITY_PER_DAY]",
    ),
]
DailyListings = Annotated[
    int | None,
    typer.Option(
        help="listings a day: a shadow under an hour is held to capacity / listings "
        "[env: LOVEMACHINE_DAILY_LISTINGS]"
    ),
]
MaxReportRatio = Annotated[
    float | None,
    typer.Option(
        help="gate: challenger/champion reports, at most [env: LOVEMACHINE_PROMOTE_MAX_REPORT_RATIO]"
    ),
]
ReportFloor = Annotated[
    int | None,
    typer.Option(
        help="the report ratio counts the champion's reports as at least this many "
        "[env: LOVEMACHINE_PROMOTE_REPORT_FLOOR]"
    ),
]
MinLabelled = Annotated[
    int | None,
    typer.Option(
        help="gates: CS labels on the challenger's flags (hides) before its precision (hide precision) "
        "is checked [env: LOVEMACHINE_PROMOTE_MIN_LABELLED]"
    ),
]
MaxPrecisionDrop = Annotated[
    float | None,
    typer.Option(
        help="gate: the challenger's precision on CS labels, at most this below the champion's "
        "[env: LOVEMACHINE_PROMOTE_MAX_PRECISION_DROP]"
    ),
]
MinHidePrecision = Annotated[
    float | None,
    typer.Option(
        help="gate: share of the challenger's labelled hides CS confirmed, at least "
        "[env: LOVEMACHINE_PROMOTE_MIN_HIDE_PRECISION]"
    ),
]


@deploy_app.command("promote")
def promote_command(
    force: Force = False,
    reason: Reason = "",
    actor: Actor = None,
    min_shadow: MinShadow = None,
    max_hide_ratio: MaxHideRatio = None,
    min_hide_ratio: MinHideRatio = None,
    review_capacity_per_day: ReviewCapacity = None,
    daily_listings: DailyListings = None,
    max_report_ratio: MaxReportRatio = None,
    report_floor: ReportFloor = None,
    min_labelled: MinLabelled = None,
    max_precision_drop: MaxPrecisionDrop = None,
    min_hide_precision: MinHidePrecision = None,
    database_url: DbUrl = None,
) -> None:
    """Make the challenger the champion if its gates pass: offline evaluation eligible, shadow sample
    large enough, hide volume within bounds both ways, review load within CS's capacity, no flood of
    reports, precision on the CS labels that arrived meanwhile (when there are enough), artifact
    verified."""
    if force and not reason.strip():
        fail("--force needs --reason: say why the gates are overridden")
    with _store(database_url) as (store, s):
        try:
            config = deploy.GateConfig.from_settings(
                s,
                min_shadow=min_shadow,
                max_hide_ratio=max_hide_ratio,
                min_hide_ratio=min_hide_ratio,
                review_capacity_per_day=review_capacity_per_day,
                daily_listings=daily_listings,
                max_report_ratio=max_report_ratio,
                report_floor=report_floor,
                min_labelled=min_labelled,
                max_precision_drop=max_precision_drop,
                min_hide_precision=min_hide_precision,
            )
        except ValueError as exc:
            fail(str(exc))
        try:
            result = deploy.promote(store, actor=_actor(actor), reason=reason, force=force, config=config)
        except PromotionBlockedError as exc:
            console.print(f"[bold red]promotion blocked:[/] {str(exc).split(':')[0]}")
            for line in exc.failed:
                console.print(f"  [red]✗[/] {line}")
            if "--force" in str(exc):
                console.print("  --force --reason '...' overrides these, and is recorded")
            raise typer.Exit(1) from None
        except AliasConflictError as exc:
            fail(f"{exc}; check `lovemachine deploy status` and run again")
    for g in result.gates:
        mark = "[green]✓[/]" if g.passed else "[yellow]forced[/]"
        console.print(f"  {mark} {g.name}: {g.detail}")
    change = result.change
    console.print(
        f"[green]✓[/] champion {change.from_version or '(none)'} -> [bold]{change.to_version}[/]"
        + (" (FORCED)" if result.forced else "")
        + f"; workers switch within {s.rules_refresh_seconds:g} s"
    )


@deploy_app.command("rollback")
def rollback_command(reason: Reason = "", actor: Actor = None, database_url: DbUrl = None) -> None:
    """Move the champion back to the version it replaced, in one step (recorded)."""
    with _store(database_url) as (store, s):
        try:
            change = deploy.rollback(store, actor=_actor(actor), reason=reason)
        except (LookupError, ArtifactIntegrityError) as exc:
            fail(str(exc))
        except AliasConflictError as exc:
            fail(f"{exc}; check `lovemachine deploy status` and run again")
    console.print(
        f"[green]✓[/] champion {change.from_version} -> [bold]{change.to_version}[/] (rolled back); "
        f"workers switch within {s.rules_refresh_seconds:g} s"
    )


def register(app: typer.Typer) -> None:
    """Add ``deploy`` to the ``lovemachine`` command."""
    app.add_typer(deploy_app, name="deploy")
