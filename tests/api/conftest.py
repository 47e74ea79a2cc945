"""Fixtures for the CS tool API: the real app on each database (``database_url`` runs every test on
SQLite and PostgreSQL), the embedded broker with the real topology, signed-in clients per role, and
review items made the way production makes them (decisions recorded through the SQL store)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Table, func, select

from cstool_api import create_app
from lovemachine.adapters.local_broker import LocalBroker
from lovemachine.adapters.sql import SqlStore
from lovemachine.categories import CATEGORIES
from lovemachine.config import Settings
from lovemachine.listings import Listing
from lovemachine.policy import Action, Decision
from lovemachine.ports import ModelVersionRecord

MODEL = "lm-api-test-1"
THRESHOLDS = {c: {"report": 0.6, "hide": 0.95} for c in CATEGORIES}
PASSWORD = "a long enough password"
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # argon2id, cheap for tests


def count(store: SqlStore, table: Table, *where: Any) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())


def make_listing(
    listing_id: str, *, seller: str = "S1", title: str = "Nice bag", description: str = ""
) -> Listing:
    return Listing(
        id=listing_id,
        version=1,
        seller_id=seller,
        title=title,
        description=description or "gently used, with box",
        price=12_000,
        currency="JPY",
        category="bags",
        brand="Acme",
        image_urls=[f"https://img.example/{listing_id}/1.jpg"],
    )


def make_decision(listing: Listing, category: str | None, score: float, action: Action) -> Decision:
    scores = {c: 0.01 for c in CATEGORIES}
    if category is not None:
        scores[category] = score
    return Decision(
        listing_id=listing.id,
        listing_version=listing.version,
        action=action,
        scores=scores,
        reasons=[] if category is None else [f"{category}: score {score:.3f}"],
        model_version=MODEL,
        decided_at=datetime.now(UTC),
        category=category,
        rule_ids=[],
    )


class Seeder:
    """Records real decisions through the store; review items follow as in production."""

    def __init__(self, store: SqlStore) -> None:
        self.store = store
        self.n = 0
        store.register_model_version(
            ModelVersionRecord(
                version=MODEL,
                name="lovemachine",
                artifact_uri="file:///nonexistent",
                artifact_sha256="0" * 64,
                training_data_sha256="0" * 64,
                metrics={},
                thresholds=THRESHOLDS,
                created_at=datetime.now(UTC) - timedelta(days=1),
            )
        )

    def decide(
        self,
        category: str | None = "counterfeit",
        score: float = 0.8,
        action: Action = Action.REPORT,
        *,
        listing_id: str | None = None,
        seller: str = "S1",
        title: str = "Nice bag",
        description: str = "",
        rule_ids: list[int] | None = None,
    ) -> str:
        self.n += 1
        listing = make_listing(
            listing_id or f"L{self.n:04d}", seller=seller, title=title, description=description
        )
        decision = make_decision(listing, category, score, action)
        if rule_ids:
            decision.rule_ids.extend(rule_ids)
        self.store.record_decisions([(listing, decision)])
        return listing.id

    def item_id(self, listing_id: str, queue: str | None = None) -> int:
        from lovemachine.adapters.sql.tables import review_items

        query = select(review_items.c.id).where(review_items.c.listing_id == listing_id)
        if queue is not None:
            query = query.where(review_items.c.queue == queue)
        with self.store.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())


@pytest.fixture
def store(sql_store: SqlStore) -> SqlStore:
    return sql_store


@pytest.fixture
def broker() -> Iterator[LocalBroker]:
    b = LocalBroker()
    try:
        yield b
    finally:
        b.close()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, cookie_secure=False, broker="local")


@pytest.fixture
def app(settings: Settings, store: SqlStore, broker: LocalBroker) -> FastAPI:
    return create_app(settings, store=store, broker=broker, password_hasher=FAST_HASHER)


@pytest.fixture
def seeder(store: SqlStore) -> Seeder:
    return Seeder(store)


Login = Callable[..., TestClient]


@pytest.fixture
def login(app: FastAPI, store: SqlStore) -> Iterator[Login]:
    """``login("agent")`` -> a TestClient signed in as a new staff member with that role, sending the
    CSRF header on every request (``csrf=False`` leaves it off)."""
    clients: list[TestClient] = []
    hashed = FAST_HASHER.hash(PASSWORD)

    def _login(role: str = "agent", username: str | None = None, *, csrf: bool = True) -> TestClient:
        name = username or f"{role}{len(clients) + 1}"
        if store.get_staff(name) is None:
            store.create_staff(username=name, password_hash=hashed, role=role, actor="test")
        client = TestClient(app)
        client.__enter__()
        clients.append(client)
        r = client.post("/api/v1/session", json={"username": name, "password": PASSWORD})
        assert r.status_code == 200, r.text
        if csrf:
            client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        return client

    yield _login
    for c in clients:
        c.__exit__(None, None, None)


@pytest.fixture
def anon(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


def pull_actions(broker: LocalBroker, settings: Settings, *, timeout: float = 2.0) -> list[dict[str, Any]]:
    """Every message on the actions subscription (acked), as {"data": ..., "attributes": ...}."""
    import json

    out = []
    while True:
        got = broker.pull(settings.actions_subscription, max_messages=100, timeout=timeout)
        if not got:
            return out
        for m in got:
            m.ack()
            out.append({"data": json.loads(m.data), "attributes": dict(m.attributes)})
        timeout = 0.2
