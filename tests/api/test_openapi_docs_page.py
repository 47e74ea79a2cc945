"""``/docs`` in a real headless Chromium: Swagger UI renders every operation from the tool's own
assets, under the page's Content-Security-Policy, without one violation or one request to another
host. (The system Chromium, as in ``tests/browser``; ``LOVEMACHINE_SKIP_BROWSER=1`` skips it.)"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from lovemachine.adapters.sql.migrate import upgrade
from tests.browser.server import ServerThread

CHROMIUM = os.environ.get("LOVEMACHINE_CHROMIUM", "/usr/bin/chromium")  # as tests/browser/conftest.py

pytestmark = pytest.mark.skipif(
    os.environ.get("LOVEMACHINE_SKIP_BROWSER") == "1", reason="LOVEMACHINE_SKIP_BROWSER=1"
)

# Swagger UI reports what the policy blocked through this event; collected before any script runs.
CSP_PROBE = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', e => {
  window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI);
});
"""


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """The page does not depend on the database: SQLite only."""
    url = f"sqlite:///{tmp_path / 'lovemachine.db'}"
    upgrade(url)
    return url


@pytest.fixture
def server(app: Any) -> Iterator[str]:
    with ServerThread(app) as running:
        yield running.url


def test_swagger_ui_renders_from_local_assets_under_its_policy(server: str) -> None:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)", pytrace=False)
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError, sync_playwright

    requests: list[str] = []
    console: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            page = browser.new_page()
            page.add_init_script(CSP_PROBE)
            page.on("request", lambda r: requests.append(r.url))
            page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
            response = page.goto(f"{server}/docs")
            assert response is not None and response.status == 200
            assert "script-src 'self' 'sha256-" in response.headers["content-security-policy"]
            try:
                page.locator(".opblock").first.wait_for(timeout=15_000)
                # open an operation, its "Try it out" form, and a schema: what a reader does
                page.locator(".opblock-summary").first.click()
                page.locator(".try-out__btn").first.click()
                page.locator(".models-control").first.click()
                page.locator(".model-container").first.wait_for(timeout=5_000)
            except PlaywrightTimeoutError as exc:
                console.append(f"timeout: {exc}")
            operations = page.locator(".opblock").count()
            violations = page.evaluate("window.__cspViolations")
            title = page.locator(".info .title").all_inner_texts()
        finally:
            browser.close()
    assert violations == [], f"the page's policy blocked: {violations}\nconsole: {console}"
    assert operations >= 25, f"Swagger UI rendered {operations} operations\nconsole: {console}"
    assert "Lovemachine CS tool" in " ".join(title)
    host = urlsplit(server).netloc
    elsewhere = [u for u in requests if urlsplit(u).scheme in ("http", "https", "ws", "wss")]
    elsewhere = [u for u in elsewhere if urlsplit(u).netloc != host]
    assert elsewhere == [], f"/docs requested other hosts: {elsewhere}"
    assert f"{server}/openapi.json" in requests
