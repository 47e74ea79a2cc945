"""The README's screenshots of the CS tool, taken from the real page over seeded data.

Skipped unless ``LOVEMACHINE_SCREENSHOTS=1``; then it writes ``docs/img/cstool-queue.png`` (the
queues overview) and ``docs/img/cstool-item.png`` (an item being reviewed) at 1280x800::

    LOVEMACHINE_SCREENSHOTS=1 .venv/bin/pytest tests/browser/test_screenshots.py

Japanese listing text needs a CJK font on the machine (Debian: ``fonts-ipafont-gothic``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import Login

IMG_DIR = Path(__file__).resolve().parents[2] / "docs" / "img"

pytestmark = pytest.mark.skipif(
    os.environ.get("LOVEMACHINE_SCREENSHOTS") != "1", reason="set LOVEMACHINE_SCREENSHOTS=1 to retake them"
)


def test_readme_screenshots(new_page: Any, login: Login) -> None:
    IMG_DIR.mkdir(parents=True, exist_ok=True)
    colleague, page = new_page(), new_page()
    login(colleague, "agent", "ren")  # a colleague is busy on two items
    csrf = {"X-CSRF-Token": colleague.request.get("/api/v1/me").json()["csrf_token"]}
    for queue in ("counterfeit", "adult"):
        assert colleague.request.post(f"/api/v1/queues/{queue}/next", headers=csrf).status == 200
    login(page, "lead", "mika")
    page.mouse.move(0, 0)
    page.screenshot(path=str(IMG_DIR / "cstool-queue.png"))

    page.get_by_test_id("start-cash").click()
    page.locator('[data-testid="review"][data-phase="ready"] [data-testid="item"]').wait_for()
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=item-image]')].every(i => i.complete)"
    )
    page.get_by_test_id("label-note").fill("asks buyers to pay with a gift card code")
    page.get_by_test_id("label-note").blur()
    page.screenshot(path=str(IMG_DIR / "cstool-item.png"))
