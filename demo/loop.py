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
import random
import secrets
import shutil
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.table import Table

from cli.common import console, progress_bar, step
from lovemachine.categories import CASH, CATEGORIES
from lovemachine.config import Settings
from lovemachine.review import USER_REPORTS
from lovemachine.review.policy import AUDIT
from synth import DEFAULT_START
from synth.trends import GIFTCARD_SLANG, TRENDS, is_trend, slang

if TYPE_CHECKING:
    import httpx

    from lovemachine.adapters.sql import SqlStore
    from lovemachine.listings import LabelledListing
    from lovemachine.policy import Decision
    from lovemachine.ports import Broker
    from trainers.retrain import RetrainOutcome
    from workers.bootstrap import Worker

HOST = "127.0.0.1"
REVIEWER, ADMIN = "cs-ann", "ops-kai"
ACTOR = "demo-loop"
CRON = "0 3 * * *"
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


@dataclass(frozen=True)
class Catch:
    """What one model did with one phase's listings (ground truth: the generator's labels)."""

    phase: str
    model: str
    role: str
    trend: int
    trend_caught: int
    """Trend listings the model reported or hid as cash."""
    violations: int
    """Other violations (the usual kinds)."""
    violations_caught: int
    clean: int
    clean_flagged: int

    @property
    def trend_rate(self) -> float:
        return self.trend_caught / self.trend if self.trend else 0.0

    @property
    def violation_rate(self) -> float:
        return self.violations_caught / self.violations if self.violations else 0.0

    @property
    def clean_rate(self) -> float:
        return self.clean_flagged / self.clean if self.clean else 0.0


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
        return _Loop(home, broker, config or LoopConfig()).run()
    finally:
        for name, level in previous.items():
            logging.getLogger(name).setLevel(level)


# ---------------------------------------------------------------------------------------------- helpers
def _event_bytes(row: LabelledListing) -> bytes:
    return row.model_dump_json(include={"event_id", "type", "occurred_at", "listing"}).encode()


def _verdict(labels: dict[str, int], queue: str) -> str:
    """What a reviewer who knows the truth labels: the queue's category when it is right, else the
    first violation, else no_violation (one label per item)."""
    if queue in CATEGORIES and labels.get(queue):
        return queue
    return next((c for c in CATEGORIES if labels.get(c)), "no_violation")


def measure(
    phase: str, model: str, role: str, rows: Sequence[LabelledListing], decided: dict[str, Decision]
) -> Catch:
    """The catch rate on the trend listings (reported or hidden as cash), the share of the other
    violations flagged, and the share of clean listings flagged, among the listings ``decided``."""
    counts = Counter[str]()
    for r in rows:
        d = decided.get(r.listing.id)
        if d is None:
            continue
        flagged = d.action.value != "allow"
        if is_trend(r.tags):
            counts["trend"] += 1
            counts["trend_caught"] += flagged and d.category == CASH
        elif any(r.labels.values()):
            counts["violations"] += 1
            counts["violations_caught"] += flagged
        else:
            counts["clean"] += 1
            counts["clean_flagged"] += flagged
    return Catch(
        phase=phase,
        model=model,
        role=role,
        trend=counts["trend"],
        trend_caught=counts["trend_caught"],
        violations=counts["violations"],
        violations_caught=counts["violations_caught"],
        clean=counts["clean"],
        clean_flagged=counts["clean_flagged"],
    )


def _pct(x: float) -> str:
    return f"{x:.0%}"


def print_catches(catches: Sequence[Catch], title: str, names: dict[str, str]) -> None:
    t = Table(title=title)
    for col in ("stream", "model", "new slang caught", "other violations caught", "clean listings flagged"):
        t.add_column(col, justify="left" if col in ("stream", "model") else "right")
    for c in catches:
        t.add_row(
            c.phase,
            f"{names.get(c.model, c.model)} ({c.role})",
            f"{c.trend_caught}/{c.trend} = {_pct(c.trend_rate)}",
            f"{c.violations_caught}/{c.violations} = {_pct(c.violation_rate)}",
            f"{c.clean_flagged}/{c.clean} = {c.clean_rate:.1%}",
        )
    console.print(t)


