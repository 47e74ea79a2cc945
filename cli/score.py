"""``lovemachine score``: offline batch scoring with the live model, one decision per input line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import DbUrl, console, fail, progress_bar, settings, shown_url

if TYPE_CHECKING:
    from lovemachine.config import Settings
    from lovemachine.policy import Decision
    from lovemachine.services.scoring import Scorer


def score(
    input: Annotated[Path, typer.Option("--input", "-i", help="JSONL of listing events (as on the topic)")],
    output: Annotated[Path, typer.Option("--output", "-o", help="JSONL of decisions; '-' for stdout")],
    batch_size: Annotated[int, typer.Option(min=1, help="listings per model call")] = 256,
    database_url: DbUrl = None,
) -> None:
    """Offline batch scoring with the live model: one decision per input line.

    Invalid lines are reported on stderr with their line numbers and skipped; the exit status is 2 if
    any line was invalid.
    """
    from lovemachine.errors import InvalidEventError
    from lovemachine.listings import Listing, parse_event

    s = settings(database_url=database_url)
    if not input.exists():
        fail(f"{input} does not exist")
    scorer = _live_scorer(s)
    with open(input, "rb") as f:
        total = sum(1 for _ in f)
    bad = 0
    written = 0
    out = sys.stdout if str(output) == "-" else open(output, "w", encoding="utf-8")  # noqa: SIM115
    try:
        with progress_bar() as bar, open(input, "rb") as f:
            task = bar.add_task(f"scoring with {scorer.version}", total=total)
            batch: list[Listing] = []

            def flush() -> None:
                nonlocal written
                for d in scorer.score(batch):
                    out.write(json.dumps(decision_json(d), ensure_ascii=False) + "\n")
                written += len(batch)
                bar.update(task, advance=len(batch))
                batch.clear()

            for lineno, line in enumerate(f, 1):
                if not line.strip():
                    bar.update(task, advance=1)
                    continue
                try:
                    batch.append(parse_event(line).listing)
                except InvalidEventError as exc:
                    bad += 1
                    bar.update(task, advance=1)
                    if bad <= 20:
                        console.print(f"[yellow]{input}:{lineno}:[/] {exc}")
                    continue
                if len(batch) >= batch_size:
                    flush()
            if batch:
                flush()
    finally:
        if out is not sys.stdout:
            out.close()
    console.print(
        f"scored {written:,} listings -> {output}" + (f"; {bad} invalid lines skipped" if bad else "")
    )
    if bad:
        raise typer.Exit(2)


def _live_scorer(s: Settings) -> Scorer:
    """The live model and the CS rules, as a worker would score with them."""
    from lovemachine.adapters.sql import SqlStore, make_engine
    from lovemachine.errors import LovemachineError
    from lovemachine.registry.loader import load_alias
    from lovemachine.rules import RuleSet
    from lovemachine.services.scoring import Scorer

    store = SqlStore(make_engine(s.database_url))
    try:
        return Scorer(model=load_alias(store), rules=RuleSet(store.list_rules()))
    except LovemachineError as exc:
        fail(str(exc))
    except Exception as exc:
        fail(
            f"cannot read the model registry at {shown_url(s.database_url)} ({exc}); run "
            "`lovemachine db upgrade` and `lovemachine train` first"
        )


def decision_json(d: Decision) -> dict[str, object]:
    """One line of ``lovemachine score``'s output."""
    return {
        "listing_id": d.listing_id,
        "listing_version": d.listing_version,
        "action": d.action.value,
        "category": d.category,
        "scores": d.scores,
        "reasons": d.reasons,
        "model_version": d.model_version,
        "decided_at": d.decided_at.isoformat(),
    }
