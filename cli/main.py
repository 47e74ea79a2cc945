"""Subcommands: generate, train, evaluate, score, publish, worker, db, demo; for the CS tool
serve, staff, cstool; for retraining retrain, scheduler, audit (``cli.retrain``)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import DbUrl, console, fail, progress_bar, settings, setup_logging, shown_url, step
from lovemachine.listings import ListingEvent

if TYPE_CHECKING:
    from lovemachine.config import Settings
    from trainers.dataset import Dataset
    from trainers.sources import WrittenParts

app = typer.Typer(
    name="lovemachine",
    help="Keep prohibited listings off the marketplace: generate data, train, score, run workers, demo.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
app.add_typer(db_app, name="db")

ArtifactDir = Annotated[
    Path | None,
    typer.Option("--artifact-dir", help="model artifact directory [env: LOVEMACHINE_ARTIFACT_DIR]"),
]
Broker = Annotated[
    str | None, typer.Option("--broker", help="'local' (embedded) or 'pubsub' [env: LOVEMACHINE_BROKER]")
]
Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="debug logging")]


# --------------------------------------------------------------------------- generate
@app.command()
def generate(
    output: Annotated[Path, typer.Option("--output", "-o", help="JSONL file to write")],
    n: Annotated[int, typer.Option("--n", "-n", min=1, help="number of listings")] = 10_000,
    seed: Annotated[int, typer.Option(help="random seed (same seed, same file)")] = 0,
    id_prefix: Annotated[str, typer.Option(help="prefix of listing ids")] = "L",
) -> None:
    """Write synthetic labelled listings (listing events + ground-truth labels), one JSON per line."""
    from synth import write_jsonl

    output.parent.mkdir(parents=True, exist_ok=True)
    with progress_bar() as bar:
        task = bar.add_task("generating listings", total=n)
        write_jsonl(
            output, n, seed=seed, id_prefix=id_prefix, progress=lambda k: bar.update(task, completed=k)
        )
        bar.update(task, completed=n)
    console.print(f"wrote {n:,} labelled listings to {output}")


# --------------------------------------------------------------------------- db
@db_app.command("upgrade")
def db_upgrade(database_url: DbUrl = None, revision: str = "head") -> None:
    """Create or migrate the database schema to the latest revision."""
    from lovemachine.adapters.sql.migrate import current_revision, upgrade

    s = settings(database_url=database_url)
    try:
        upgrade(s.database_url, revision)
    except Exception as exc:
        fail(f"migration failed on {shown_url(s.database_url)}: {exc}")
    console.print(
        f"database at {shown_url(s.database_url)} is at revision {current_revision(s.database_url)}"
    )


@db_app.command("current")
def db_current(database_url: DbUrl = None) -> None:
    """Print the database's schema revision."""
    from lovemachine.adapters.sql.migrate import current_revision

    s = settings(database_url=database_url)
    typer.echo(current_revision(s.database_url) or "(empty: run `lovemachine db upgrade`)")


