"""What shadow scoring costs the live path: the same worker with the shadow off and on.

One model is trained; the challenger is the same weights saved as another version with lower
thresholds, so it costs exactly as much to score as the champion (a retrained challenger of the same
family does too). For each setting a fresh database and fresh topics get:

* **backlog**: N events published first, then drained by one worker (listings/s acked); with the
  shadow on, also how long the shadow took to finish after the last ack, and how many listings it
  skipped (stepping aside while the worker catches up, or its own backlog bound) or failed;
* **steady**: events at a fixed rate while the worker runs: publish -> ack latency p50/p99.

Run with ``python -m bench.shadow`` (``--help``); the embedded broker by default (``--broker pubsub``
for the emulator). Results are printed as JSON and written to ``var/bench-shadow/results.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.e2e import event_bytes, publish_all, wait_until
from lovemachine.adapters.brokers import make_broker, topology_from
from lovemachine.adapters.sql import SqlStore, make_engine
from lovemachine.adapters.sql.migrate import upgrade
from lovemachine.config import Settings
from lovemachine.listings import LabelledListing, parse_labelled
from lovemachine.ports import ModelVersionRecord
from lovemachine.registry import save_artifact
from synth import generate
from trainers.dataset import Dataset
from trainers.train import TrainResult, train
from workers.bootstrap import build_worker
from workers.outcome import LatencySummary

EAGER = {c: {"report": 0.3, "hide": 0.7} for c in ("counterfeit", "adult", "cash", "keyword_stuffing")}


def register(store: SqlStore, result: TrainResult, home: Path, version: str, thresholds: Any) -> None:
    uri, sha = save_artifact(result.model, version=version, artifact_dir=home / "artifacts", metadata={})
    store.register_model_version(
        ModelVersionRecord(
            version=version,
            name="lovemachine",
            artifact_uri=uri,
            artifact_sha256=sha,
            training_data_sha256=result.data_sha256,
            metrics={},
            thresholds=thresholds,
            created_at=datetime.now(UTC),
        )
    )


def run(
    *, shadow: bool, home: Path, result: TrainResult, stream: list[LabelledListing], args: argparse.Namespace
) -> dict[str, Any]:
    tag = f"{'on' if shadow else 'off'}-{int(time.time())}"
    db = home / f"shadow-{tag}.db"
    url = f"sqlite:///{db}"
    upgrade(url)
    store = SqlStore(make_engine(url))
    register(store, result, home / tag, "champion-v1", result.policy.to_dict())
    register(store, result, home / tag, "challenger-v2", EAGER)
    store.set_alias("champion", "champion-v1", actor="bench", reason="bench")
    if shadow:
        store.set_alias("challenger", "challenger-v2", actor="bench", reason="bench")
    out: dict[str, Any] = {}
    for phase, prefix in (("backlog", "B"), ("steady", "S")):
        s = Settings(
            database_url=url,
            broker=args.broker,
            gcp_project="lovemachine-bench",
            listing_topic=f"listings-{tag}-{phase}",
            listing_subscription=f"scorer-{tag}-{phase}",
            actions_topic=f"actions-{tag}-{phase}",
            actions_subscription=f"actions-sub-{tag}-{phase}",
            dead_letter_topic=f"dlq-{tag}-{phase}",
            dead_letter_subscription=f"dlq-sub-{tag}-{phase}",
            images_enabled=False,
            shadow_enabled=shadow,
            shadow_max_pending_batches=args.max_pending,
            shadow_yield_backlog=args.yield_backlog,
        )
        payloads = [
            event_bytes(
                r.model_copy(
                    update={"listing": r.listing.model_copy(update={"id": f"{prefix}{tag}-{r.listing.id}"})}
                )
            )
            for r in stream
        ]
        rate = None if phase == "backlog" else args.rate
        out[phase] = run_phase(s, store, payloads, rate=rate, duration=args.duration)
    store.dispose()
    return out


def run_phase(
    s: Settings, store: SqlStore, payloads: list[bytes], *, rate: float | None, duration: float
) -> dict[str, Any]:
    """A backlog drain (``rate`` None) or a steady stream at ``rate``/s, with this worker's settings."""
    broker = make_broker(s)
    broker.ensure_topology(topology_from(s))
    lat = LatencySummary()  # bounded memory, whatever the number of messages
    w = build_worker(s, broker=broker, store=store, on_batch=lambda o: lat.merge(o.latency))
    if rate is None:
        publish_all(broker, s.listing_topic, payloads)
        n = len(payloads)
        t0 = time.perf_counter()
        w.start()
    else:
        n = min(len(payloads), int(rate * duration))
        w.start()
        t0 = time.perf_counter()
        for i in range(n):
            broker.publish(s.listing_topic, payloads[i])
            delay = t0 + (i + 1) / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
    wait_until(lambda: w.consumer.totals.acked >= n, 900)
    acked_s = time.perf_counter() - t0
    shadow_done_s = None
    if w.shadow is not None:
        w.shadow.drain(600)
        shadow_done_s = round(time.perf_counter() - t0 - acked_s, 2)
    stats = w.stats()
    w.stop(grace_s=10)
    broker.close()
    shadow = stats["shadow"]
    return {
        "listings": n,
        "acked": stats["messages"]["acked"],
        "seconds_to_last_ack": round(acked_s, 2),
        "listings_per_s": round(n / acked_s),
        "latency_ms_p50": round((lat.quantile(0.5) or 0.0) * 1000, 1),
        "latency_ms_p99": round((lat.quantile(0.99) or 0.0) * 1000, 1),
        "shadow": None
        if shadow is None
        else {
            "stored": shadow["stored"],
            "skipped_backlog": shadow["skipped_backlog"],
            "skipped_busy": shadow["skipped_busy"],
            "failed_batches": shadow["failed_batches"],
            "shadow_busy_s": round(shadow["seconds"], 2),
            "finished_after_last_ack_s": shadow_done_s,
        },
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=5_000, help="events in the backlog")
    ap.add_argument("--rate", type=float, default=100.0, help="events/s in the steady run")
    ap.add_argument("--duration", type=float, default=15.0, help="seconds of the steady run")
    ap.add_argument("--train-n", type=int, default=10_000)
    ap.add_argument("--broker", default="local", help="'local' (embedded) or 'pubsub' (emulator)")
    ap.add_argument("--max-pending", type=int, default=8, help="LOVEMACHINE_SHADOW_MAX_PENDING_BATCHES")
    ap.add_argument("--yield-backlog", type=int, default=512, help="LOVEMACHINE_SHADOW_YIELD_BACKLOG")
    ap.add_argument("--home", type=Path, default=Path("var/bench-shadow"))
    args = ap.parse_args()

    if args.home.exists():
        shutil.rmtree(args.home)
    args.home.mkdir(parents=True)
    emulator = None
    if args.broker == "pubsub":
        from lovemachine.adapters.pubsub_emulator import emulator_from_env_or_start

        emulator = emulator_from_env_or_start("lovemachine-bench")
        if emulator is not None:
            os.environ.update(emulator.env())
    try:
        print(f"training on {args.train_n:,} synthetic listings …", flush=True)
        rows = [parse_labelled(d) for d in generate(args.train_n, seed=1)]
        result = train(Dataset(rows=rows, sha256="c" * 64))
        stream = [parse_labelled(d) for d in generate(args.n, seed=2, id_prefix="X")]
        results: dict[str, Any] = {
            "machine": f"{platform.node()} · {os.cpu_count()} cores · {platform.python_version()}",
            "load_average": os.getloadavg(),
            "command": "python -m bench.shadow " + " ".join(os.sys.argv[1:]),
            "broker": args.broker,
            "at": time.strftime("%Y-%m-%d %H:%M:%S"),
        }
        for shadow in (False, True):
            print(f"shadow {'on' if shadow else 'off'} …", flush=True)
            results[f"shadow_{'on' if shadow else 'off'}"] = run(
                shadow=shadow, home=args.home, result=result, stream=stream, args=args
            )
        off, on = results["shadow_off"], results["shadow_on"]
        results["cost"] = {
            "backlog_throughput_change": round(
                on["backlog"]["listings_per_s"] / off["backlog"]["listings_per_s"] - 1, 3
            ),
            "steady_p50_ms": [off["steady"]["latency_ms_p50"], on["steady"]["latency_ms_p50"]],
            "steady_p99_ms": [off["steady"]["latency_ms_p99"], on["steady"]["latency_ms_p99"]],
        }
    finally:
        if emulator is not None:
            emulator.stop()
    out = args.home / "results.json"
    out.write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
