"""Appeals (DSA Art. 20) in the page: a lead takes the next complaint, reads the case and overturns an
automated hide; a reviewer is never handed a complaint against their own decision; a review item shows
the seller's strikes, the statements of reasons and the version the seller has put up since; a lead
confirms the suspension a seller's strikes recommend and reads the enforcement numbers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from lovemachine.adapters.sql import SqlStore
from lovemachine.adapters.sql.tables import appeals
from lovemachine.dsa.statements import decision_puid
from lovemachine.policy import Action
from tests.browser.conftest import Login, MakeStaff, sign_in
from tests.browser.seed import (
    MARKETPLACE,
    MODEL_VERSION,
    appeal_against_label,
    appeal_listing,
    confirm_violation,
    record_decision,
    review_item_id,
)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


@pytest.fixture(autouse=True)
def no_appeal_left_open(store: SqlStore) -> Iterator[None]:
    """Every test starts with no open appeal (the queue is shared by the session) and leaves none."""

    def close_all() -> None:
        for a in store.list_appeals(status="open", limit=500):
            staff = a.claimed_by or "cleanup-lead"
            store.decide_appeal(a.id, staff=staff, outcome="upheld", reason="cleanup")

    close_all()
    yield
    close_all()


def open_appeals(page: Any) -> None:
    page.get_by_test_id("nav-appeals").click()
    page.locator('[data-testid="appeals-table"][data-loaded="true"]').wait_for()


def test_a_lead_takes_the_next_appeal_and_overturns_an_automated_hide(
    page: Any, login: Login, store: SqlStore
) -> None:
    listing = appeal_listing(unique("B-appeal"), seller=unique("S-appeal"))
    record_decision(store, listing, Action.HIDE)
    assert store.get_listing(listing.id).status == "hidden"  # type: ignore[union-attr]
    puid = decision_puid(listing.id, listing.version, MODEL_VERSION)
    complaint = "This bag is genuine: the receipt from the Acme store is in the photos. <b>Look again</b>."
    appeal, created = store.create_appeal(
        appellant="seller", text=complaint, submitted_by=MARKETPLACE, statement_puid=puid
    )
    assert created
    with store.engine.begin() as conn:  # received four days ago: past the 72 h it was due in
        now = datetime.now(UTC)
        conn.execute(
            update(appeals)
            .where(appeals.c.id == appeal.id)
            .values(received_at=now - timedelta(days=4), due_at=now - timedelta(days=1))
        )
    statement = store.get_statement(puid)
    assert statement is not None

    lead = login(page, "lead")
    open_appeals(page)
    row = page.get_by_test_id(f"appeal-row-{appeal.id}")
    assert row.get_attribute("data-overdue") == "true"
    assert page.get_by_test_id(f"appeal-overdue-{appeal.id}").is_visible()

    page.get_by_test_id("appeals-take-next").click()
    case = page.locator(f'[data-testid="appeal-case"][data-appeal-id="{appeal.id}"]')
    case.wait_for()
    assert page.get_by_test_id("appeal-text").inner_text() == complaint  # text, never markup
    assert case.locator("b").count() == 0
    assert page.get_by_test_id("appeal-statement-text").inner_text().strip() == statement.text.strip()
    assert page.get_by_test_id("appeal-statement-automation").inner_text() == "fully automated"
    assert MODEL_VERSION in page.get_by_test_id("appeal-original-decider").inner_text()
    assert page.get_by_test_id("appeal-claimed-by").inner_text() == lead
    assert page.get_by_test_id("appeal-listing-title").inner_text() == listing.title
    assert page.get_by_test_id("appeal-current-listing").count() == 0  # not edited since
    assert page.get_by_test_id("appeal-strikes-weight").inner_text().startswith("0 / ")
    assert page.get_by_test_id("appeal-category-field").is_hidden()  # only to overturn a no-action

    page.get_by_test_id("appeal-outcome-overturned").check()
    page.get_by_test_id("appeal-submit").click()  # no reason yet: refused in the page
    assert "reason" in page.get_by_test_id("appeal-error").inner_text()
    assert store.get_appeal(appeal.id).status == "claimed"  # type: ignore[union-attr]

    reason = "The receipt and the serial number match a genuine Acme bag."
    page.get_by_test_id("appeal-reason").fill(reason)
    page.get_by_test_id("appeal-submit").click()
    outcome = page.locator('[data-testid="appeal-outcome"][data-outcome="overturned"]')
    outcome.wait_for()
    assert page.get_by_test_id("appeal-outcome-text").inner_text() == "Overturned"
    assert page.get_by_test_id("appeal-outcome-reason").inner_text() == reason
    assert page.get_by_test_id("appeal-outcome-listing-status").inner_text() == "visible"
    assert page.get_by_test_id("appeal-form").count() == 0

    decided = store.get_appeal(appeal.id)
    assert decided is not None
    assert (decided.outcome, decided.decided_by, decided.reason) == ("overturned", lead, reason)
    assert store.get_listing(listing.id).status == "visible"  # type: ignore[union-attr]
    assert page.get_by_test_id("appeal-outcome-statement").inner_text() == decided.statement_out_puid
    page.get_by_test_id(f"appeal-row-{appeal.id}").wait_for(state="detached")  # gone from the open queue


def test_a_reviewer_is_not_given_an_appeal_against_their_own_decision(
    page: Any, make_staff: MakeStaff, store: SqlStore
) -> None:
    agent = make_staff("agent")
    seller = unique("S-appeal")
    listing = appeal_listing(unique("B-appeal"), seller=seller)
    appeal_id = appeal_against_label(store, listing, reviewer=agent, text="I never sold a fake.")
    edited = appeal_listing(listing.id, seller=seller, version=2, title="Leather tote bag (receipt added)")
    record_decision(store, edited, Action.ALLOW)  # the seller has edited the listing since

    sign_in(page, agent)
    open_appeals(page)
    page.get_by_test_id(f"appeal-row-{appeal_id}").wait_for()  # it is in the queue ...
    page.get_by_test_id("appeals-take-next").click()
    nothing = page.get_by_test_id("appeals-nothing")  # ... but not for them
    nothing.wait_for()
    assert nothing.inner_text().startswith("Nothing for you")
    assert page.get_by_test_id("appeal-case").count() == 0
    appeal = store.get_appeal(appeal_id)
    assert appeal is not None and (appeal.status, appeal.claimed_by) == ("open", None)

    # Opened from the queue, the case shows both versions; deciding it is refused by the server.
    page.get_by_test_id(f"appeal-open-{appeal_id}").click()
    page.locator(f'[data-testid="appeal-case"][data-appeal-id="{appeal_id}"]').wait_for()
    assert page.get_by_test_id("appeal-original-decider").inner_text() == agent
    assert page.get_by_test_id("appeal-statement-automation").inner_text().startswith("partly automated")
    assert page.get_by_test_id("appeal-listing-label").inner_text() == "Judged version · v1"
    assert page.get_by_test_id("appeal-listing-status").inner_text() == "edited since"
    assert page.get_by_test_id("appeal-current-listing-label").inner_text() == (
        "Current version (edited since) · v2"
    )
    assert page.get_by_test_id("appeal-current-listing-title").inner_text() == edited.title
    assert page.get_by_test_id("appeal-strikes-list").inner_text().count(listing.id) == 1
    page.get_by_test_id("appeal-outcome-upheld").check()
    page.get_by_test_id("appeal-reason").fill("The logo is wrong.")
    page.get_by_test_id("appeal-submit").click()
    error = page.get_by_test_id("appeal-error")
    error.wait_for()
    assert "own_decision" in error.inner_text() and "made the decision this complaint contests" in (
        error.inner_text()
    )
    assert store.get_appeal(appeal_id).status == "open"  # type: ignore[union-attr]


def test_a_review_item_shows_strikes_statements_and_the_version_edited_since(
    page: Any, make_staff: MakeStaff, store: SqlStore
) -> None:
    seller = unique("S-strikes")
    earlier = appeal_listing(unique("B-earlier"), seller=seller)
    confirm_violation(store, earlier, reviewer="seed-lead")  # a person confirmed it: a strike

    listing = appeal_listing(unique("B-edited"), seller=seller)
    record_decision(store, listing, Action.HIDE)  # hidden by the model, with a statement of reasons
    edited = appeal_listing(listing.id, seller=seller, version=2, title="Tote bag, logo removed")
    record_decision(store, edited, Action.ALLOW)
    agent = make_staff("agent")
    item_id = review_item_id(store, listing.id, "counterfeit")
    store.claim_item(item_id, username=agent, ttl=timedelta(minutes=5))  # reopened: their own claim

    sign_in(page, agent)
    page.goto("/#/review/counterfeit")
    page.locator(f'[data-testid="review"][data-phase="ready"] [data-item-id="{item_id}"]').wait_for()
    assert page.get_by_test_id("item-title").inner_text() == listing.title
    assert page.get_by_test_id("item-judged-label").inner_text() == "Judged version · v1"
    assert page.get_by_test_id("item-current-listing-label").inner_text() == (
        "Current version (edited since) · v2"
    )
    assert page.get_by_test_id("item-current-listing-title").inner_text() == edited.title
    assert "changed" in page.get_by_test_id("item-current-listing").locator(".version-title").inner_text()

    statement = store.get_statement(decision_puid(listing.id, 1, MODEL_VERSION))
    assert statement is not None
    shown = page.get_by_test_id("item-statement")
    assert shown.count() == 1 and shown.get_attribute("data-kind") == "restriction"
    assert page.get_by_test_id("item-statement-automation").inner_text() == "fully automated"
    assert page.get_by_test_id("item-statement-text").inner_text().strip() == statement.text.strip()

    strikes = store.seller_strikes(seller)
    assert page.get_by_test_id("item-strikes-weight").inner_text().startswith(f"{strikes.weight:g} / ")
    assert [s.listing_id for s in strikes.active] == [earlier.id]
    assert earlier.id in page.get_by_test_id("item-strikes-list").inner_text()


def test_a_lead_confirms_a_recommended_suspension_and_reads_the_numbers(
    page: Any, login: Login, store: SqlStore
) -> None:
    seller = unique("S-repeat")
    for _ in range(2):  # two confirmed counterfeits reach the suspension threshold
        confirm_violation(store, appeal_listing(unique("B-fake"), seller=seller), reviewer="seed-lead")
    (action,) = [a for a in store.list_account_actions(status="recommended") if a.seller_id == seller]

    lead = login(page, "lead")
    page.get_by_test_id("nav-enforcement").click()
    page.locator('[data-testid="account-actions-table"][data-loaded="true"]').wait_for()
    row = page.get_by_test_id(f"account-action-row-{action.id}")
    assert seller in row.inner_text()
    page.get_by_test_id(f"account-action-confirm-{action.id}").click()  # no reason: refused in the page
    assert "reason" in page.get_by_test_id(f"account-action-error-{action.id}").inner_text()

    reason = "Two confirmed counterfeit listings within a week."
    page.get_by_test_id(f"account-action-reason-{action.id}").fill(reason)
    page.once("dialog", lambda d: d.accept())  # "Confirm: suspend seller ...?"
    page.get_by_test_id(f"account-action-confirm-{action.id}").click()
    row.wait_for(state="detached")
    (done,) = [a for a in store.list_account_actions(status="confirmed") if a.id == action.id]
    assert (done.decided_by, done.reason) == (lead, reason)

    page.locator('[data-testid="dsa-report-table"][data-loaded="true"]').wait_for()
    rows = page.locator('[data-testid="dsa-report-row"][data-category="counterfeit"]')
    assert rows.count() >= 1
    total = int(page.get_by_test_id("dsa-report-total").locator("td").first.inner_text())
    report = page.request.get("/api/v1/dsa/report?days=30").json()["rows"]
    assert total == sum(r["restrictions"] for r in report)
