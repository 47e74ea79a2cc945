"""Signing in and out, and what each role may see."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, Login, MakeStaff


def test_sign_in_shows_the_user_and_role_and_signs_out(page: Any, make_staff: MakeStaff) -> None:
    me = make_staff("agent")
    page.goto("/")
    page.get_by_test_id("signin-username").fill(me)
    page.get_by_test_id("signin-password").fill("not the password")
    page.get_by_test_id("signin-submit").click()
    expect(page.get_by_test_id("signin-error")).to_have_text("Wrong username or password.")
    assert page.get_by_test_id("nav").is_hidden()

    page.get_by_test_id("signin-password").fill(PASSWORD)
    page.get_by_test_id("signin-submit").click()
    page.locator('[data-testid="queues-table"][data-loaded="true"]').wait_for()
    assert page.get_by_test_id("whoami-name").inner_text() == me
    assert page.get_by_test_id("whoami-role").inner_text() == "agent"
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["lm_session"]["httpOnly"] and not cookies["lm_csrf"]["httpOnly"]

    page.reload()  # the session survives a reload (GET /me)
    page.locator('[data-testid="queues-table"][data-loaded="true"]').wait_for()
    assert page.get_by_test_id("whoami-name").inner_text() == me

    page.get_by_test_id("sign-out").click()
    page.get_by_test_id("signin-form").wait_for()
    assert page.request.get("/api/v1/me").status == 401


def test_queues_overview_lists_every_queue_with_counts(page: Any, login: Login) -> None:
    login(page)
    for queue in ("counterfeit", "adult", "cash", "keyword_stuffing", "user_reports"):
        row = page.get_by_test_id(f"queue-row-{queue}")
        assert row.is_visible()
        assert int(page.get_by_test_id(f"queue-open-{queue}").inner_text()) >= 1
        assert page.get_by_test_id(f"queue-oldest-{queue}").inner_text() != "—"


def test_an_agent_sees_no_rules_or_audit_and_is_refused_them(page: Any, login: Login) -> None:
    login(page)
    assert page.get_by_test_id("nav-rules").is_hidden()
    assert page.get_by_test_id("nav-audit").is_hidden()

    page.goto("/#/rules")
    assert "do not have access" in page.get_by_test_id("page-error").inner_text()
    assert page.get_by_test_id("rules-table").count() == 0
    page.goto("/#/audit")
    assert "do not have access" in page.get_by_test_id("page-error").inner_text()
    # and the server refuses them too, whatever the page shows
    assert page.request.get("/api/v1/rules").status == 403
    assert page.request.get("/api/v1/audit").status == 403
