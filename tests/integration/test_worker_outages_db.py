"""A real worker (``build_worker``) on the Pub/Sub emulator rides out a real PostgreSQL outage
(issue 10, item 1): a private cluster is stopped for about 10 s mid-stream and started again. Every
listing is decided exactly once, nothing is dead-lettered, every hide/report action is published,
and the worker recovers by itself. The figures are printed (``pytest -s``) for docs/operations.md."""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import func, select

from lovemachine.adapters.sql.tables import decisions
from lovemachine.config import Settings
from lovemachine.listings import ModerationAction, parse_labelled
from lovemachine.ports import Topology
from synth import generate
from tests.integration.test_worker import drain
from tests.plugins.model import event_bytes
from tests.plugins.pubsub import topology_settings, wait_until
from workers.bootstrap import build_worker

pytestmark = pytest.mark.integration

N_MESSAGES = 2_000
OUTAGE_S = 10.0


def settings_for(topology: Topology, database_url: str, **kw: Any) -> Settings:
    return Settings(
        database_url=database_url,
        **topology_settings(topology),
        images_enabled=False,
        shadow_enabled=False,
        **kw,
    )


def test_a_database_outage_mid_stream_loses_and_dead_letters_nothing(pubsub_broker, private_live_store):
    broker, topology = pubsub_broker
    pg, store = private_live_store
    rows = [parse_labelled(d) for d in generate(N_MESSAGES, seed=123, id_prefix="OUT")]
    settings = settings_for(
        topology,
        store.engine.url.render_as_string(hide_password=False),
        batch_size=64,
        flow_control_max_messages=256,
        subscriber_streams=1,
        retry_initial_s=0.5,
        retry_max_s=2.0,  # production: 30 s; a shorter cap keeps the test short
        outbox_sweep_interval_s=1.0,
        outbox_sweep_min_age_s=2.0,
    )
    worker = build_worker(settings, broker=broker, store=store)
    for row in rows:
        broker.publish(topology.listing_topic, event_bytes(row))
    figures: dict[str, Any] = {"messages": N_MESSAGES, "outage_s": OUTAGE_S}
    worker.start()
    try:
        wait_until(
            lambda: worker.consumer.totals.acked >= N_MESSAGES // 4, timeout=120, what="a quarter done"
        )
        figures["acked_before_outage"] = worker.consumer.totals.acked
        pg.stop()
        stopped = time.monotonic()
        time.sleep(OUTAGE_S)
        figures["acked_during_outage"] = worker.consumer.totals.acked - figures["acked_before_outage"]
        pg.start()
        restarted = time.monotonic()
        figures["outage_measured_s"] = round(restarted - stopped, 1)
        during = worker.consumer.totals.acked
        wait_until(
            lambda: worker.consumer.totals.acked > during, timeout=60, what="the first ack after restart"
        )
        figures["first_ack_after_restart_s"] = round(time.monotonic() - restarted, 1)
        wait_until(
            lambda: worker.consumer.totals.acked >= N_MESSAGES, timeout=180, what="every listing acked"
        )
        figures["all_acked_after_restart_s"] = round(time.monotonic() - restarted, 1)
    finally:
        t0 = time.monotonic()
        totals = worker.stop(grace_s=10)
        figures["stop_s"] = round(time.monotonic() - t0, 1)
    figures["transient_retries"] = totals.transient_retries
    figures["nacked"] = totals.nacked

    dead = drain(broker, topology.dead_letter_subscription, expect=0, timeout=3)
    figures["dead_lettered"] = len(dead)
    with store.engine.connect() as conn:
        per_listing = conn.execute(
            select(decisions.c.listing_id, func.count()).group_by(decisions.c.listing_id)
        ).all()
        unpublished = conn.execute(
            select(func.count())
            .select_from(decisions)
            .where(decisions.c.action.in_(["hide", "report"]), decisions.c.action_published_at.is_(None))
        ).scalar_one()
    flagged = {
        d.listing_id
        for r in rows
        for d in store.decisions_for(r.listing.id)
        if d.action.value in ("hide", "report")
    }
    actions = drain(broker, topology.actions_subscription, expect=len(flagged), timeout=30)
    sent = Counter(ModerationAction.model_validate_json(m.data).listing_id for m in actions)
    figures["actions_expected"] = len(flagged)
    figures["actions_published"] = len(sent)
    figures["actions_duplicated"] = sum(n - 1 for n in sent.values())
    print("\nDATABASE OUTAGE FIGURES", json.dumps(figures))

    assert figures["dead_lettered"] == 0 and totals.dead_lettered == 0
    assert len(per_listing) == N_MESSAGES and all(n == 1 for _, n in per_listing)  # decided exactly once
    assert totals.transient_retries > 0 and totals.nacked == 0  # held and waited out, never nacked
    assert unpublished == 0 and set(sent) == flagged  # every hide/report action published
    assert figures["stop_s"] < 10  # shutdown stays bounded after an outage