# --------------------------------------------------------------------------- train
@app.command()
def train(
    data: Annotated[
        Path | None, typer.Option("--data", help="labelled JSONL; default: generate synthetic")
    ] = None,
    n: Annotated[int, typer.Option("--n", help="synthetic listings when --data is not given")] = 30_000,
    seed: Annotated[int, typer.Option(help="seed for data generation and the split")] = 0,
    split: Annotated[str, typer.Option(help="'random' or 'time' (train on older, test on newer)")] = "random",
    champion: Annotated[bool, typer.Option(help="make the new version the live model")] = True,
    deep: Annotated[
        bool, typer.Option("--deep/--no-deep", help="also train the deep tier (transformer) for the cascade")
    ] = False,
    calibration: Annotated[str, typer.Option(help="'isotonic' or 'sigmoid' (Platt)")] = "sigmoid",
    images: Annotated[
        bool, typer.Option("--images/--no-images", help="fetch and score images of adult-band listings")
    ] = False,
    written: Annotated[
        bool,
        typer.Option(
            "--written/--no-written",
            help="also learn from the independently written corpus (data/written/, docs/data.md); its "
            "regression part is scored and reported, never learned from",
        ),
    ] = True,
    database_url: DbUrl = None,
    artifact_dir: ArtifactDir = None,
) -> None:
    """Train the four classifiers, choose thresholds on held-out data, register the model version.

    Thresholds are chosen at the live base rates (LOVEMACHINE_BASE_RATES) with the report bands capped
    by review capacity (LOVEMACHINE_REVIEW_CAPACITY_PER_DAY / LOVEMACHINE_DAILY_LISTINGS)."""
    from lovemachine.adapters.sql import SqlStore, make_engine
    from lovemachine.adapters.sql.migrate import upgrade
    from trainers.train import TrainConfig, train_and_register
    from workers.bootstrap import make_image_scorer

    s = settings(database_url=database_url, artifact_dir=artifact_dir)
    if split not in ("random", "time"):
        fail("--split must be 'random' or 'time'")
    if calibration not in ("isotonic", "sigmoid"):
        fail("--calibration must be 'isotonic' or 'sigmoid'")
    dataset = _training_data(s, data, n, seed)
    from trainers.base_rates import resolve_base_rates

    rates = resolve_base_rates(s.base_rates)
    written_parts = _written_corpora() if written else None
    upgrade(s.database_url)
    store = SqlStore(make_engine(s.database_url))
    with console.status("training") as status:
        record, result = train_and_register(
            dataset,
            registry=store,
            artifact_dir=s.artifact_dir,
            model_name=s.model_name,
            config=TrainConfig(
                split=split,
                seed=seed,
                deep=deep,
                calibration=calibration,
                base_rates=rates.rates,
                max_flag_rate=max_flag_rate(s),
            ),
            written=written_parts,
            make_champion=champion,
            progress=lambda m: status.update(f"training: {m}"),
            image_scorer=make_image_scorer(s) if images else None,
        )
    console.print(f"[green]✓[/] trained {record.version} in {result.train_seconds:.1f}s")
    _print_metrics(result.metrics["test"], "held-out test split (synthetic: the generator's own dialect)")
    if "regression" in result.metrics:
        _print_metrics(
            result.metrics["regression"], "regression set (written by other people, never learned from)"
        )
    if champion:
        console.print(f"[bold]{record.version}[/] is now the champion (live model)")


def _training_data(s: Settings, data: Path | None, n: int, seed: int) -> Dataset:
    """The labelled listings to train on: ``data``, or ``n`` synthetic ones generated (once) beside the
    artifacts."""
    from lovemachine.errors import InvalidEventError
    from trainers.dataset import load_jsonl

    if data is None:
        from synth import write_jsonl

        data = s.artifact_dir.parent / "data" / f"synthetic-{n}-seed{seed}.jsonl"
        if not data.exists():
            data.parent.mkdir(parents=True, exist_ok=True)
            with step(f"generating {n:,} synthetic labelled listings -> {data}"):
                write_jsonl(data, n, seed=seed)
    elif not data.exists():
        fail(f"{data} does not exist")
    try:
        with step(f"reading {data}"):
            return load_jsonl(data)
    except InvalidEventError as exc:
        fail(str(exc))


def _written_corpora() -> WrittenParts:
    from trainers.sources import WRITTEN_DIR, load_written, missing_written

    if missing := missing_written():
        names = ", ".join(map(str, missing))
        fail(f"{names} missing (a source checkout has them); or train with --no-written")
    with step(f"reading the written corpora in {WRITTEN_DIR}"):
        return load_written()


def max_flag_rate(s: Settings) -> float:
    """The review-capacity cap on the report bands: capacity per day / listings per day."""
    return min(1.0, s.review_capacity_per_day / s.daily_listings)


def _print_metrics(per_cat: dict[str, dict[str, object]], title: str) -> None:
    from rich.table import Table

    t = Table(title=title)
    for col in (
        "category",
        "support",
        "PR-AUC",
        "report thr",
        "P@report",
        "R@report",
        "hide thr",
        "P@hide",
        "R@hide",
    ):
        t.add_column(col, justify="right" if col != "category" else "left")
    for cat, m in per_cat.items():
        auc = m["pr_auc"]
        t.add_row(
            cat,
            str(m["support"]),
            f"{auc:.3f}" if isinstance(auc, float) else "-",
            f"{m['report_threshold']:.3f}",
            f"{m['precision_at_report']:.3f}",
            f"{m['recall_at_report']:.3f}",
            f"{m['hide_threshold']:.3f}",
            f"{m['precision_at_hide']:.3f}",
            f"{m['recall_at_hide']:.3f}",
        )
    console.print(t)


