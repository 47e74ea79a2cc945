"""``lovemachine evaluate``: a config-driven offline evaluation (see ``trainers/evaluation``).

A composition root like the other commands: it reads Settings, opens the model registry only when
the config asks for the live model (and never creates or migrates a database to do so), runs the
evaluation with a progress display, and writes the report.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import console, fail, settings

if TYPE_CHECKING:
    from lovemachine.ports import ModelRegistry


def evaluate(
    config: Annotated[
        Path, typer.Option("--config", "-c", help="evaluation config (YAML), e.g. eval/time_split.yaml")
    ],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="output directory (default: var/evaluations/<config name>)"),
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            help="SQLAlchemy URL of the registry holding the live model (env: LOVEMACHINE_DATABASE_URL)",
        ),
    ] = None,
) -> None:
    """Compare models offline on the same held-out rows and decide whether a candidate may go live.

    Writes report.md, report.html (self-contained), metrics.json, plots/ and config.yaml.

    Paths inside the config are relative to the config file.
    """
    from trainers.evaluation import EvaluationError, load_config, run_evaluation, write_report

    try:
        cfg = load_config(config)
    except EvaluationError as exc:
        fail(str(exc))
    out = output or Path("var") / "evaluations" / cfg.name
    registry, note, dispose = None, None, lambda: None
    if any(c.source == "champion" for c in cfg.candidates):
        registry, note, dispose = _open_registry(database_url)
    try:
        with console.status(f"evaluating {cfg.name}") as status:

            def progress(message: str) -> None:
                status.update(f"[bold]{cfg.name}[/]: {message}")
                console.print(f"[dim]· {message}[/]")

            ev = run_evaluation(cfg, registry=registry, registry_note=note, progress=progress)
            ev.summary["code_revision"] = _code_revision()
            status.update("writing the report and plots")
            paths = write_report(ev, out, config_text=config.read_text(encoding="utf-8"))
    except EvaluationError as exc:
        fail(str(exc))
    finally:
        dispose()
    _print_decision(ev.summary)
    console.print(f"[green]✓[/] report: {paths['markdown']}  {paths['html']}  metrics: {paths['metrics']}")


def _open_registry(database_url: str | None) -> tuple[ModelRegistry | None, str | None, Callable[[], None]]:
    from sqlalchemy.engine import make_url

    from lovemachine.adapters.sql import SqlStore, make_engine

    s = settings(database_url=database_url)
    url = make_url(s.database_url)
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
        return (
            None,
            f"no database at {url.database} (use --database-url or LOVEMACHINE_DATABASE_URL)",
            lambda: None,
        )
    store = SqlStore(make_engine(s.database_url))
    return store, None, store.dispose


def _code_revision() -> str | None:
    """The git commit the evaluation ran on (``+dirty`` with uncommitted changes), if in a checkout."""
    import subprocess

    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True, timeout=10
        )
        dirty = subprocess.run(["git", "status", "--porcelain"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    if rev.returncode != 0:
        return None
    return rev.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def _print_decision(summary: dict[str, object]) -> None:
    from rich.table import Table

    dec = summary["decision"]
    assert isinstance(dec, dict)
    t = Table(title=f"eligibility vs {dec.get('incumbent') or '(no incumbent)'} on '{dec.get('test_set')}'")
    for col in ("candidate", f"mean {summary['primary_metric']}", "difference", "verdict"):
        t.add_column(col)
    for name, v in dec.get("candidates", {}).items():
        delta = v.get("mean_delta")
        verdict = {True: "[green]ELIGIBLE[/]", False: "[red]not eligible[/]", None: "undecided"}[
            v["eligible"]
        ]
        t.add_row(name, f"{v['mean']:.4f}", f"{delta:+.4f}" if delta is not None else "–", verdict)
    console.print(t)
    notes = summary.get("notes") or []
    assert isinstance(notes, list)
    for n in notes:
        console.print(f"[yellow]note:[/] {n}")
