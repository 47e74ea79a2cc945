"""Working a queue: claim, read, label with the keyboard, never lose or double a label."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update

from lovemachine.adapters.sql import SqlStore
from lovemachine.adapters.sql.tables import review_items
from lovemachine.listings import Listing
from lovemachine.policy import Action, Decision
from tests.browser.conftest import Login, label_count
from tests.browser.seed import MODEL_VERSION, review_item_id


def open_count(page: Any, queue: str) -> int:
    page.get_by_test_id("queues-refresh").click()
    page.locator('[data-testid="queues-table"][data-loaded="true"]').wait_for()
    return int(page.get_by_test_id(f"queue-open-{queue}").inner_text())


def start(page: Any, queue: str) -> int:
    """Click "Start reviewing" on ``queue`` and return the id of the item shown."""
    page.get_by_test_id(f"start-{queue}").click()
    return shown_item(page)


def shown_item(page: Any, *, other_than: int | None = None) -> int:
    """Wait until an item (other than ``other_than``) is shown and ready to label; return its id."""
    ready = page.locator('[data-testid="review"][data-phase="ready"] [data-testid="item"]')
    if other_than is not None:
        ready = ready.and_(page.locator(f'[data-testid="item"]:not([data-item-id="{other_than}"])'))
    ready.wait_for()
    page.wait_for_timeout(350)  # a new item ignores label keys for 300 ms (double-tap guard)
    return int(ready.get_attribute("data-item-id"))


def item_json(page: Any, item_id: int) -> dict[str, Any]:
    r = page.request.get(f"/api/v1/items/{item_id}")
    assert r.status == 200, r.text()
    data: dict[str, Any] = r.json()
    return data


def test_label_with_the_keyboard_and_the_item_leaves_the_queue(
    page: Any, login: Login, store: SqlStore
) -> None:
    me = login(page)
    before = open_count(page, "counterfeit")

    first = start(page, "counterfeit")
    detail = item_json(page, first)
    assert page.get_by_test_id("item-title").inner_text() == detail["listing"]["title"]
    assert page.get_by_test_id("item-model-version").inner_text() == detail["decision"]["model_version"]
    assert page.get_by_test_id("score-counterfeit").is_visible()
    assert page.get_by_test_id("item-reasons").inner_text().startswith("counterfeit: score")
    assert re.fullmatch(r"Claim expires in [45]:\d\d", page.get_by_test_id("claim-countdown").inner_text())

    page.keyboard.press("/")  # the note field takes the keys while typing: "1" is text, not a label
    page.keyboard.type("fake logo 1")
    page.keyboard.press("Escape")
    page.keyboard.press("1")
    second = shown_item(page, other_than=first)  # labelled: the next item is claimed and shown

    labels = item_json(page, first)["labels"]
    assert [(x["label"], x["reviewer"], x["note"]) for x in labels] == [("counterfeit", me, "fake logo 1")]
    assert item_json(page, first)["status"] == "done"
    assert label_count(store, first) == 1
    assert page.get_by_test_id("label-note").input_value() == ""
    assert page.locator(".label-btn.chosen").count() == 0

    page.get_by_test_id("review-back").click()  # leaving gives the claim on the second item back
    page.locator('[data-testid="queues-table"][data-loaded="true"]').wait_for()
    assert open_count(page, "counterfeit") == before - 1
    assert item_json(page, second)["status"] == "open"


def test_pressing_a_label_key_twice_records_one_label(page: Any, login: Login, store: SqlStore) -> None:
    login(page)
    first = start(page, "cash")
    page.keyboard.press("3")
    page.keyboard.press("3")
    second = shown_item(page, other_than=first)
    assert label_count(store, first) == 1
    assert label_count(store, second) == 0  # the second press did not label the next item either

    page.get_by_test_id("label-no_violation").dblclick()  # a double click on a button: one label
    shown_item(page, other_than=second)
    assert label_count(store, second) == 1
    assert [x["label"] for x in item_json(page, second)["labels"]] == ["no_violation"]


def test_a_label_whose_answer_is_lost_is_retried_with_the_same_key(
    page: Any, login: Login, store: SqlStore
) -> None:
    """The label reaches the server but the browser sees a network error: the page keeps the label,
    retries with the same Idempotency-Key, and the server records it once."""
    login(page)
    keys: list[str] = []

    def flaky(route: Any) -> None:
        keys.append(route.request.headers["idempotency-key"])
        if len(keys) == 1:
            route.fetch()  # the server records the label ...
            route.abort("connectionreset")  # ... and the answer never arrives
        else:
            route.continue_()

    page.route("**/api/v1/items/*/label", flaky)
    first = start(page, "keyword_stuffing")
    page.keyboard.press("4")
    page.get_by_test_id("label-pending").wait_for()  # shown while the retry waits
    second = shown_item(page, other_than=first)

    assert len(keys) == 2 and keys[0] == keys[1]
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", keys[0])
    assert label_count(store, first) == 1
    assert second != first
    assert page.get_by_test_id("banner").is_hidden()


def test_a_label_on_an_item_someone_else_took_is_reported_and_the_page_moves_on(
    new_page: Any, login: Login, store: SqlStore
) -> None:
    page, other = new_page(), new_page()
    login(page)
    colleague = login(other)
    first = start(page, "counterfeit")
    with store.engine.begin() as conn:  # the claim runs out (as if the reviewer went for lunch) ...
        conn.execute(
            update(review_items)
            .where(review_items.c.id == first)
            .values(claim_expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    r = other.request.post(  # ... and a colleague takes the item
        f"/api/v1/items/{first}/claim",
        headers={"X-CSRF-Token": other.request.get("/api/v1/me").json()["csrf_token"]},
    )
    assert r.status == 200, r.text()

    page.keyboard.press("2")
    error = page.get_by_test_id("toast-error")
    error.wait_for()
    assert "Not recorded" in error.inner_text()
    shown_item(page, other_than=first)
    assert label_count(store, first) == 0
    assert item_json(page, first)["claimed_by"] == colleague


def test_skip_gives_the_item_back_and_shows_another(page: Any, login: Login) -> None:
    login(page)
    first = start(page, "counterfeit")
    page.keyboard.press("s")
    second = shown_item(page, other_than=first)
    assert second != first
    skipped = item_json(page, first)
    assert (skipped["status"], skipped["claimed_by"], skipped["labels"]) == ("open", None, [])


def test_adult_images_are_blurred_until_clicked(page: Any, login: Login, live_server: str) -> None:
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    login(page)
    start(page, "adult")
    wrap = page.get_by_test_id("item-image-wrap").first
    img = wrap.locator("img")
    img.wait_for()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=img.element_handle()
    )  # the photo really loads, through the tool
    assert wrap.get_attribute("data-blurred") == "true"
    assert "blur" in img.evaluate("el => getComputedStyle(el).filter")
    assert img.get_attribute("src").endswith("?blur=1")  # blurred by the server too

    wrap.click()
    assert wrap.get_attribute("data-blurred") == "false"
    assert img.evaluate("el => getComputedStyle(el).filter") == "none"
    assert img.get_attribute("src").endswith("?blur=0")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img.element_handle())
    # the browser never loads a seller's URL: every image, every request, is the tool's own
    srcs = page.eval_on_selector_all("img", "els => els.map(e => e.src)")
    assert srcs and all(s.startswith(f"{live_server}/api/v1/items/") for s in srcs), srcs
    assert requested and all(u.startswith(live_server) for u in requested), requested
    # clicking an image is not a label
    assert page.locator('[data-testid="review"]').get_attribute("data-phase") == "ready"


def wait_until(page: Any, check: Any, timeout: float = 10.0) -> None:
    """Poll ``check()``; waiting through the page lets Playwright run route handlers meanwhile."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        page.wait_for_timeout(100)


