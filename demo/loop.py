"""``lovemachine demo --loop``: the loop end to end, on its own database (``var/demo-loop/``).

1. the live model: a fast-tier champion trained on synthetic listings;
2. a worker (champion + shadow) and the CS tool (FastAPI under uvicorn on 127.0.0.1, a free port);
3. a trend shift: the stream now carries gift-card codes sold under slang the model never saw
   (``synth.trends``); the champion's catch rate on them is measured;
4. customers report some violations the champion allowed (``POST /api/v1/reports`` with a
   ``reports:write`` token), the worker's audit sample reaches allowed listings, and a reviewer works
   the queues through the API
   (``POST /queues/{q}/next``, ``POST /items/{id}/label`` with an idempotency key), labelling with the
   generator's ground truth;
5. the scheduled retrain: APScheduler fires the retraining job (``--run-now`` of
   ``lovemachine scheduler``), which registers the new version and makes it the challenger when the
   offline evaluation finds it better;
6. shadow: more of the shifted stream; the challenger scores it beside the champion while CS keeps
   labelling; the comparison;
7. promotion through the gates (``POST /api/v1/models/promote``). The new slang adds hides or
   reports, so the hide- or report-volume gate may block: the loop then overrides it (``force`` with
   the evidence as the reason) only if the CS labels that arrived meanwhile confirm the challenger's
   extra flags, never past fewer hides than the bound, the offline evaluation, the review capacity,
   the precision gates or the artifact check; the worker switches;
8. after: the new champion's catch rate on the new slang, before -> after; rollback is one call away
   (the demo rolls back and forward again to show it).

Everything lives in one process: the embedded broker (or the Pub/Sub emulator), SQLite, a worker,
the CS tool and the scheduler. What gets labelled is only what a deployment shows CS: the worker's
queues, customer reports and the audit sample (raised for the demo); the reviewer's verdict is the
generator's ground truth.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cli.common import console, progress_bar, step
from demo.catches import Catch, measure, pct, print_catches
from demo.cs_tool import CsToolServer
from demo.loop_appeal import appeal
from demo.loop_deploy import compare, promote, rollback_and_forward, scheduled_retrain
from demo.loop_review import ACTOR, ADMIN, REVIEWER, customer_reports, review, sign_in
from lovemachine.categories import CASH
from lovemachine.config import Settings
from lovemachine.review import USER_REPORTS
from synth import DEFAULT_START
from synth.trends import GIFTCARD_SLANG, TRENDS, is_trend, slang

if TYPE_CHECKING:
    import httpx

    from lovemachine.listings import LabelledListing
    from lovemachine.policy import Decision
    from lovemachine.ports import Broker
    from lovemachine.services.deploy import Comparison
    from workers.bootstrap import Worker

DEFAULT_MIN_SHADOW = Settings.model_fields["promote_min_shadow"].default
DEFAULT_AUDIT_ALLOWED = Settings.model_fields["audit_sample_rate_allowed"].default
DEFAULT_REVIEW_CAPACITY = Settings.model_fields["review_capacity_per_day"].default


@dataclass(frozen=True)
class LoopConfig:
    train_n: int = 20_000
    """Synthetic listings the first champion learns from (fast tier only)."""
    stream_n: int = 2_000
    """Listing events published in each phase: before, shadow, after."""
    trend: str = GIFTCARD_SLANG
    trend_share: float = 0.10
    """Share of the stream's listings in the new slang. 10%: with the written corpora the first
    champion already catches a fifth of the slang (its bigrams are near デジタルコード and "gift code"),
    and at 6% the newest held-out labels held too few slang listings for the retrained model's gain to
    clear the paired bootstrap's lower bound (mean PR-AUC +0.0014, bound -0.0021)."""
    report_share: float = 0.6
    """Chance that a customer reports a violation the live model allowed."""
    false_report_share: float = 0.005
    """Chance that a customer reports a clean listing (CS labels it no_violation)."""
    audit_rate_allowed: float = 0.1
    """Share of allowed listings sent to the audit queue (production default 0.001)."""
    review_capacity: int | None = None
    """Labels CS gives at most (spread over the queues in proportion); None: every open item."""
    label_weight: int = 5
    """How often each CS label row counts in training, against the base data."""
    min_labels: int = 200
    min_shadow: int | None = None
    """The promotion gate's shadow sample; None: the setting (LOVEMACHINE_PROMOTE_MIN_SHADOW)."""
    seed: int = 0
    timeout_s: float = 600.0
    """How long each phase may take to be decided."""


