"""The demo loop's model steps: one firing of the scheduled retraining job, and, through the CS tool's
API, the shadow comparison, promotion through
the gates (and the evidence-backed override an admin would make), waiting for the worker to switch,
and rollback and forward again."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.table import Table

from cli.common import console
from demo.catches import measure, pct, print_catches

if TYPE_CHECKING:
    from demo.loop import Loop
    from lovemachine.listings import LabelledListing
    from trainers.retrain import RetrainOutcome

CRON = "0 3 * * *"
"""When the demo's retraining job is scheduled (it fires once, at once, as ``--run-now``)."""


def compare(loop: Loop, rows: Sequence[LabelledListing]) -> None:
    """What ``lovemachine deploy compare`` computes, and the catch rates on the new slang."""
    from lovemachine.services import deploy

    result = loop.result
    champion, challenger = result.champion_before, result.challenger or ""
    c = loop.comparison = deploy.compare(loop.store)
    result.both_scored = c.both_scored
    n1, n2 = loop.name(champion), loop.name(challenger)
    t = Table(
        title=f"deploy compare: {c.both_scored:,} listings scored by both, agreement "
        f"{pct(c.agreement or 0.0)}; CS labels since the shadow began: {c.labelled}"
    )
    for col in ("category", "agreement", f"{n1} flags", f"{n2} flags", f"only {n1}", f"only {n2}"):
        t.add_column(col, justify="left" if col == "category" else "right")
    t.add_column(f"precision {n1} (n)", justify="right")
    t.add_column(f"precision {n2} (n)", justify="right")

    def precision(p: float | None, n: int) -> str:
        return "-" if p is None else f"{p:.0%} ({n})"

    for x in c.categories:
        t.add_row(
            x.category,
            f"{x.agreement:.1%}" if x.agreement is not None else "-",
            f"{x.champion_report + x.champion_hide:,}",
            f"{x.challenger_report + x.challenger_hide:,}",
            f"{x.only_champion:,}",
            f"{x.only_challenger:,}",
            precision(x.champion_precision, x.champion_labelled),
            precision(x.challenger_precision, x.challenger_labelled),
        )
    console.print(t)
    console.print(
        f"hides {c.champion_hides:,} → {c.challenger_hides:,}, reports {c.champion_reports:,} → "
        f"{c.challenger_reports:,} (flags = reports + hides; `lovemachine deploy compare` scales "
        "the differences to a day of traffic once the shadow has run an hour; this burst is seconds)",
        highlight=False,
    )
    champ = measure("B", champion, "champion", rows, loop.decided(champion))
    chall = measure("B", challenger, "challenger, shadow", rows, loop.shadow_decided(challenger))
    result.catches += [champ, chall]
    print_catches([champ, chall], "the same listings: champion (acting) vs challenger (shadow)", loop.names)


def promote(loop: Loop) -> bool:
    """Promote through the gates; when only the hide- or report-volume (or shadow-sample) gate
    blocks and the CS labels that arrived meanwhile confirm the challenger's extra flags, do what an
    admin would: override it with the evidence as the recorded reason (``--force --reason``)."""
    result = loop.result
    r = loop.admin.post(
        "/api/v1/models/promote", json={"reason": "catches the new gift-card slang in shadow"}
    )
    if r.status_code == 409 and r.json()["error"]["code"] == "promotion_blocked":
        failed = [str(x) for x in r.json()["error"]["details"]["failed"]]
        console.print("[bold red]promotion blocked[/] by its gates:")
        for line in failed:
            console.print(f"  [red]✗[/] {line}", highlight=False)
        evidence = override_evidence(loop, failed)
        if evidence is None:
            console.print(
                "the champion stays live: the CS labels do not show the extra flags are right. An admin "
                "may still override with a recorded reason: `lovemachine deploy promote --force --reason`"
            )
            return False
        console.print(
            f"an admin reads the comparison: {evidence}. They override the gate with that as the reason, "
            "kept in the alias history (what `lovemachine deploy promote --force --reason ...` does):",
            highlight=False,
        )
        r = loop.admin.post(
            "/api/v1/models/promote", json={"reason": f"new gift-card slang: {evidence}", "force": True}
        )
    r.raise_for_status()
    body = r.json()
    result.gates, result.forced, result.promoted = body["gates"], body["forced"], True
    for g in body["gates"]:
        mark = "[green]✓[/]" if g["passed"] else "[yellow]overridden[/]"
        console.print(f"  {mark} {g['name']}: {g['detail']}", highlight=False)
    change = body["change"]
    console.print(
        f"[green]✓[/] champion {loop.name(change['from_version'])} → "
        f"[bold]{loop.name(change['to_version'])}[/]{' (FORCED)' if body['forced'] else ''} by "
        f"{change['actor']}: {change['reason']}",
        highlight=False,
    )
    wait_for_champion(loop, change["to_version"])
    return True


def override_evidence(loop: Loop, failed: Sequence[str]) -> str | None:
    """Why overriding the failed gates is justified, or None: never past the offline evaluation, the
    review capacity, the precision gates or the artifact, nor past fewer hides than the champion's
    bound (violations left visible); the hide- and report-volume gates only where every category
    the challenger flags over 10% more in (a few more is noise) has at least 20 CS labels on its
    flags since the shadow began, 95% of them confirmed."""
    if any(not line.startswith(("hide volume", "report volume", "shadow sample")) for line in failed):
        return None
    c = loop.comparison
    if c.challenger_hides < loop.settings.promote_min_hide_ratio * c.champion_hides:
        return None
    more = [
        x
        for x in c.categories
        if x.challenger_hide + x.challenger_report > 1.1 * (x.champion_hide + x.champion_report)
    ]
    proof = []
    for x in more:
        p, n = x.challenger_precision, x.challenger_labelled
        if p is None or n < 20 or p < 0.95:
            return None
        proof.append(f"{x.category} {p:.0%} of {n}")
    if not proof:
        return None
    return (
        "the extra flags are the new slang, and CS labels since the shadow began confirm the "
        f"challenger's flags ({', '.join(proof)})"
    )