def test_an_unsent_label_survives_a_reload(page: Any, login: Login, store: SqlStore) -> None:
    """The server is unreachable when the label is chosen; the reviewer reloads the page; the label
    is sent from the browser's storage with its original Idempotency-Key once the server answers."""
    login(page)
    refused: list[str] = []
    sent: list[str] = []
    reloaded = False

    def server(route: Any) -> None:  # unreachable until the page has been reloaded
        key = route.request.headers["idempotency-key"]
        if reloaded:
            sent.append(key)
            route.continue_()
        else:
            refused.append(key)
            route.abort("connectionrefused")

    page.route("**/api/v1/items/*/label", server)
    first = start(page, "adult")
    page.keyboard.press("2")
    page.get_by_test_id("label-pending").wait_for()
    assert "not saved yet" in page.get_by_test_id("outbox-status").inner_text()

    page.on("dialog", lambda d: d.accept())  # "leave the page with unsaved labels?"
    page.reload()
    assert label_count(store, first) == 0
    reloaded = True
    wait_until(page, lambda: label_count(store, first) == 1)
    assert sent == [refused[0]] and set(refused) == {refused[0]}
    assert [x["label"] for x in item_json(page, first)["labels"]] == ["adult"]
    page.get_by_test_id("banner").wait_for(state="hidden")


def test_a_reload_gives_back_the_item_you_were_reviewing(page: Any, login: Login) -> None:
    login(page)
    first = start(page, "keyword_stuffing")
    page.reload()
    assert shown_item(page) == first


def test_listing_text_is_shown_as_text_never_as_markup(page: Any, login: Login, store: SqlStore) -> None:
    evil = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'
    listing = Listing(
        id="B-xss",
        version=1,
        seller_id="S-<b>evil</b>",
        title=f"Bag {evil}",
        description=f"<a href=javascript:window.__xss=3>click</a> {evil}",
        price=1000,
        currency="JPY",
        category="bags",
        brand="<i>Acme</i>",
        image_urls=[
            "javascript:window.__xss=4",
            "data:text/html,<script>window.__xss=5</script>",
            "http://10.0.0.5/admin.jpg",  # the tool refuses to fetch it; the page says why
        ],
    )
    decision = Decision(
        listing_id=listing.id,
        listing_version=1,
        action=Action.REPORT,
        scores={"counterfeit": 0.99},
        reasons=[f"counterfeit: {evil}"],
        model_version=MODEL_VERSION,
        decided_at=datetime.now(UTC),
        category="counterfeit",
    )
    store.record_decisions([(listing, decision)])
    item_id = review_item_id(store, listing.id, "counterfeit")
    with store.engine.begin() as conn:  # waited a month: the top of the queue
        conn.execute(
            update(review_items)
            .where(review_items.c.id == item_id)
            .values(created_at=datetime.now(UTC) - timedelta(days=30))
        )

    login(page)
    assert start(page, "counterfeit") == item_id
    assert page.get_by_test_id("item-title").inner_text() == listing.title
    assert page.get_by_test_id("item-brand").inner_text() == "<i>Acme</i>"
    assert evil in page.get_by_test_id("item-description").inner_text()
    assert evil in page.get_by_test_id("item-reasons").inner_text()
    item = page.get_by_test_id("item")
    assert item.locator("script, a, i, b, iframe").count() == 0
    refused = page.get_by_test_id("item-image-error")
    page.wait_for_function(
        "el => el.textContent.includes('10.0.0.5 is a private address')", arg=refused.element_handle()
    )
    assert refused.inner_text().startswith("Image 1 not shown: ")
    assert item.locator("img").count() == 0  # two URLs are not http(s), the third is refused
    assert page.evaluate("() => window.__xss") is None
