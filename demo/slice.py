"""``lovemachine demo``: the vertical slice end to end, on the embedded broker or the Pub/Sub emulator.

database (Alembic) -> synthetic marketplace -> train the four classifiers -> worker -> publish
listing events (plus a few malformed ones, which must end on the dead-letter topic) -> decisions,
review items, moderation actions -> a summary against the generator's ground truth.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from rich.table import Table

from cli.common import console, progress_bar, step
from lovemachine.categories import CATEGORIES
from lovemachine.config import Settings

if TYPE_CHECKING:
    from lovemachine.adapters.sql import SqlStore
    from lovemachine.listings import LabelledListing
    from workers.outcome import BatchOutcome

MALFORMED = [
    b"not json at all",
    json.dumps({"event_id": "bad-1", "type": "listing.created"}).encode(),
    json.dumps(
        {
            "event_id": "bad-2",
            "type": "listing.deleted",
            "occurred_at": "2026-11-01T00:00:00Z",
            "listing": {"id": "x"},
        }
    ).encode(),
]


def demo_settings(home: Path, broker: str) -> Settings:
    """The demo's configuration: its own SQLite database and artifacts under ``home``."""
    return Settings(
        database_url=f"sqlite:///{home / 'lovemachine.db'}",
        artifact_dir=home / "artifacts",
        broker=broker,
        gcp_project="lovemachine-demo",
    )


def run_demo(
    *, broker: str, n: int, train_n: int, home: Path, timeout_s: float = 600.0, deep: bool = True
) -> dict[str, object]:
    """The whole slice: data, a trained champion, a worker on ``broker``, the stream, the summary."""
    from lovemachine.adapters.sql import SqlStore, make_engine
    from lovemachine.adapters.sql.migrate import upgrade
    from synth.image_host import SyntheticImageHost

    if home.exists():
        shutil.rmtree(home)
    home.mkdir(parents=True)
    s = demo_settings(home, broker)
    console.rule(f"[bold]Lovemachine demo[/] — broker: {broker}, database: {s.database_url}")
    with step("database schema (alembic upgrade head)"):
        upgrade(s.database_url)
    store = SqlStore(make_engine(s.database_url))

    # The marketplace's image CDN, played by a local server of synthetic photos (see synth/images.py).
    kinds: dict[str, str] = {}
    image_host = SyntheticImageHost(kinds).start()
    # a local server is refused by the image fetcher unless named in its allow-list, as here
    s = s.model_copy(update={"image_allowed_hosts": [image_host.base_url.removeprefix("http://")]})
    try:
        train_path, stream_path = _generate(home, n, train_n, image_host.base_url)
        version = _train_champion(s, store, train_path, train_n, kinds, deep=deep)
        store.add_rule(
            pattern="現金手渡し",
            kind="keyword",
            category="cash",
            action="report",
            owner="demo",
            note="old CS search condition: cash handed over in person",
        )
        rows, totals, elapsed = _stream(s, store, stream_path, kinds, timeout_s)
    finally:
        image_host.stop()
    return _summarise(store, version, rows, totals, elapsed, broker, home)


def _generate(home: Path, n: int, train_n: int, image_host: str) -> tuple[Path, Path]:
    """The training marketplace and the live stream, as labelled JSONL under ``home``."""
    from synth import write_jsonl

    train_path, stream_path = home / "train.jsonl", home / "stream.jsonl"
    with progress_bar() as bar:
        t1 = bar.add_task("generating the training marketplace", total=train_n)
        write_jsonl(
            train_path, train_n, seed=1, image_host=image_host, progress=lambda k: bar.update(t1, completed=k)
        )
        bar.update(t1, completed=train_n)
        t2 = bar.add_task("generating the live listing stream", total=n)
        write_jsonl(
            stream_path,
            n,
            seed=2,
            id_prefix="D",
            image_host=image_host,
            progress=lambda k: bar.update(t2, completed=k),
        )
        bar.update(t2, completed=n)
    return train_path, stream_path