@dataclass
class LoopResult:
    home: Path
    database_url: str
    champion_before: str
    challenger: str | None = None
    training_run_id: int | None = None
    training_status: str | None = None
    eligible: bool = False
    reasons: list[str] = field(default_factory=list)
    report_path: str | None = None
    promoted: bool = False
    forced: bool = False
    gates: list[dict[str, Any]] = field(default_factory=list)
    reports: int = 0
    labels: dict[str, int] = field(default_factory=dict)
    """Labels given per queue."""
    trend_labels: int = 0
    catches: list[Catch] = field(default_factory=list)
    both_scored: int = 0
    rolled_back_and_forward: bool = False
    appeal: dict[str, Any] | None = None
    """What the marketplace was told about the demo's appeal (GET /api/v1/appeals/{id})."""
    seconds: float = 0.0

    def catch(self, phase: str, role: str) -> Catch | None:
        return next((c for c in self.catches if c.phase == phase and c.role == role), None)


def loop_settings(home: Path, broker: str, config: LoopConfig) -> Settings:
    """The loop's configuration: its own database and artifacts under ``home``, and the few demo
    changes the output names (audit rate, alias polling, a shadow that never yields, and, while its
    reviewer labels every open item, a review capacity of every listing: the synthetic stream is a
    quarter violations, far above the share production's capacity is sized for)."""
    overrides: dict[str, Any] = {}
    if config.min_shadow is not None:
        overrides["promote_min_shadow"] = config.min_shadow
    if config.review_capacity is None:  # the reviewer labels every open item: CS keeps up with any load
        overrides["review_capacity_per_day"] = Settings.model_fields["daily_listings"].default
    return Settings(
        database_url=f"sqlite:///{home / 'lovemachine.db'}",
        artifact_dir=home / "artifacts",
        broker=broker,
        gcp_project="lovemachine-demo-loop",
        images_enabled=False,  # fast tier only: the adult image band belongs to the cascade
        rules_refresh_seconds=1.0,
        subscriber_streams=1,  # one pull stream: batches in publish order, so runs repeat closely
        audit_sample_rate_allowed=config.audit_rate_allowed,
        shadow_yield_backlog=0,  # each phase arrives as one burst: let the shadow see all of it
        shadow_max_pending_batches=64,
        cookie_secure=False,  # the CS tool is plain http on 127.0.0.1
        **overrides,
    )


def print_settings(s: Settings) -> None:
    """What the demo changes from production, and the promotion gates as they stand."""
    gate = f"shadow sample ≥ {s.promote_min_shadow:,} listings" + (
        f" (lowered from {DEFAULT_MIN_SHADOW:,} for the small demo)"
        if s.promote_min_shadow != DEFAULT_MIN_SHADOW
        else ""
    )
    capacity = f"CS's {s.review_capacity_per_day:,} review items/day for {s.daily_listings:,} listings" + (
        f" (the demo's reviewer labels every open item: production default {DEFAULT_REVIEW_CAPACITY:,})"
        if s.review_capacity_per_day != DEFAULT_REVIEW_CAPACITY
        else ""
    )
    console.print(
        f"demo settings: the audit sample takes {s.audit_sample_rate_allowed:.0%} of allowed listings "
        f"(production default {DEFAULT_AUDIT_ALLOWED:.1%}) so that it reaches the new slang within one "
        f"small stream; workers look for alias moves every {s.rules_refresh_seconds:g} s; the shadow "
        f"scores every batch (no backlog yield); promotion gates as in production: {gate}, hides "
        f"{s.promote_min_hide_ratio:g}× to {s.promote_max_hide_ratio:g}× the champion's, reports ≤ "
        f"{s.promote_max_report_ratio:g}× the champion's (counted as at least {s.promote_report_floor}), "
        f"review load within {capacity}, precision on the CS labels that arrive meanwhile at most "
        f"{s.promote_max_precision_drop * 100:g} points below the champion's and hides "
        f"≥ {s.promote_min_hide_precision:.0%} right (once {s.promote_min_labelled} labels)",
        highlight=False,
    )