from cli.evaluate import evaluate  # noqa: E402

app.command()(evaluate)

from cli.cstool import register as register_cstool  # noqa: E402

register_cstool(app)

from cli.deploy import register as register_deploy  # noqa: E402

register_deploy(app)

from cli.retrain import register as register_retrain  # noqa: E402

register_retrain(app)

from cli.images import register as register_images  # noqa: E402

register_images(app)

from cli.dsa import register as register_dsa  # noqa: E402

register_dsa(app)

from cli.score import score  # noqa: E402

app.command()(score)


# --------------------------------------------------------------------------- publish
@app.command()
def publish(
    input: Annotated[Path, typer.Option("--input", "-i", help="JSONL of listing events (labelled files ok)")],
    broker: Broker = None,
    project: Annotated[str | None, typer.Option(help="GCP project [env: LOVEMACHINE_GCP_PROJECT]")] = None,
    rate: Annotated[float, typer.Option(help="messages per second; 0 = as fast as possible")] = 0.0,
) -> None:
    """Publish listing events to the listing topic (validated; labels are stripped)."""
    from lovemachine.adapters.brokers import make_broker, topology_from
    from lovemachine.errors import InvalidEventError
    from lovemachine.listings import parse_event

    s = settings(broker=broker or "pubsub", gcp_project=project)
    if s.broker == "local":
        fail("the local broker lives inside one process; use `lovemachine demo`, or --broker pubsub")
    if not input.exists():
        fail(f"{input} does not exist")
    events: list[ListingEvent] = []
    with open(input, "rb") as f:
        for lineno, line in enumerate(f, 1):
            if line.strip():
                try:
                    events.append(parse_event(line))
                except InvalidEventError as exc:
                    fail(f"{input}:{lineno}: {exc}")
    b = make_broker(s)
    b.ensure_topology(topology_from(s))
    futures = []
    with progress_bar() as bar:
        task = bar.add_task(f"publishing to {s.listing_topic}", total=len(events))
        t0 = time.perf_counter()
        for i, ev in enumerate(events):
            futures.append(b.publish(s.listing_topic, _event_bytes(ev), event_type=ev.type))
            if rate > 0:
                delay = t0 + (i + 1) / rate - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
            bar.update(task, advance=1)
        for fut in futures:
            fut.result(timeout=60)
    b.close()
    console.print(f"published {len(events):,} events to {s.listing_topic}")


def _event_bytes(ev: ListingEvent) -> bytes:
    """The event exactly as the contract defines it (labels and other extras dropped)."""
    return ev.model_dump_json().encode()