def _train_champion(
    s: Settings, store: SqlStore, train_path: Path, train_n: int, kinds: dict[str, str], *, deep: bool
) -> str:
    """Train the cascade on the generated marketplace and the written corpora; make it the champion."""
    from synth.images import image_kind
    from trainers.dataset import load_jsonl
    from trainers.sources import load_written
    from trainers.train import TrainConfig, train_and_register
    from workers.bootstrap import make_image_scorer

    dataset = load_jsonl(train_path)
    for r in dataset.rows:
        kinds[r.listing.id] = image_kind(r.labels, r.listing.id)
    with console.status("training the four classifiers and the deep tier") as status:
        record, result = train_and_register(
            dataset,
            registry=store,
            artifact_dir=s.artifact_dir,
            model_name=s.model_name,
            config=TrainConfig(deep=deep),
            actor="demo",
            progress=lambda m: status.update(f"training: {m}"),
            image_scorer=make_image_scorer(s),
            written=load_written(),
        )
    console.print(
        f"[green]✓[/] trained {record.version} on {train_n:,} listings in {result.train_seconds:.1f}s "
        "and made it the champion"
    )
    _print_quality(result.metrics)
    return record.version


def _stream(
    s: Settings, store: SqlStore, stream_path: Path, kinds: dict[str, str], timeout_s: float
) -> tuple[list[LabelledListing], BatchOutcome, float]:
    """Publish the stream (and a few malformed events) to a worker on the configured broker; wait
    until every event is acked or dead-lettered (or ``timeout_s``)."""
    from lovemachine.adapters.brokers import make_broker, topology_from
    from lovemachine.listings import parse_labelled
    from synth.images import image_kind
    from workers.bootstrap import build_worker

    emulator = None
    if s.broker == "pubsub":
        from lovemachine.adapters.pubsub_emulator import EMULATOR_ENV, emulator_from_env_or_start

        with step("Pub/Sub emulator (gcloud beta emulators pubsub, ~20 s to start)"):
            emulator = emulator_from_env_or_start(s.gcp_project)
            if emulator is not None:
                os.environ.update(emulator.env())  # PUBSUB_EMULATOR_HOST, read by Google's client
    b = make_broker(s)
    topology = topology_from(s)
    worker = build_worker(s, broker=b, store=store)
    with open(stream_path, "rb") as f:
        rows = [parse_labelled(line) for line in f]
    for r in rows:
        kinds[r.listing.id] = image_kind(r.labels, r.listing.id)
    expected = len(rows) + len(MALFORMED)
    try:
        worker.consumer.start()
        t0 = time.perf_counter()
        with progress_bar() as bar:
            pub = bar.add_task(f"publishing to {topology.listing_topic}", total=expected)
            done = bar.add_task("decided (acked or dead-lettered)", total=expected)
            futures = []
            for i, r in enumerate(rows):
                data = r.model_dump_json(include={"event_id", "type", "occurred_at", "listing"}).encode()
                futures.append(b.publish(topology.listing_topic, data, event_type=r.type))
                if i % 1000 == 999:
                    futures.append(b.publish(topology.listing_topic, MALFORMED[(i // 1000) % len(MALFORMED)]))
                bar.update(pub, completed=len(futures))
            for extra in MALFORMED[len(futures) - len(rows) :]:
                futures.append(b.publish(topology.listing_topic, extra))
            for fut in futures:
                fut.result(timeout=60)
            bar.update(pub, completed=len(futures))
            deadline = time.monotonic() + timeout_s
            stop = threading.Event()
            while not stop.wait(0.2):
                t = worker.consumer.totals
                bar.update(done, completed=t.acked + t.dead_lettered)
                if t.acked + t.dead_lettered >= expected or time.monotonic() > deadline:
                    break
        elapsed = time.perf_counter() - t0
    finally:
        totals = worker.consumer.stop()
        b.close()
        if emulator is not None:
            emulator.stop()
            os.environ.pop(EMULATOR_ENV, None)  # it is gone: a later step (--loop) must not use it
    return rows, totals, elapsed


def _summarise(
    store: SqlStore,
    version: str,
    rows: list[LabelledListing],
    totals: BatchOutcome,
    elapsed: float,
    broker: str,
    home: Path,
) -> dict[str, object]:
    """What was hidden / reported / missed per category against the generator's ground truth."""
    decided = store.decisions_for_model(version)
    truth = {r.listing.id: r.labels for r in rows}
    table = Table(title=f"{len(rows):,} listings through {broker}, model {version}")
    for col in (
        "category",
        "violations",
        "hidden",
        "reported",
        "missed",
        "wrongly hidden",
        "wrongly reported",
    ):
        table.add_column(col, justify="left" if col == "category" else "right")
    summary: dict[str, dict[str, int]] = {}
    for cat in CATEGORIES:
        pos = {lid for lid, lab in truth.items() if lab.get(cat)}
        hid = {d.listing_id for d in decided if d.category == cat and d.action.value == "hide"}
        rep = {d.listing_id for d in decided if d.category == cat and d.action.value == "report"}
        caught = {d.listing_id for d in decided if d.action.value != "allow"}
        row = {
            "violations": len(pos),
            "hidden": len(hid),
            "reported": len(rep),
            "missed": len(pos - caught),
            "wrongly_hidden": len(hid - pos),
            "wrongly_reported": len(rep - pos),
        }
        summary[cat] = row
        table.add_row(cat, *(f"{v:,}" for v in row.values()))
    console.print(table)
    actions = Counter(d.action.value for d in decided)
    deep_n = sum(1 for d in decided if any(x.startswith("deep tier:") for x in d.reasons))
    img_n = sum(1 for d in decided if any(x.startswith("adult: image score") for x in d.reasons))
    console.print(
        f"cascade: {deep_n:,} of {len(decided):,} listings ({deep_n / max(len(decided), 1):.1%}) reached the "
        f"deep tier; images scored for {img_n:,}"
    )
    p50, p99 = ((totals.latency.quantile(q) or 0.0) * 1000 for q in (0.5, 0.99))
    console.print(
        f"actions: hide {actions['hide']:,} · report {actions['report']:,} · "
        f"allow {actions['allow']:,}   "
        f"dead-lettered: {totals.dead_lettered} malformed   "
        f"open review items: {store.count_review_items():,}\n"
        f"throughput: {len(rows) / elapsed:,.0f} listings/s   publish→decision latency p50 "
        f"{p50:.0f} ms, p99 {p99:.0f} ms"
    )
    example = next((d for d in decided if d.action.value == "hide"), None)
    if example is not None:
        console.print(f"example decision for {example.listing_id}: {example.action.value} because")
        for reason in example.reasons:
            console.print(f"  • {reason}")
    console.print(
        f"state kept in {home}/ (database, artifacts, data). Inspect with `sqlite3 {home}/lovemachine.db`."
    )
    return {
        "summary": summary,
        "actions": dict(actions),
        "dead_lettered": totals.dead_lettered,
        "acked": totals.acked,
        "model_version": version,
        "deep_share": deep_n / max(len(decided), 1),
    }


def _print_quality(metrics: dict[str, object]) -> None:
    test = metrics["test"]
    assert isinstance(test, dict)
    t = Table(title="held-out quality (test split)")
    for col in ("category", "PR-AUC", "precision@report", "recall@report", "precision@hide", "recall@hide"):
        t.add_column(col, justify="left" if col == "category" else "right")
    for cat, m in test.items():
        auc = m["pr_auc"]
        t.add_row(
            cat,
            f"{auc:.3f}" if isinstance(auc, float) else "-",
            f"{m['precision_at_report']:.3f}",
            f"{m['recall_at_report']:.3f}",
            f"{m['precision_at_hide']:.3f}",
            f"{m['recall_at_hide']:.3f}",
        )
    console.print(t)
    console.print(
        f"deep tier share on the test split: {metrics.get('deep_share_test')}; "
        "full report: `lovemachine evaluate --config eval/time_split.yaml`"
    )
