"""Labels: provenance, idempotency, hide/restore through the broker, the outbox, bad input."""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

from fastapi.testclient import TestClient

from cstool_api import create_app
from lovemachine.adapters.local_broker import LocalBroker
from lovemachine.adapters.sql import SqlStore
from lovemachine.adapters.sql.tables import action_outbox, audit_log, labels
from lovemachine.config import Settings
from lovemachine.listings import ModerationAction
from lovemachine.policy import Action
from tests.api.conftest import FAST_HASHER, MODEL, THRESHOLDS, Login, Seeder, count, pull_actions
from tests.api.test_queues import run_together


def claim(client: TestClient, item: int) -> None:
    r = client.post(f"/api/v1/items/{item}/claim")
    assert r.status_code == 200, r.text


def test_violation_hides_the_listing_and_publishes_hide(
    login: Login, seeder: Seeder, store: SqlStore, broker: LocalBroker, settings: Settings
) -> None:
    listing = seeder.decide("counterfeit", 0.8, Action.REPORT)
    item = seeder.item_id(listing)
    agent = login("agent", "ann")
    claim(agent, item)
    r = agent.post(
        f"/api/v1/items/{item}/label",
        json={"label": "counterfeit", "note": "logo is off"},
        headers={"Idempotency-Key": "k-1"},
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["action"] == "hide"
    label = body["label"]
    assert (label["label"], label["category"], label["violation"], label["note"]) == (
        "counterfeit",
        "counterfeit",
        True,
        "logo is off",
    )
    assert (label["reviewer"], label["model_version"], label["auto_hidden"], label["source"]) == (
        "ann",
        MODEL,
        False,
        "cs",
    )
    assert label["thresholds"] == THRESHOLDS and label["review_item_id"] == item

    stored = store.get_listing(listing)
    assert stored is not None and stored.status == "hidden"
    messages = pull_actions(broker, settings)
    assert len(messages) == 1
    msg = ModerationAction.model_validate(messages[0]["data"])
    assert (msg.listing_id, msg.listing_version, msg.action, msg.model_version) == (listing, 1, "hide", MODEL)
    assert msg.scores["counterfeit"] == 0.8
    assert messages[0]["attributes"] == {
        "action": "hide",
        "listing_id": listing,
        "model_version": MODEL,
        "source": "cs",
    }
    with store.engine.connect() as conn:
        outbox = conn.execute(action_outbox.select()).mappings().one()
    assert outbox["published_at"] is not None and outbox["attempts"] == 1

    detail = agent.get(f"/api/v1/items/{item}").json()
    assert detail["status"] == "done" and [x["id"] for x in detail["labels"]] == [label["id"]]
    audit = agent.get("/api/v1/audit")
    assert audit.status_code == 403
    lead = login("lead")
    entry = lead.get("/api/v1/audit", params={"entity_type": "listing", "actor": "ann"}).json()["items"][0]
    assert (entry["action"], entry["entity_id"], entry["detail"]["label"], entry["detail"]["action"]) == (
        "label.create",
        listing,
        "counterfeit",
        "hide",
    )


def test_no_violation_restores_an_auto_hidden_listing(
    login: Login, seeder: Seeder, store: SqlStore, broker: LocalBroker, settings: Settings
) -> None:
    listing = seeder.decide("cash", 0.99, Action.HIDE)
    item = seeder.item_id(listing)
    assert store.get_listing(listing).status == "hidden"  # type: ignore[union-attr]
    agent = login("agent")
    claim(agent, item)
    r = agent.post(
        f"/api/v1/items/{item}/label", json={"label": "no_violation"}, headers={"Idempotency-Key": "r1"}
    )
    assert r.status_code == 201
    assert r.json()["action"] == "restore"
    label = r.json()["label"]
    assert (label["label"], label["category"], label["violation"], label["auto_hidden"]) == (
        "no_violation",
        None,
        False,
        True,
    )
    assert store.get_listing(listing).status == "visible"  # type: ignore[union-attr]
    messages = pull_actions(broker, settings)
    assert [(m["data"]["action"], m["data"]["listing_id"], m["attributes"]["action"]) for m in messages] == [
        ("restore", listing, "restore")
    ]


def test_labels_that_change_nothing_publish_nothing(
    login: Login, seeder: Seeder, store: SqlStore, broker: LocalBroker, settings: Settings
) -> None:
    reported = seeder.decide("cash", 0.7, Action.REPORT)
    hidden = seeder.decide("cash", 0.99, Action.HIDE)
    agent = login("agent")
    for listing, label in ((reported, "no_violation"), (hidden, "cash")):
        item = seeder.item_id(listing)
        claim(agent, item)
        r = agent.post(f"/api/v1/items/{item}/label", json={"label": label})
        assert r.status_code == 201 and r.json()["action"] is None
    assert store.get_listing(reported).status == "visible"  # type: ignore[union-attr]
    assert store.get_listing(hidden).status == "hidden"  # type: ignore[union-attr]
    assert pull_actions(broker, settings, timeout=0.5) == []
    assert count(store, action_outbox) == 0 and count(store, labels) == 2


def test_double_submit_records_one_label(login: Login, seeder: Seeder, store: SqlStore) -> None:
    item = seeder.item_id(seeder.decide())
    agent = login("agent")
    claim(agent, item)
    first = agent.post(
        f"/api/v1/items/{item}/label", json={"label": "adult"}, headers={"Idempotency-Key": "same"}
    )
    again = agent.post(
        f"/api/v1/items/{item}/label", json={"label": "adult"}, headers={"Idempotency-Key": "same"}
    )
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    assert count(store, labels) == 1 and count(store, action_outbox) == 1
    also = agent.post(f"/api/v1/items/{item}/label", json={"label": "adult", "idempotency_key": "same"})
    assert also.status_code == 200 and also.json() == first.json()  # the key may travel in the body
    r = agent.post(f"/api/v1/items/{item}/label", json={"label": "cash"}, headers={"Idempotency-Key": "same"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "idempotency_key_reused"
    r = agent.post(
        f"/api/v1/items/{item}/label", json={"label": "adult"}, headers={"Idempotency-Key": "other"}
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "done"
    assert count(store, labels) == 1


def test_concurrent_double_submit_records_one_label(login: Login, seeder: Seeder, store: SqlStore) -> None:
    items = [seeder.item_id(seeder.decide()) for _ in range(3)]
    agent = login("agent")
    for item in items:
        claim(agent, item)
        results = run_together(
            [
                lambda item=item: agent.post(
                    f"/api/v1/items/{item}/label",
                    json={"label": "counterfeit"},
                    headers={"Idempotency-Key": f"k{item}"},
                )
                for _ in range(4)
            ]
        )
        assert sorted(r.status_code for r in results) == [200, 200, 200, 201]
        assert len({r.text for r in results}) == 1
    assert count(store, labels) == 3 and count(store, action_outbox) == 3


def test_someone_elses_item_cannot_be_labelled(login: Login, seeder: Seeder, store: SqlStore) -> None:
    item = seeder.item_id(seeder.decide())
    ann, bob = login("agent", "ann"), login("agent", "bob")
    r = bob.post(f"/api/v1/items/{item}/label", json={"label": "counterfeit"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "not_claimed"
    claim(ann, item)
    r = bob.post(f"/api/v1/items/{item}/label", json={"label": "counterfeit"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "claimed"
    assert ann.post(f"/api/v1/items/{item}/label", json={"label": "counterfeit"}).status_code == 201
    r = bob.post(f"/api/v1/items/{item}/label", json={"label": "no_violation"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "done"
    r = bob.post(f"/api/v1/items/{item}/claim")
    assert r.status_code == 409 and r.json()["error"]["code"] == "done"
    assert count(store, labels) == 1


def test_bad_labels_are_refused_and_write_nothing(login: Login, seeder: Seeder, store: SqlStore) -> None:
    item = seeder.item_id(seeder.decide())
    agent = login("agent")
    claim(agent, item)
    before = (count(store, labels), count(store, audit_log), count(store, action_outbox))
    bad_bodies: list[Any] = [
        {"label": "spam"},
        {"label": "counterfeit", "note": "x" * 5001},
        {"label": "counterfeit", "extra": 1},
        {},
        "not json",
    ]
    for body in bad_bodies:
        r = agent.post(f"/api/v1/items/{item}/label", json=body)
        assert r.status_code == 422, body
        err = r.json()["error"]
        assert err["code"] == "validation" and err["message"] and isinstance(err["details"], list)
    r = agent.post(f"/api/v1/items/{item}/label", json={"label": "spam"})
    assert "unknown label 'spam'" in r.json()["error"]["message"]
    r = agent.post(
        f"/api/v1/items/{item}/label", json={"label": "adult"}, headers={"Idempotency-Key": "k" * 200}
    )
    assert r.status_code == 422
    assert (count(store, labels), count(store, audit_log), count(store, action_outbox)) == before
    assert agent.get(f"/api/v1/items/{item}").json()["status"] == "claimed"


class FlakyBroker(LocalBroker):
    """The embedded broker whose publishes fail while ``down`` is set."""

    down = True

    def publish(self, topic: str, data: bytes, **attributes: str) -> Future[str]:
        if self.down and topic == "moderation-actions":
            f: Future[str] = Future()
            f.set_exception(ConnectionError("broker unavailable"))
            return f
        return super().publish(topic, data, **attributes)


def test_a_failed_publish_keeps_the_label_and_retries_later(
    settings: Settings, store: SqlStore, seeder: Seeder
) -> None:
    broker = FlakyBroker()
    app = create_app(settings, store=store, broker=broker, password_hasher=FAST_HASHER)
    store.create_staff(username="ann", password_hash=FAST_HASHER.hash("x" * 12), role="agent", actor="t")
    first, second = (seeder.item_id(seeder.decide("adult", 0.8)) for _ in range(2))
    try:
        with TestClient(app) as ann:
            ann.headers["X-CSRF-Token"] = ann.post(
                "/api/v1/session", json={"username": "ann", "password": "x" * 12}
            ).json()["csrf_token"]
            claim(ann, first)
            r = ann.post(f"/api/v1/items/{first}/label", json={"label": "adult"})
            assert r.status_code == 201 and r.json()["action"] == "hide"  # the label is kept
            with store.engine.connect() as conn:
                row = conn.execute(action_outbox.select()).mappings().one()
            assert row["published_at"] is None and row["attempts"] == 1 and "unavailable" in row["last_error"]
            assert [p.listing_id for p in store.pending_actions()] == [row["listing_id"]]

            broker.down = False  # the next label flushes the earlier one too
            claim(ann, second)
            assert ann.post(f"/api/v1/items/{second}/label", json={"label": "adult"}).status_code == 201
            messages = pull_actions(broker, settings)
            assert sorted(m["data"]["listing_id"] for m in messages) == sorted(
                [store.get_review_item(first).listing_id, store.get_review_item(second).listing_id]  # type: ignore[union-attr]
            )
            assert store.pending_actions() == []
    finally:
        broker.close()
