"""``lovemachine audit estimate``: live precision and recall per category from the audit sample.

A composition root: Settings, the SQL store, ``trainers.live_quality.live_quality``, a table or JSON.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import typer

from cli.common import console, fail, settings

DbUrl = Annotated[
    str | None, typer.Option("--database-url", help="SQLAlchemy URL [env: LOVEMACHINE_DATABASE_URL]")
]

audit_app = typer.Typer(
    help="The random audit sample and what it says about live quality.", no_args_is_help=True
)


@audit_app.command("estimate")
def audit_estimate(
    model_version: Annotated[
        str | None, typer.Option("--model-version", help="whose decisions (default: the champion)")
    ] = None,
    since_days: Annotated[
        float | None, typer.Option("--since-days", min=0, help="only decisions of the last N days")
    ] = None,
    confidence: Annotated[float, typer.Option(min=0.5, max=0.999, help="interval coverage")] = 0.95,
    resamples: Annotated[int, typer.Option(min=100, max=20_000, help="bootstrap resamples")] = 1000,
    as_json: Annotated[bool, typer.Option("--json", help="print the estimate as JSON on stdout")] = False,
    database_url: DbUrl = None,
) -> None:
    """Estimate live precision and recall per category from the audit sample, without selection bias.

    Each stratum (hidden / reported / allowed) is weighted by its size over its labelled sample (1 / the
    audit rate; reports are all reviewed), with a stratified bootstrap interval. "naive" is what the
    labels alone say, for comparison.
    """
    from lovemachine.adapters.sql import SqlStore, make_engine
    from lovemachine.review.audit import audit_sample_from
    from trainers.live_quality import live_quality

    s = settings(database_url=database_url)
    store = SqlStore(make_engine(s.database_url), model_name=s.model_name)
    since = datetime.now(UTC) - timedelta(days=since_days) if since_days is not None else None
    try:
        est = live_quality(
            store,
            model_version=model_version,
            since=since,
            audit_sample=audit_sample_from(s),
            confidence=confidence,
            resamples=resamples,
        )
    except LookupError as exc:
        fail(f"{exc}; train one first (`lovemachine train`)")
    finally:
        store.dispose()
    if as_json:
        typer.echo(json.dumps(est, indent=1))
        return
    _print_estimate(est)


def _print_estimate(est: dict[str, Any]) -> None:
    from rich.table import Table

    strata = Table(title=f"audit sample of {est['model_version']}")
    for col in ("stratum", "decisions", "sampled", "labelled", "rate", "weight"):
        strata.add_column(col, justify="left" if col == "stratum" else "right")
    for h, v in est["strata"].items():
        rate = v.get("rate")
        strata.add_row(
            h,
            f"{v.get('decisions', 0):,}",
            f"{v.get('sampled', 0):,}",
            f"{v['labelled']:,}",
            f"{rate:g}" if rate is not None else "-",
            f"{v['weight']:.1f}" if v["weight"] is not None else "-",
        )
    console.print(strata)
    pct = f"{est['confidence']:.0%}"
    t = Table(title=f"live quality per category (estimate [{pct} interval]; naive = labels alone)")
    for col in ("category", "P act", "R act", "P hide", "R hide", "naive R act", "prevalence"):
        t.add_column(col, justify="left" if col == "category" else "right")
    for c, v in est["categories"].items():
        t.add_row(
            c,
            _fmt(v["act"]["precision"]),
            _fmt(v["act"]["recall"]),
            _fmt(v["hide"]["precision"]),
            _fmt(v["hide"]["recall"]),
            "-" if v["act"]["naive_recall"] is None else f"{v['act']['naive_recall']:.3f}",
            "-" if v["prevalence"] is None else f"{v['prevalence']:.2%}",
        )
    console.print(t)
    for note in est["notes"]:
        console.print(f"[yellow]note:[/] {note}")


def _fmt(e: dict[str, Any]) -> str:
    if e["estimate"] is None:
        return "-"
    if e["low"] is None:
        return f"{e['estimate']:.3f}"
    return f"{e['estimate']:.3f} [{e['low']:.3f}–{e['high']:.3f}]"
