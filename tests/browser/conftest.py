"""Browser tests of the CS tool page: the real app (uvicorn, on a free port of 127.0.0.1) over a
migrated PostgreSQL database seeded through the SQL store, driven by a real headless Chromium.

Nothing is mocked: the page talks to the real API, which talks to the real database. Chromium is the
system one (``/usr/bin/chromium``, Debian's ``chromium`` package; ``.ci/run`` installs it), driven
through Playwright; no browser is downloaded. A missing Chromium fails the tests; set
``LOVEMACHINE_SKIP_BROWSER=1`` to skip them on a machine without one.

The app, database and browser are shared by the session (starting them is the slow part); every
test gets a fresh browser context (its own cookies and storage) and works on its own items.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from lovemachine.adapters.local_broker import LocalBroker
from lovemachine.adapters.sql import SqlStore, make_engine
from lovemachine.adapters.sql.migrate import upgrade
from lovemachine.adapters.sql.tables import labels
from lovemachine.config import Settings
from synth.image_host import SyntheticImageHost
from tests.browser.seed import Seeded, seed
from tests.browser.server import ServerThread
from tests.plugins.databases import TEST_DB_PREFIX, _drop_database

CHROMIUM = os.environ.get("LOVEMACHINE_CHROMIUM", "/usr/bin/chromium")
PASSWORD = "correct horse battery staple"
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # argon2id, cheap for tests
VIEWPORT = {"width": 1280, "height": 800}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives a real headless Chromium against the real app")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    skip = os.environ.get("LOVEMACHINE_SKIP_BROWSER") == "1"
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.browser)
            if skip:
                item.add_marker(pytest.mark.skip(reason="LOVEMACHINE_SKIP_BROWSER=1"))


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}: `apt-get install -y chromium` (as .ci/run does), "
            "or set LOVEMACHINE_SKIP_BROWSER=1 to skip the browser tests.",
            pytrace=False,
        )
    return CHROMIUM


@pytest.fixture(scope="session")
def browser_database_url(postgres_server_url: str) -> Iterator[str]:
    """A fresh PostgreSQL database for the whole browser session, migrated to head."""
    name = f"{TEST_DB_PREFIX}browser_{uuid.uuid4().hex[:12]}"
    engine = create_engine(postgres_server_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    url = make_url(postgres_server_url).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        _drop_database(postgres_server_url, name)


@pytest.fixture(scope="session")
def store(browser_database_url: str) -> Iterator[SqlStore]:
    s = SqlStore(make_engine(browser_database_url))
    try:
        yield s
    finally:
        s.dispose()


@pytest.fixture(scope="session")
def image_host() -> Iterator[SyntheticImageHost]:
    with SyntheticImageHost({}) as host:
        yield host


@pytest.fixture(scope="session")
def seeded(store: SqlStore, image_host: SyntheticImageHost) -> Seeded:
    data = seed(store, image_host=image_host.base_url)
    image_host.kinds = data.image_kinds
    return data


@pytest.fixture(scope="session")
def live_server(
    browser_database_url: str, store: SqlStore, seeded: Seeded, image_host: SyntheticImageHost
) -> Iterator[str]:
    """The base URL of the real CS tool app (plain http on 127.0.0.1, so cookies are not Secure);
    it fetches the listings' images from the local image host, named in its allow-list."""
    from cstool_api import create_app

    settings = Settings(
        database_url=browser_database_url,
        cookie_secure=False,
        broker="local",
        image_allowed_hosts=[image_host.base_url.removeprefix("http://")],
    )
    broker = LocalBroker()
    app = create_app(settings, store=store, broker=broker, password_hasher=FAST_HASHER)
    try:
        with ServerThread(app) as server:
            yield server.url
    finally:
        broker.close()


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def new_page(browser: Any, live_server: str) -> Iterator[Callable[[], Any]]:
    """``new_page()`` -> a page in a fresh browser context (own cookies) at 1280x800.

    Uncaught JavaScript errors on any page fail the test.
    """
    contexts: list[Any] = []
    errors: list[str] = []

    def _new() -> Any:
        context = browser.new_context(base_url=live_server, viewport=VIEWPORT)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        return page

    yield _new
    for c in contexts:
        c.close()
    assert not errors, f"uncaught JavaScript errors: {errors}"


@pytest.fixture
def page(new_page: Callable[[], Any]) -> Any:
    return new_page()


MakeStaff = Callable[..., str]
Login = Callable[..., str]


@pytest.fixture(scope="session")
def make_staff(store: SqlStore) -> MakeStaff:
    """``make_staff("lead")`` -> the username of a new staff member with that role (password
    ``PASSWORD``). Each test signs in as its own people, so claims never leak between tests."""
    hashed = FAST_HASHER.hash(PASSWORD)

    def _make(role: str = "agent", username: str | None = None) -> str:
        name = username or f"{role}-{uuid.uuid4().hex[:6]}"
        if store.get_staff(name) is None:
            store.create_staff(username=name, password_hash=hashed, role=role, actor="test")
        return name

    return _make


@pytest.fixture
def login(make_staff: MakeStaff, live_server: str) -> Login:
    """``login(page, "agent")`` -> signs a new staff member in through the form; returns the name."""

    def _login(page: Any, role: str = "agent", username: str | None = None) -> str:
        name = make_staff(role, username)
        sign_in(page, name)
        return name

    return _login


def sign_in(page: Any, username: str, password: str = PASSWORD) -> None:
    """Open the page, sign in through the form and wait for the queues overview."""
    page.goto("/")
    page.get_by_test_id("signin-username").fill(username)
    page.get_by_test_id("signin-password").fill(password)
    page.get_by_test_id("signin-submit").click()
    page.get_by_test_id("whoami-name").filter(has_text=username).wait_for()
    page.locator('[data-testid="queues-table"][data-loaded="true"]').wait_for()


def label_count(store: SqlStore, item_id: int) -> int:
    with store.engine.connect() as conn:
        query = select(func.count()).select_from(labels).where(labels.c.review_item_id == item_id)
        return int(conn.execute(query).scalar_one())