class _CsTool:
    """The CS tool (``cstool_api.create_app``) under uvicorn on a thread, on 127.0.0.1, a free port."""

    def __init__(self, settings: Settings, store: SqlStore, broker: Broker) -> None:
        import uvicorn

        from cstool_api.app import create_app
        from demo.serve import bind_socket

        self.app = create_app(settings, store=store, broker=broker)
        self.sock, _ = bind_socket(HOST, 0)
        self.url = f"http://{HOST}:{int(self.sock.getsockname()[1])}"
        config = uvicorn.Config(self.app, log_level="warning", access_log=False, timeout_graceful_shutdown=5)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, name="demo-loop-cstool", daemon=True
        )
        self.clients: list[httpx.Client] = []

    def start(self, timeout: float = 30.0) -> _CsTool:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the CS tool did not start")
            time.sleep(0.05)
        return self

    def sign_in(self, username: str, password: str) -> httpx.Client:
        """A client signed in as ``username``, sending the CSRF token on every request."""
        import httpx

        client = httpx.Client(base_url=self.url, timeout=60.0)
        self.clients.append(client)
        r = client.post("/api/v1/session", json={"username": username, "password": password})
        r.raise_for_status()
        client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        return client

    def stop(self) -> None:
        for c in self.clients:
            c.close()
        self.server.should_exit = True
        self.thread.join(timeout=15)
        self.sock.close()