def wait_for_champion(loop: Loop, version: str, timeout: float = 30.0) -> None:
    t0 = time.perf_counter()
    deadline = time.monotonic() + timeout
    while loop.worker.provider.version != version and time.monotonic() < deadline:
        time.sleep(0.05)
    if loop.worker.provider.version == version:
        console.print(
            f"[green]✓[/] the worker scores with {loop.name(version)} {time.perf_counter() - t0:.1f}s "
            "later, without a restart"
        )
    else:
        console.print(f"[yellow]the worker still scores with {loop.name(loop.worker.provider.version)}[/]")


def rollback_and_forward(loop: Loop) -> None:
    db = loop.settings.database_url
    console.print(
        "Should the new champion misbehave, one command puts the previous one back (recorded with who "
        f"and why; workers follow within {loop.settings.rules_refresh_seconds:g} s):\n"
        f'  lovemachine deploy rollback --database-url {db} --reason "hides too much"\n'
        "or the Rollback button on the CS tool's Models page. The demo rolls back, then rolls the "
        "rollback back:",
        highlight=False,
        soft_wrap=True,
    )
    for reason in ("demo: showing the way back", "demo: and forward again"):
        r = loop.admin.post("/api/v1/models/rollback", json={"reason": reason})
        r.raise_for_status()
        change = r.json()["change"]
        console.print(
            f"  [green]✓[/] champion {loop.name(change['from_version'])} → "
            f"{loop.name(change['to_version'])} ({change['reason']})",
            highlight=False,
        )
        wait_for_champion(loop, change["to_version"])
    loop.result.rolled_back_and_forward = True


def scheduled_retrain(loop: Loop) -> RetrainOutcome | None:
    """One firing of the retraining job on APScheduler, as `lovemachine scheduler --run-now`."""
    from trainers.retrain import RetrainConfig, RetrainError, retrain
    from trainers.retrain_split import SplitOptions
    from trainers.scheduler import retrain_job, run_scheduler
    from trainers.train import TrainConfig

    cfg, s, store, result = loop.cfg, loop.settings, loop.store, loop.result
    config = RetrainConfig(
        base_data=loop.base_path,
        base_source=f"synthetic (n={cfg.train_n}, seed={cfg.seed + 1}): {loop.base_path}",
        split=SplitOptions(min_labels=cfg.min_labels, label_weight=cfg.label_weight, seed=cfg.seed),
        train=TrainConfig(deep=False, seed=cfg.seed),
    )
    outcomes: list[RetrainOutcome] = []
    errors: list[RetrainError] = []
    stop = threading.Event()
    t0 = time.perf_counter()

    def progress(message: str) -> None:
        console.print(f"[dim]{time.perf_counter() - t0:6.1f}s · {message}[/]", highlight=False)

    # the job `lovemachine scheduler` runs (one retrain, trigger "scheduled"); the demo waits for one
    job = retrain_job(
        lambda: retrain(
            store,
            artifact_dir=s.artifact_dir,
            model_name=s.model_name,
            config=config,
            trigger="scheduled",
            actor="scheduler",
            progress=progress,
        ),
        on_outcome=outcomes.append,
        on_error=errors.append,
        after=stop.set,
    )

    def started(_scheduler: Any) -> None:
        console.print(
            f"scheduler started: retraining on cron {CRON!r} (03:00 UTC daily); the next firing is moved "
            f"to now, as `lovemachine scheduler --cron {CRON!r} --run-now` does "
            f"(label rows count {cfg.label_weight}× against the base data: --label-weight)",
            highlight=False,
        )

    run_scheduler(job, cron=CRON, stop=stop, run_now=True, on_started=started)
    if errors:
        run = errors[0].run
        result.training_run_id, result.training_status = run.id, run.status
        console.print(f"[red]training run #{run.id} failed:[/] {run.error}", highlight=False)
        return None
    if not outcomes:
        console.print("[red]the scheduler stopped before the retraining ran[/]")
        return None
    out = outcomes[0]
    result.training_run_id, result.training_status = out.run.id, out.run.status
    result.eligible, result.reasons = out.eligible, list(out.reasons)
    result.report_path = str(out.report_dir / "report.md")
    name = loop.name(out.record.version)
    console.print(
        f"[green]✓[/] training run #{out.run.id} (trigger {out.run.trigger}) {out.run.status} in "
        f"{out.seconds:.0f}s: [bold]{name}[/] = {out.record.version}; evaluated against the champion on "
        "the newest labels, held out:",
        highlight=False,
    )
    for reason in out.reasons:
        console.print(f"  {reason}", highlight=False)
    if out.eligible:
        result.challenger = out.record.version
        console.print(f"[bold]{name}[/] is the [bold]challenger[/]; the champion is unchanged")
    else:
        console.print(f"[yellow]not eligible:[/] {name} is registered without an alias")
    console.print(f"report: {result.report_path}", highlight=False)
    return out