QUIET_LOGGERS: dict[str, int] = {
    "httpx": logging.WARNING,  # one line per API call
    "apscheduler": logging.WARNING,
    "trainers.scheduler": logging.WARNING,
    "workers": logging.ERROR,  # alias moves are printed as steps; a refused model still logs ERROR
}


def run_demo_loop(
    *, home: Path, broker: str = "local", config: LoopConfig | None = None, verbose: bool = False
) -> LoopResult:
    """Run the loop (see the module docstring) in ``home`` (reset first); returns what happened.

    Unless ``verbose``, the loggers in ``QUIET_LOGGERS`` are turned down while it runs: the loop
    prints its own steps."""
    previous = {name: logging.getLogger(name).level for name in QUIET_LOGGERS}
    if not verbose:
        for name, level in QUIET_LOGGERS.items():
            logging.getLogger(name).setLevel(level)
    try:
        return Loop(home, broker, config or LoopConfig()).run()
    finally:
        for name, level in previous.items():
            logging.getLogger(name).setLevel(level)


# ---------------------------------------------------------------------------------------------- helpers
def _event_bytes(row: LabelledListing) -> bytes:
    return row.model_dump_json(include={"event_id", "type", "occurred_at", "listing"}).encode()


# ---------------------------------------------------------------------------------------------- the loop
class Loop:
    def __init__(self, home: Path, broker: str, config: LoopConfig) -> None:
        if config.trend not in TRENDS:
            raise ValueError(f"unknown trend {config.trend!r}")
        self.home, self.broker_name, self.cfg = home, broker, config
        self.t0 = time.perf_counter()
        self.published = 0
        self.truth: dict[str, LabelledListing] = {}
        self.names: dict[str, str] = {}
        """model version -> v1, v2 (the tables' short names)"""
        # set as the run goes: the CS tool's signed-in clients, the marketplace's report token, the
        # shadow comparison
        self.reviewer: httpx.Client
        self.admin: httpx.Client
        self.report_token: str
        self.comparison: Comparison

    # ------------------------------------------------------------------ the run
    def run(self) -> LoopResult:
        from lovemachine.adapters.brokers import make_broker, topology_from
        from lovemachine.adapters.sql import SqlStore, make_engine
        from lovemachine.adapters.sql.migrate import upgrade
        from lovemachine.review.audit import audit_sample_from
        from workers.bootstrap import build_worker

        cfg = self.cfg
        if self.home.exists():
            shutil.rmtree(self.home)
        self.home.mkdir(parents=True)
        s = self.settings = loop_settings(self.home, self.broker_name, cfg)
        console.rule(f"[bold]The loop[/] — broker: {self.broker_name}, database: {s.database_url}")
        print_settings(s)
        with step("database schema (alembic upgrade head)"):
            upgrade(s.database_url)
        store = self.store = SqlStore(
            make_engine(s.database_url), model_name=s.model_name, audit_sample=audit_sample_from(s)
        )
        emulator = None
        worker: Worker | None = None
        cstool: CsToolServer | None = None
        b: Broker | None = None
        try:
            champion = self.train_champion()
            self.result = LoopResult(self.home, s.database_url, champion_before=champion)
            if self.broker_name == "pubsub":
                from lovemachine.adapters.pubsub_emulator import EMULATOR_ENV, emulator_from_env_or_start

                with step("Pub/Sub emulator (gcloud beta emulators pubsub, ~20 s to start)"):
                    emulator = emulator_from_env_or_start(s.gcp_project)
                    if emulator is not None:
                        os.environ.update(emulator.env())
            b = self.broker = make_broker(s)
            self.topic = topology_from(s).listing_topic
            worker = self.worker = build_worker(s, broker=b, store=store).start()
            cstool = self.cstool = CsToolServer(s, store, b).start()
            sign_in(self)
            console.print(
                f"[green]✓[/] a worker runs v1 (and shadows any challenger); the CS tool serves its API at "
                f"{cstool.url}: reviewer {REVIEWER} (agent), admin {ADMIN}, and a token for the "
                "marketplace's customer reports",
                highlight=False,
            )
            self.loop()
        finally:
            if worker is not None:
                worker.stop()
            if cstool is not None:
                cstool.stop()
            if b is not None:
                b.close()
            if emulator is not None:
                emulator.stop()
                os.environ.pop(EMULATOR_ENV, None)
            store.dispose()
        self.result.seconds = time.perf_counter() - self.t0
        self.print_end()
        return self.result

    def loop(self) -> None:
        result = self.result
        # 2. the trend shift arrives
        self.heading(2, "a trend shift: gift cards sold under a new slang")
        console.print(
            "new terms, in no training row and not in the policy lexicon: "
            + ", ".join(slang(self.cfg.trend)),
            highlight=False,
        )
        before = self.stream("A", 0)
        self.publish(before, "stream A: the marketplace, now with the new slang")
        a = measure("A", result.champion_before, "champion", before, self.decided(result.champion_before))
        result.catches.append(a)
        print_catches([a], "the live model on the shifted stream", self.names)

        # 3. customers report, CS labels
        self.heading(3, "customers report, CS reviews (through the CS tool's API)")
        customer_reports(self, before)
        review(self)

        self.model_steps(a)  # 4-8, ending early when no challenger or no promotion

        # 9. a seller appeals a hide (after the retrain: its label does not change the model story)
        self.heading(9, "a seller appeals a hide (DSA: statement of reasons, appeal, a person decides)")
        appeal(self, before)

    def model_steps(self, a: Catch) -> None:
        result = self.result
        # 4. the scheduled retrain
        self.heading(4, "the scheduled retrain")
        outcome = scheduled_retrain(self)
        if outcome is None or not outcome.eligible:
            console.print(
                "[yellow]no challenger:[/] the champion stays live and nothing moved. With more labels "
                "(a larger stream, more reports) the next scheduled run may find one."
            )
            return

        # 5. shadow
        self.heading(5, "shadow: the challenger scores live traffic, nothing acts on it")
        shadow_rows = self.stream("B", 1)
        self.publish(shadow_rows, "stream B: champion acts, challenger in shadow")
        console.print(
            "meanwhile customers keep reporting and CS keeps labelling (user reports, the cash queue):"
        )
        customer_reports(self, shadow_rows)
        review(self, queues=(USER_REPORTS, CASH))
        compare(self, shadow_rows)

        # 6. promotion
        self.heading(6, "promotion through the gates (POST /api/v1/models/promote)")
        if not promote(self):
            return

        # 7. after
        self.heading(7, "after: the new champion on fresh traffic")
        after = self.stream("C", 2)
        self.publish(after, "stream C: the new champion acts")
        challenger = result.challenger or ""
        c = measure("C", challenger, "champion", after, self.decided(challenger))
        result.catches.append(c)
        print_catches(result.catches, "before and after", self.names)
        console.print(
            f"[bold]new gift-card slang caught: {pct(a.trend_rate)} → {pct(c.trend_rate)}[/]  (the usual "
            f"violations {pct(a.violation_rate)} → {pct(c.violation_rate)}; clean listings flagged "
            f"{a.clean_rate:.1%} → {c.clean_rate:.1%})",
            highlight=False,
        )

        # 8. rollback
        self.heading(8, "rollback is one step away")
        rollback_and_forward(self)

    # ------------------------------------------------------------------ steps
    def heading(self, k: int, title: str) -> None:
        console.rule(f"[bold]{k}/9[/] {title} [dim]({time.perf_counter() - self.t0:.0f}s)[/]")

    def name(self, version: str) -> str:
        return self.names.setdefault(version, f"v{len(self.names) + 1}")

    def train_champion(self) -> str:
        from synth import write_jsonl
        from trainers.dataset import load_jsonl
        from trainers.sources import load_written
        from trainers.train import TrainConfig, train_and_register

        cfg, s = self.cfg, self.settings
        self.heading(1, "the live model")
        self.base_path = self.home / "base.jsonl"
        with step(f"generating {cfg.train_n:,} labelled synthetic listings (the usual marketplace)"):
            write_jsonl(self.base_path, cfg.train_n, seed=cfg.seed + 1)
        dataset = load_jsonl(self.base_path)
        with console.status("training the fast tier") as status:
            record, result = train_and_register(
                dataset,
                registry=self.store,
                artifact_dir=s.artifact_dir,
                model_name=s.model_name,
                config=TrainConfig(deep=False, seed=cfg.seed),
                actor=ACTOR,
                progress=lambda m: status.update(f"training: {m}"),
                written=load_written(),
            )
        console.print(
            f"[green]✓[/] trained [bold]{self.name(record.version)}[/] = {record.version} on {cfg.train_n:,} "
            f"listings in {result.train_seconds:.1f}s (fast tier) and made it the champion",
            highlight=False,
        )
        return record.version

    def stream(self, prefix: str, k: int) -> list[LabelledListing]:
        """One phase's listing events: a day of the marketplace with the trend in it."""
        from lovemachine.listings import parse_labelled
        from synth import generate

        cfg = self.cfg
        rows = [
            parse_labelled(d)
            for d in generate(
                cfg.stream_n,
                seed=cfg.seed * 100 + 10 + k,
                start=DEFAULT_START + timedelta(days=31 + k),
                days=1,
                id_prefix=prefix,
                trend=cfg.trend,
                trend_share=cfg.trend_share,
            )
        ]
        self.truth.update((r.listing.id, r) for r in rows)
        return rows

    def publish(self, rows: Sequence[LabelledListing], what: str) -> None:
        """Publish listing events and wait until the worker decided them and the shadow caught up."""
        worker = self.worker
        trend = sum(is_trend(r.tags) for r in rows)
        start = self.published
        self.published += len(rows)
        deadline = time.monotonic() + self.cfg.timeout_s
        with progress_bar() as bar:
            task = bar.add_task(f"{what} ({trend} in the new slang)", total=len(rows))
            futures = [self.broker.publish(self.topic, _event_bytes(r), event_type=r.type) for r in rows]
            for fut in futures:
                fut.result(timeout=60)
            while True:
                t = worker.consumer.totals
                done = t.acked + t.dead_lettered - start
                bar.update(task, completed=min(done, len(rows)))
                if done >= len(rows):
                    break
                if time.monotonic() > deadline:
                    console.print(f"[yellow]timed out:[/] {done:,} of {len(rows):,} decided")
                    break
                time.sleep(0.1)
        if worker.shadow is not None:
            worker.shadow.drain(timeout=max(1.0, deadline - time.monotonic()))

    def decided(self, version: str) -> dict[str, Decision]:
        return {d.listing_id: d for d in self.store.decisions_for_model(version)}

    def shadow_decided(self, version: str) -> dict[str, Decision]:
        return {d.listing_id: d for d in self.store.shadow_decisions_for_model(version)}

    def print_end(self) -> None:
        result, db = self.result, self.result.database_url
        console.print(
            f"the loop took {result.seconds:.0f}s; its state is in {self.home}/ (database, artifacts, the "
            "training report). Look closer:\n"
            f"  lovemachine deploy status --database-url {db}\n"
            f"  lovemachine audit estimate --database-url {db}\n"
            f"  lovemachine serve --database-url {db}   (Training and Models pages; "
            "first add a login: lovemachine staff create --username you --role admin --database-url ...)",
            highlight=False,
            soft_wrap=True,
        )