# ---------------------------------------------------------------------------------------------- the loop
class _Loop:
    def __init__(self, home: Path, broker: str, config: LoopConfig) -> None:
        if config.trend not in TRENDS:
            raise ValueError(f"unknown trend {config.trend!r}")
        self.home, self.broker_name, self.cfg = home, broker, config
        self.t0 = time.perf_counter()
        self.published = 0
        self.truth: dict[str, LabelledListing] = {}
        self.names: dict[str, str] = {}
        """model version -> v1, v2 (the tables' short names)"""

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
        gate = f"shadow sample ≥ {s.promote_min_shadow:,} listings" + (
            f" (lowered from {DEFAULT_MIN_SHADOW:,} for the small demo)"
            if s.promote_min_shadow != DEFAULT_MIN_SHADOW
            else ""
        )
        capacity = (
            f"CS's {s.review_capacity_per_day:,} review items/day for {s.daily_listings:,} listings"
            + (
                " (the demo's reviewer labels every open item: production default "
                f"{DEFAULT_REVIEW_CAPACITY:,})"
                if s.review_capacity_per_day != DEFAULT_REVIEW_CAPACITY
                else ""
            )
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
        with step("database schema (alembic upgrade head)"):
            upgrade(s.database_url)
        store = self.store = SqlStore(
            make_engine(s.database_url), model_name=s.model_name, audit_sample=audit_sample_from(s)
        )
        emulator = None
        worker: Worker | None = None
        cstool: _CsTool | None = None
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
            cstool = self.cstool = _CsTool(s, store, b).start()
            self.sign_in()
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
        self.customer_reports(before)
        self.review()

        # 4. the scheduled retrain
        self.heading(4, "the scheduled retrain")
        outcome = self.scheduled_retrain()
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
        self.customer_reports(shadow_rows)
        self.review(queues=(USER_REPORTS, CASH))
        self.compare(shadow_rows)

        # 6. promotion
        self.heading(6, "promotion through the gates (POST /api/v1/models/promote)")
        if not self.promote():
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
            f"[bold]new gift-card slang caught: {_pct(a.trend_rate)} → {_pct(c.trend_rate)}[/]  (the usual "
            f"violations {_pct(a.violation_rate)} → {_pct(c.violation_rate)}; clean listings flagged "
            f"{a.clean_rate:.1%} → {c.clean_rate:.1%})",
            highlight=False,
        )

        # 8. rollback
        self.heading(8, "rollback is one step away")
        self.rollback_and_forward()

    # ------------------------------------------------------------------ steps
    def heading(self, k: int, title: str) -> None:
        console.rule(f"[bold]{k}/8[/] {title} [dim]({time.perf_counter() - self.t0:.0f}s)[/]")

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

    def sign_in(self) -> None:
        from cstool_api.security import Passwords

        hasher = Passwords()
        logins = {REVIEWER: "agent", ADMIN: "admin"}
        passwords = {u: secrets.token_urlsafe(12) for u in logins}
        for username, role in logins.items():
            self.store.create_staff(
                username=username, password_hash=hasher.hash(passwords[username]), role=role, actor=ACTOR
            )
        self.reviewer = self.cstool.sign_in(REVIEWER, passwords[REVIEWER])
        self.admin = self.cstool.sign_in(ADMIN, passwords[ADMIN])
        r = self.admin.post(
            "/api/v1/tokens", json={"name": "marketplace-reports", "scopes": ["reports:write"]}
        )
        r.raise_for_status()
        self.report_token = r.json()["token"]

    def customer_reports(self, rows: Sequence[LabelledListing]) -> None:
        """Customers report some of the violations the live model let through (what it reported is
        in CS's queues already), and now and then a clean listing, through the marketplace's token."""
        import httpx

        from demo.serve import REPORT_REASONS

        cfg = self.cfg
        rng = random.Random(f"{cfg.seed}:reports:{self.published}")
        decided = self.decided(self.worker.provider.version)
        reports = listings = trend = 0
        with httpx.Client(base_url=self.cstool.url, timeout=60.0) as marketplace:
            marketplace.headers["Authorization"] = f"Bearer {self.report_token}"
            for r in rows:
                d = decided.get(r.listing.id)
                if d is None or d.action.value != "allow":
                    continue
                category = next((c for c in CATEGORIES if r.labels.get(c)), None)
                if rng.random() >= (cfg.report_share if category is not None else cfg.false_report_share):
                    continue
                listings += 1
                trend += is_trend(r.tags)
                for reporter in rng.sample(range(1, 10_000), rng.randint(1, 3)):
                    resp = marketplace.post(
                        "/api/v1/reports",
                        json={
                            "listing_id": r.listing.id,
                            "reason": REPORT_REASONS[category],
                            "reporter_id": f"buyer-{reporter:04d}",
                        },
                    )
                    resp.raise_for_status()
                    reports += 1
        self.result.reports += reports
        console.print(
            f"[green]✓[/] customers reported {listings} listings the model allowed ({trend} in the new "
            f"slang; {reports} reports) through POST /api/v1/reports (token scope reports:write)",
            highlight=False,
        )

    def review(self, queues: Sequence[str] = (USER_REPORTS, AUDIT, *CATEGORIES)) -> None:
        """The reviewer claims the top item of each queue in turn (``POST /queues/{q}/next``) and labels
        it with the truth (``POST /items/{id}/label``, an idempotency key per item)."""
        cfg, client = self.cfg, self.reviewer
        r = client.get("/api/v1/queues")
        r.raise_for_status()
        open_items = {q["queue"]: q["open"] for q in r.json()["items"]}
        total = sum(open_items.get(q, 0) for q in queues)
        if cfg.review_capacity is not None:
            total = min(total, cfg.review_capacity)
        given, verdicts = Counter[str](), Counter[str]()
        trend_labels = 0
        # every queue is worked at its own pace (a reviewer per queue, as it were): the next label goes
        # to the queue least far through its items, so the newest labels, which retraining holds out,
        # are a mix of every queue
        remaining = [q for q in queues if open_items.get(q, 0)]
        with progress_bar() as bar:
            task = bar.add_task(f"{REVIEWER} works the queues", total=total)
            while remaining and sum(given.values()) < total:
                q = min(remaining, key=lambda x: given[x] / open_items[x])
                resp = client.post(f"/api/v1/queues/{q}/next")
                if resp.status_code == 204:
                    remaining.remove(q)
                    continue
                resp.raise_for_status()
                item = resp.json()
                truth = self.truth.get(item["listing_id"])
                if truth is None:  # not a listing of this demo: leave it for someone else
                    client.delete(f"/api/v1/items/{item['id']}/claim").raise_for_status()
                    remaining.remove(q)
                    continue
                label = _verdict(truth.labels, q)
                resp = client.post(
                    f"/api/v1/items/{item['id']}/label",
                    json={"label": label, "note": "demo: the generator's ground truth"},
                    headers={"Idempotency-Key": f"demo-loop-{item['id']}"},
                )
                resp.raise_for_status()
                given[q] += 1
                verdicts[label] += 1
                trend_labels += is_trend(truth.tags)
                bar.update(task, completed=sum(given.values()))
        for q, n in given.items():
            self.result.labels[q] = self.result.labels.get(q, 0) + n
        self.result.trend_labels += trend_labels
        console.print(
            f"[green]✓[/] {sum(given.values())} labels ("
            + ", ".join(f"{q} {given[q]}" for q in queues if given[q])
            + "): "
            + ", ".join(f"{v} {n}" for v, n in verdicts.most_common())
            + f"; {trend_labels} on listings in the new slang",
            highlight=False,
        )

    def scheduled_retrain(self) -> RetrainOutcome | None:
        """One firing of the retraining job on APScheduler, as `lovemachine scheduler --run-now`."""
        from trainers.retrain import RetrainConfig, RetrainError, retrain
        from trainers.retrain_split import SplitOptions
        from trainers.scheduler import retrain_job, run_scheduler
        from trainers.train import TrainConfig

        cfg, s, store, result = self.cfg, self.settings, self.store, self.result
        config = RetrainConfig(
            base_data=self.base_path,
            base_source=f"synthetic (n={cfg.train_n}, seed={cfg.seed + 1}): {self.base_path}",
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
        name = self.name(out.record.version)
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

    def compare(self, rows: Sequence[LabelledListing]) -> None:
        """What ``lovemachine deploy compare`` computes, and the catch rates on the new slang."""
        from lovemachine.services import deploy

        result = self.result
        champion, challenger = result.champion_before, result.challenger or ""
        c = self.comparison = deploy.compare(self.store)
        result.both_scored = c.both_scored
        n1, n2 = self.name(champion), self.name(challenger)
        t = Table(
            title=f"deploy compare: {c.both_scored:,} listings scored by both, agreement "
            f"{_pct(c.agreement or 0.0)}; CS labels since the shadow began: {c.labelled}"
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
        champ = measure("B", champion, "champion", rows, self.decided(champion))
        chall = measure("B", challenger, "challenger, shadow", rows, self.shadow_decided(challenger))
        result.catches += [champ, chall]
        print_catches(
            [champ, chall], "the same listings: champion (acting) vs challenger (shadow)", self.names
        )

    def promote(self) -> bool:
        """Promote through the gates; when only the hide- or report-volume (or shadow-sample) gate
        blocks and the CS labels that arrived meanwhile confirm the challenger's extra flags, do what an
        admin would: override it with the evidence as the recorded reason (``--force --reason``)."""
        result = self.result
        r = self.admin.post(
            "/api/v1/models/promote", json={"reason": "catches the new gift-card slang in shadow"}
        )
        if r.status_code == 409 and r.json()["error"]["code"] == "promotion_blocked":
            failed = [str(x) for x in r.json()["error"]["details"]["failed"]]
            console.print("[bold red]promotion blocked[/] by its gates:")
            for line in failed:
                console.print(f"  [red]✗[/] {line}", highlight=False)
            evidence = self.override_evidence(failed)
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
            r = self.admin.post(
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
            f"[green]✓[/] champion {self.name(change['from_version'])} → "
            f"[bold]{self.name(change['to_version'])}[/]{' (FORCED)' if body['forced'] else ''} by "
            f"{change['actor']}: {change['reason']}",
            highlight=False,
        )
        self.wait_for_champion(change["to_version"])
        return True

    def override_evidence(self, failed: Sequence[str]) -> str | None:
        """Why overriding the failed gates is justified, or None: never past the offline evaluation, the
        review capacity, the precision gates or the artifact, nor past fewer hides than the champion's
        bound (violations left visible); the hide- and report-volume gates only where every category
        the challenger flags over 10% more in (a few more is noise) has at least 20 CS labels on its
        flags since the shadow began, 95% of them confirmed."""
        if any(not line.startswith(("hide volume", "report volume", "shadow sample")) for line in failed):
            return None
        c = self.comparison
        if c.challenger_hides < self.settings.promote_min_hide_ratio * c.champion_hides:
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

    def wait_for_champion(self, version: str, timeout: float = 30.0) -> None:
        t0 = time.perf_counter()
        deadline = time.monotonic() + timeout
        while self.worker.provider.version != version and time.monotonic() < deadline:
            time.sleep(0.05)
        if self.worker.provider.version == version:
            console.print(
                f"[green]✓[/] the worker scores with {self.name(version)} {time.perf_counter() - t0:.1f}s "
                "later, without a restart"
            )
        else:
            console.print(
                f"[yellow]the worker still scores with {self.name(self.worker.provider.version)}[/]"
            )

    def rollback_and_forward(self) -> None:
        db = self.settings.database_url
        console.print(
            "Should the new champion misbehave, one command puts the previous one back (recorded with who "
            f"and why; workers follow within {self.settings.rules_refresh_seconds:g} s):\n"
            f'  lovemachine deploy rollback --database-url {db} --reason "hides too much"\n'
            "or the Rollback button on the CS tool's Models page. The demo rolls back, then rolls the "
            "rollback back:",
            highlight=False,
            soft_wrap=True,
        )
        for reason in ("demo: showing the way back", "demo: and forward again"):
            r = self.admin.post("/api/v1/models/rollback", json={"reason": reason})
            r.raise_for_status()
            change = r.json()["change"]
            console.print(
                f"  [green]✓[/] champion {self.name(change['from_version'])} → "
                f"{self.name(change['to_version'])} ({change['reason']})",
                highlight=False,
            )
            self.wait_for_champion(change["to_version"])
        self.result.rolled_back_and_forward = True

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
