"""End-to-end benchmark: publish -> broker -> worker -> decisions in the database.

For each broker (embedded, Pub/Sub emulator) it measures, in the same run:

* **baseline**: the broker alone (a worker that acks without scoring or storing), i.e. the ceiling;
* **throughput**: a backlog of N events drained by one worker process (listings/s, publish of the
  backlog excluded);
* **latency**: events published at a steady rate (default 200/s) while the worker runs;
  publish -> decision committed and acked, p50/p99;

plus the model alone at batch 256. Run with ``make bench`` (``python -m bench.e2e --help``).
Results are printed as Markdown and written to ``var/bench/results.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lovemachine.adapters.brokers import make_broker, topology_from
from lovemachine.adapters.sql import SqlStore, make_engine
from lovemachine.adapters.sql.migrate import upgrade
from lovemachine.config import Settings
from lovemachine.listings import LabelledListing, parse_labelled
from lovemachine.ports import Broker, ReceivedMessage
from synth import generate
from trainers.dataset import Dataset
from trainers.train import train_and_register
from workers.bootstrap import build_worker
from workers.outcome import BatchOutcome, LatencySummary


def wait_until(cond: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.01)
    return False


def event_bytes(r: LabelledListing) -> bytes:
    return r.model_dump_json(include={"event_id", "type", "occurred_at", "listing"}).encode()


def publish_all(broker: Broker, topic: str, payloads: list[bytes]) -> None:
    futures = [broker.publish(topic, p) for p in payloads]
    for f in futures:
        f.result(timeout=120)


def bench_baseline(settings: Settings, payloads: list[bytes], streams: int) -> dict[str, Any]:
    """The broker alone: ack every message at once."""
    broker = make_broker(settings)
    topo = topology_from(settings)
    broker.ensure_topology(topo)
    publish_all(broker, topo.listing_topic, payloads)
    done = 0
    lock = threading.Lock()

    def cb(m: ReceivedMessage) -> None:
        nonlocal done
        m.ack()
        with lock:
            done += 1

    t0 = time.perf_counter()
    pulls = [broker.subscribe(topo.listing_subscription, cb, max_messages=1000) for _ in range(streams)]
    wait_until(lambda: done >= len(payloads), 300)
    elapsed = time.perf_counter() - t0
    for p in pulls:
        p.cancel()
    broker.close()
    return {"messages": done, "seconds": round(elapsed, 2), "msgs_per_s": round(done / elapsed)}


def bench_worker(
    settings: Settings, store: SqlStore, payloads: list[bytes], rate: float | None, duration_s: float
) -> dict[str, Any]:
    broker = make_broker(settings)
    topo = topology_from(settings)
    broker.ensure_topology(topo)
    lat = LatencySummary()  # bounded memory, whatever the number of messages
    w = build_worker(settings, broker=broker, store=store, on_batch=lambda o: lat.merge(o.latency))
    if rate is None:  # backlog drain
        publish_all(broker, topo.listing_topic, payloads)
        t0 = time.perf_counter()
        w.start()
        wait_until(lambda: w.consumer.totals.acked >= len(payloads), 600)
        elapsed = time.perf_counter() - t0
    else:
        w.start()
        n = min(len(payloads), int(rate * duration_s))
        t0 = time.perf_counter()
        for i in range(n):
            broker.publish(topo.listing_topic, payloads[i])
            delay = t0 + (i + 1) / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
        wait_until(lambda: w.consumer.totals.acked >= n, 120)
        elapsed = time.perf_counter() - t0
    totals: BatchOutcome = w.stop()
    broker.close()
    return {
        "acked": totals.acked,
        "seconds": round(elapsed, 2),
        "listings_per_s": round(totals.acked / elapsed),
        "latency_ms_p50": round((lat.quantile(0.5) or 0.0) * 1000, 1),
        "latency_ms_p99": round((lat.quantile(0.99) or 0.0) * 1000, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=20_000, help="events in the backlog (throughput)")
    ap.add_argument("--rate", type=float, default=200.0, help="events/s for the latency run")
    ap.add_argument("--duration", type=float, default=15.0, help="seconds of the latency run")
    ap.add_argument("--train-n", type=int, default=20_000)
    ap.add_argument("--brokers", default="local,pubsub")
    ap.add_argument("--database", default="sqlite", help="'sqlite' or a SQLAlchemy URL (e.g. PostgreSQL)")
    ap.add_argument("--home", type=Path, default=Path("var/bench"))
    args = ap.parse_args()

    if args.home.exists():
        shutil.rmtree(args.home)
    args.home.mkdir(parents=True)
    url = f"sqlite:///{args.home / 'bench.db'}" if args.database == "sqlite" else args.database
    upgrade(url)
    store = SqlStore(make_engine(url))
    print(f"training on {args.train_n:,} synthetic listings …", flush=True)
    rows = [parse_labelled(d) for d in generate(args.train_n, seed=1)]
    _record, result = train_and_register(
        Dataset(rows=rows, sha256="b" * 64),
        registry=store,
        artifact_dir=args.home / "artifacts",
        model_name="lovemachine",
    )
    results: dict[str, Any] = {
        "machine": f"{platform.node()} · {os.cpu_count()} cores · {platform.python_version()}",
        "command": "make bench  (python -m bench.e2e " + " ".join(os.sys.argv[1:]) + ")",
        "database": url.split("://")[0],
        "at": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    stream = [parse_labelled(d) for d in generate(args.n, seed=2, id_prefix="B")]
    listings = [r.listing for r in stream]
    t0 = time.perf_counter()
    for i in range(0, len(listings), 256):
        result.model.predict_scores(listings[i : i + 256])
    results["model_only_listings_per_s"] = round(len(listings) / (time.perf_counter() - t0))

    emulator = None
    try:
        for broker in args.brokers.split(","):
            if broker == "pubsub":
                from lovemachine.adapters.pubsub_emulator import emulator_from_env_or_start

                emulator = emulator_from_env_or_start("lovemachine-bench")
                if emulator is not None:
                    os.environ.update(emulator.env())
            for run, (rate, prefix) in {"throughput": (None, "T"), "latency": (args.rate, "R")}.items():
                suffix = f"{broker}-{run}-{int(time.time())}"
                s = Settings(
                    database_url=url,
                    broker=broker,
                    gcp_project="lovemachine-bench",
                    listing_topic=f"listings-{suffix}",
                    listing_subscription=f"scorer-{suffix}",
                    actions_topic=f"actions-{suffix}",
                    actions_subscription=f"actions-sub-{suffix}",
                    dead_letter_topic=f"dlq-{suffix}",
                    dead_letter_subscription=f"dlq-sub-{suffix}",
                )
                payloads = [
                    event_bytes(
                        r.model_copy(
                            update={
                                "listing": r.listing.model_copy(
                                    update={"id": f"{prefix}{suffix}-{r.listing.id}"}
                                )
                            }
                        )
                    )
                    for r in stream
                ]
                print(f"{broker} {run} …", flush=True)
                results[f"{broker}_{run}"] = bench_worker(s, store, payloads, rate, args.duration)
            base = Settings(
                broker=broker,
                gcp_project="lovemachine-bench",
                listing_topic=f"base-{int(time.time())}",
                listing_subscription=f"base-sub-{int(time.time())}",
            )
            results[f"{broker}_baseline_ack_only"] = bench_baseline(
                base, [event_bytes(r) for r in stream], streams=s.subscriber_streams
            )
    finally:
        if emulator is not None:
            emulator.stop()
    out = args.home / "results.json"
    out.write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