# --------------------------------------------------------------------------- worker
@app.command()
def worker(
    broker: Broker = None,
    project: Annotated[str | None, typer.Option(help="GCP project [env: LOVEMACHINE_GCP_PROJECT]")] = None,
    database_url: DbUrl = None,
    verbose: Verbose = False,
) -> None:
    """Run a scoring worker on the listing subscription until SIGTERM (graceful: nothing is lost).

    Stops within LOVEMACHINE_WORKER_GRACE_S (20 s). Exit status 0 after SIGTERM/SIGINT; 1 when it
    could not start (Pub/Sub unreachable for LOVEMACHINE_PUBSUB_ADMIN_TIMEOUT_S, no model) or
    stopped by itself (its streaming pulls failed for good, e.g. Pub/Sub down for
    LOVEMACHINE_PUBSUB_GIVE_UP_S or the subscription gone), so that a supervisor restarts it.
    """
    from lovemachine.adapters.brokers import make_broker
    from lovemachine.adapters.pubsub import PubSubBroker
    from lovemachine.errors import LovemachineError
    from workers.bootstrap import WorkerFailedError, build_worker, run_until_signalled

    setup_logging(verbose)
    s = settings(broker=broker or "pubsub", gcp_project=project, database_url=database_url)
    if s.broker == "local":
        fail("the local broker lives inside one process; use `lovemachine demo`, or --broker pubsub")
    b = make_broker(s)
    try:
        w = build_worker(s, broker=b)
    except LovemachineError as exc:
        fail(str(exc))
    server = None
    if s.metrics_port >= 0:
        try:
            server = w.serve_metrics(s.metrics_port)
        except OSError as exc:
            fail(f"cannot serve /metrics on port {s.metrics_port} ({exc}); set LOVEMACHINE_METRICS_PORT")
    console.print(
        f"worker: model {w.provider.get().version}, subscription {s.listing_subscription}"
        + (f", /metrics /healthz /readyz on :{server.port}" if server is not None else "")
        + "; Ctrl-C to stop"
    )
    # the broker closes within the same grace period; exit 0 after SIGTERM/SIGINT, 1 when the worker
    # stopped by itself (its streams failed for good: Pub/Sub down past pubsub_give_up_s, NotFound...)
    close = (lambda t: b.close(timeout=t)) if isinstance(b, PubSubBroker) else (lambda _t: b.close())
    try:
        totals = run_until_signalled(w, grace_s=s.worker_grace_s, close=close)
    except WorkerFailedError as exc:
        fail(f"worker stopped by itself: {exc} ({exc.totals.acked} acked); exiting non-zero to be restarted")
    finally:
        if server is not None:
            server.stop()
    console.print(
        f"worker stopped: {totals.acked} acked, {totals.nacked} nacked, {totals.dead_lettered} dead-lettered"
    )


# --------------------------------------------------------------------------- demo
@app.command()
def demo(
    broker: Broker = None,
    n: Annotated[int, typer.Option("--n", help="listing events to publish")] = 3_000,
    train_n: Annotated[int, typer.Option("--train-n", help="synthetic listings to train on")] = 20_000,
    home: Annotated[
        Path, typer.Option(help="demo directory (database, artifacts, data); reset each run")
    ] = Path("var/demo"),
    deep: Annotated[
        bool, typer.Option("--deep/--no-deep", help="train the deep tier and run the cascade")
    ] = True,
    serve: Annotated[
        bool,
        typer.Option(
            "--serve/--no-serve",
            help="then run the CS tool on the demo's database at http://127.0.0.1:PORT/ until Ctrl-C, "
            "with demo logins (random passwords, or $LOVEMACHINE_DEMO_PASSWORD) and a few customer "
            "reports; `make demo` passes --serve",
        ),
    ] = False,
    port: Annotated[
        int, typer.Option(min=1, max=65535, help="CS tool port with --serve (a free one if taken)")
    ] = 8000,
    loop: Annotated[
        bool,
        typer.Option(
            "--loop/--no-loop",
            help="then the loop, on its own database: a trend shift (new gift-card slang), customer reports "
            "and CS labels through the CS tool's API, the scheduled retrain, the challenger in shadow, "
            "promotion, the catch rate before and after, rollback; `make demo` passes --loop",
        ),
    ] = False,
    loop_home: Annotated[
        Path, typer.Option(help="the loop's directory (database, artifacts, data); reset each run")
    ] = Path("var/demo-loop"),
    verbose: Verbose = False,
) -> None:
    """The whole slice: database, synthetic marketplace, training, a worker, events through the broker,
    and a summary of what was hidden / reported / allowed per category; with --loop, then the loop
    (retraining from CS labels, shadow, promotion) on its own database; with --serve, then the CS tool
    with the queues the slice's worker filled."""
    from demo.slice import demo_settings, run_demo

    setup_logging(verbose)
    s = settings(broker=broker)
    if s.broker not in ("local", "pubsub"):
        fail("--broker must be 'local' or 'pubsub'")
    run_demo(broker=s.broker, n=n, train_n=train_n, home=home, deep=deep)
    if loop:
        from demo.loop import run_demo_loop

        run_demo_loop(home=loop_home, broker=s.broker, verbose=verbose)
    if serve:
        from demo.serve import serve_demo_cstool

        serve_demo_cstool(demo_settings(home, s.broker), port=port)


if __name__ == "__main__":  # pragma: no cover
    app()
