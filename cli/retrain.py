"""``lovemachine retrain``, ``lovemachine scheduler`` and ``lovemachine audit estimate``: the loop.

``register(app)`` adds them to the main command. ``retrain`` runs one retraining
(``trainers.retrain``: snapshot, train, evaluate against the live model, register, challenger);
``scheduler`` runs it on a cron expression until SIGTERM (``trainers.scheduler``); ``audit estimate``
(``cli.live_quality``) estimates live precision and recall from the audit sample.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.common import DbUrl, console, fail, settings, setup_logging, step

if TYPE_CHECKING:
    from lovemachine.config import Settings
    from trainers.retrain import RetrainConfig, RetrainOutcome

log = logging.getLogger("lovemachine.scheduler")

ArtifactDir = Annotated[
    Path | None,
    typer.Option("--artifact-dir", help="model artifact directory [env: LOVEMACHINE_ARTIFACT_DIR]"),
]
BaseData = Annotated[
    Path | None,
    typer.Option(
        "--base-data",
        help="labelled JSONL the earlier models learned from (one of --base-data, --base-synthetic, "
        "--no-base is required)",
    ),
]
BaseSynthetic = Annotated[
    bool,
    typer.Option(
        "--base-synthetic",
        help="use the synthetic set `lovemachine train` uses as base data "
        "(<artifact dir>/../data/synthetic-N-seedS.jsonl, generated if missing): demos and trials only",
    ),
]
BaseN = Annotated[int, typer.Option("--base-n", min=100, help="size of the --base-synthetic data")]
BaseSeed = Annotated[int, typer.Option("--base-seed", help="seed of the --base-synthetic data")]
NoBase = Annotated[
    bool, typer.Option("--no-base", help="train without the base data (labels and written corpus)")
]
NoWritten = Annotated[
    bool,
    typer.Option(
        "--no-written",
        help="do not train on the written corpora (data/written/*.jsonl: listings and hard "
        "negatives by independent writers; its regression part is never trained on either way)",
    ),
]
MinLabels = Annotated[
    int, typer.Option("--min-labels", min=1, help="refuse to run (exit 1) with fewer usable labels")
]
TestFraction = Annotated[
    float, typer.Option("--test-fraction", min=0.01, max=0.9, help="share of labels held out, newest first")
]
MinTest = Annotated[int, typer.Option("--min-test-labels", min=1, help="held-out labels at least")]
LabelWeight = Annotated[
    int, typer.Option("--label-weight", min=1, max=20, help="repeat each training label row this often")
]
Deep = Annotated[bool, typer.Option("--deep/--no-deep", help="also train the deep tier (transformer)")]
Calibration = Annotated[str, typer.Option(help="'isotonic' or 'sigmoid' (Platt)")]
Images = Annotated[bool, typer.Option("--images/--no-images", help="let the adult combiner see images")]
EvalConfig = Annotated[
    Path | None,
    typer.Option(
        "--eval-config",
        help="evaluation config whose primary_metric, thresholds and eligibility replace the defaults",
    ),
]
Seed = Annotated[int, typer.Option(help="seed of the validation split and the training")]
Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="debug logging")]


@dataclass(frozen=True)
class _Options:
    base_data: Path | None
    base_n: int
    base_seed: int
    no_base: bool
    min_labels: int
    test_fraction: float
    min_test_labels: int
    label_weight: int
    deep: bool
    calibration: str
    images: bool
    eval_config: Path | None
    seed: int
    no_written: bool = False
    base_synthetic: bool = False


def _check_base(o: _Options) -> None:
    """Exactly one of --base-data FILE, --base-synthetic, --no-base: a production retrain must never
    silently learn from generated listings."""
    chosen = [
        name
        for name, on in (
            ("--base-data", o.base_data is not None),
            ("--base-synthetic", o.base_synthetic),
            ("--no-base", o.no_base),
        )
        if on
    ]
    if len(chosen) != 1:
        fail(
            "say what the earlier models learned from: --base-data FILE (labelled JSONL), "
            "--base-synthetic (generated listings: demos and trials) or --no-base"
            + (f"; got {' and '.join(chosen)}" if chosen else "")
        )
    if o.base_data is not None and not o.base_data.exists():
        fail(f"--base-data {o.base_data} does not exist")


def _config(s: Settings, o: _Options) -> RetrainConfig:
    from trainers.retrain import RetrainConfig
    from trainers.retrain_split import SplitOptions
    from trainers.train import TrainConfig

    if o.calibration not in ("isotonic", "sigmoid"):
        fail("--calibration must be 'isotonic' or 'sigmoid'")
    if o.eval_config is not None and not o.eval_config.exists():
        fail(f"--eval-config {o.eval_config} does not exist")
    _check_base(o)
    base, source = o.base_data, str(o.base_data) if o.base_data else None
    if o.no_base:
        base, source = None, None
    elif o.base_synthetic:
        from synth import write_jsonl

        base = s.artifact_dir.parent / "data" / f"synthetic-{o.base_n}-seed{o.base_seed}.jsonl"
        source = f"synthetic (n={o.base_n}, seed={o.base_seed}): {base}"
        if not base.exists():
            with step(f"generating {o.base_n:,} synthetic labelled listings -> {base}"):
                write_jsonl(base, o.base_n, seed=o.base_seed)
    return RetrainConfig(
        base_data=base,
        base_source=source,
        split=SplitOptions(
            min_labels=o.min_labels,
            test_fraction=o.test_fraction,
            min_test_labels=o.min_test_labels,
            label_weight=o.label_weight,
            seed=o.seed,
        ),
        train=TrainConfig(
            seed=o.seed,
            deep=o.deep,
            calibration=o.calibration,
            max_flag_rate=min(1.0, s.review_capacity_per_day / s.daily_listings),
        ),
        eval_config=o.eval_config,
        written=not o.no_written,
        base_rates=s.base_rates or None,
    )


def run_retrain(
    s: Settings,
    o: _Options,
    *,
    trigger: str,
    actor: str,
    should_stop: Any = None,
    quiet: bool = False,
) -> RetrainOutcome:
    """One retraining with printed progress; raises ``trainers.retrain.RetrainError`` on failure."""
    from lovemachine.adapters.sql import SqlStore, make_engine
    from lovemachine.adapters.sql.migrate import upgrade
    from trainers.retrain import retrain
    from workers.bootstrap import make_image_scorer

    config = _config(s, o)
    upgrade(s.database_url)
    store = SqlStore(make_engine(s.database_url), model_name=s.model_name)
    t0 = time.perf_counter()

    def progress(message: str) -> None:
        if quiet:
            log.info("retrain: %s", message)
        else:
            console.print(f"[dim]{time.perf_counter() - t0:7.1f}s · {message}[/]")

    try:
        return retrain(
            store,
            artifact_dir=s.artifact_dir,
            model_name=s.model_name,
            config=config,
            trigger=trigger,
            actor=actor,
            progress=progress,
            should_stop=should_stop,
            image_scorer=make_image_scorer(s) if o.images else None,
        )
    finally:
        store.dispose()


def retrain_command(
    base_data: BaseData = None,
    base_synthetic: BaseSynthetic = False,
    base_n: BaseN = 30_000,
    base_seed: BaseSeed = 0,
    no_base: NoBase = False,
    no_written: NoWritten = False,
    min_labels: MinLabels = 200,
    test_fraction: TestFraction = 0.2,
    min_test_labels: MinTest = 50,
    label_weight: LabelWeight = 1,
    deep: Deep = False,
    calibration: Calibration = "sigmoid",
    images: Images = False,
    eval_config: EvalConfig = None,
    seed: Seed = 0,
    database_url: DbUrl = None,
    artifact_dir: ArtifactDir = None,
) -> None:
    """Retrain from CS labels; the new version becomes the challenger if it beats the live model.

    Snapshots the CS and audit labels (with the base data) and records their provenance, trains every
    model on them with the negatives it needs (the base data's clean rows, the audit sample's allowed
    listings, the written corpus), evaluates it against the live model on the newest labels (held out
    by time), held-out clean listings and the regression set kept with the live model, and registers
    the new version with its report. Eligible: better PR-AUC, and no more clean listings flagged
    (+1 pt at most) or regression-set listings hidden than the live model.

    The champion (live model) is never changed: promote with `lovemachine deploy promote`. Every run
    is recorded (CS tool: Training); a run that fails is recorded with its error and exits 1, as does
    a database with fewer than --min-labels usable labels.
    """
    from trainers.retrain import RetrainError

    s = settings(database_url=database_url, artifact_dir=artifact_dir)
    opts = _Options(
        base_data, base_n, base_seed, no_base, min_labels, test_fraction, min_test_labels, label_weight,
        deep, calibration, images, eval_config, seed, no_written, base_synthetic,
    )  # fmt: skip
    try:
        out = run_retrain(s, opts, trigger="manual", actor="cli")
    except RetrainError as exc:
        fail(str(exc))
    _print_outcome(out)


def _print_outcome(out: RetrainOutcome) -> None:
    from lovemachine.registry.verdict import EvaluationVerdict

    meta = out.record.metrics.get("dataset_snapshot")
    snap: dict[str, Any] = meta if isinstance(meta, dict) else {}
    labels = snap.get("labels") or {}
    console.print(
        f"[green]✓[/] training run #{out.run.id} ({out.seconds:.0f}s): {out.record.version} on snapshot "
        f"#{out.snapshot_id} ({snap.get('label_rows', '?')} label rows, {labels.get('disagreements', 0)} "
        f"disagreements, {labels.get('overturned', 0)} overturned)"
    )
    ev = EvaluationVerdict.of(out.record.metrics)
    if ev is not None and ev.clean_rows:
        cand = f"{_pct(ev.clean_flag_rate)} ({ev.clean_hidden} hidden"
        live = f"{_pct(ev.live_clean_flag_rate)} ({ev.live_clean_hidden} hidden"
        console.print(
            f"  clean listings flagged: {cand}, {ev.regression_hidden} of them in the regression set) "
            f"vs live {live}, {ev.live_regression_hidden}) on {ev.clean_rows:,} clean rows; "
            f"mean {ev.primary_metric} {_num(ev.mean)} ({_num(ev.mean_delta, sign=True)} vs live)",
            highlight=False,
        )
    for reason in out.reasons:
        console.print(f"  {reason}", highlight=False)
    if out.eligible:
        console.print(f"[bold]{out.record.version}[/] is now the [bold]challenger[/] (champion unchanged)")
    else:
        console.print(f"[yellow]not eligible:[/] {out.record.version} is registered without an alias")
    console.print(f"report: {out.report_dir / 'report.md'}  (html: {out.report_dir / 'report.html'})")


def _pct(x: Any) -> str:
    return f"{x:.1%}" if isinstance(x, int | float) else "–"


def _num(x: Any, *, sign: bool = False) -> str:
    return (f"{x:+.4f}" if sign else f"{x:.4f}") if isinstance(x, int | float) else "–"


def scheduler_command(
    cron: Annotated[str, typer.Option("--cron", help='crontab line, e.g. "0 3 * * *" (03:00 daily)')],
    timezone: Annotated[str, typer.Option(help="time zone of the cron expression")] = "UTC",
    run_now: Annotated[bool, typer.Option("--run-now", help="also run once right away")] = False,
    base_data: BaseData = None,
    base_synthetic: BaseSynthetic = False,
    base_n: BaseN = 30_000,
    base_seed: BaseSeed = 0,
    no_base: NoBase = False,
    no_written: NoWritten = False,
    min_labels: MinLabels = 200,
    test_fraction: TestFraction = 0.2,
    min_test_labels: MinTest = 50,
    label_weight: LabelWeight = 1,
    deep: Deep = False,
    calibration: Calibration = "sigmoid",
    images: Images = False,
    eval_config: EvalConfig = None,
    seed: Seed = 0,
    database_url: DbUrl = None,
    artifact_dir: ArtifactDir = None,
    verbose: Verbose = False,
) -> None:
    """Run `lovemachine retrain` on a cron expression until SIGTERM, one run at a time.

    A firing while a run is still going is skipped; firings missed while the process was down are merged
    into one. SIGTERM (or Ctrl-C) stops scheduling and ends a running retrain at its next step (recorded
    as failed, "stopped"). On Kubernetes use a CronJob running `lovemachine retrain` instead
    (docs/operations.md).
    """
    from trainers.scheduler import cron_trigger, run_scheduler

    setup_logging(verbose)
    s = settings(database_url=database_url, artifact_dir=artifact_dir)
    try:
        cron_trigger(cron, timezone)
    except Exception as exc:  # a bad expression or an unknown time zone
        fail(str(exc))
    opts = _Options(
        base_data, base_n, base_seed, no_base, min_labels, test_fraction, min_test_labels, label_weight,
        deep, calibration, images, eval_config, seed, no_written, base_synthetic,
    )  # fmt: skip
    _check_base(opts)
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %d: stopping the scheduler", signum)
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        run_scheduler(scheduled_job(s, opts, stop), cron=cron, stop=stop, timezone=timezone, run_now=run_now)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def scheduled_job(s: Settings, opts: _Options, stop: threading.Event) -> Any:
    """The scheduler's job (``trainers.scheduler.retrain_job``) around one retrain of these options."""
    from trainers.scheduler import retrain_job

    return retrain_job(
        lambda: run_retrain(
            s, opts, trigger="scheduled", actor="scheduler", should_stop=stop.is_set, quiet=True
        )
    )


def register(app: typer.Typer) -> None:
    from cli.live_quality import audit_app

    app.command("retrain")(retrain_command)
    app.command("scheduler")(scheduler_command)
    app.add_typer(audit_app, name="audit")
