"""Rules (preview before save) and the audit log, as a lead."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import Login
from tests.browser.seed import PREVIEW_WORD, Seeded


def test_a_lead_previews_then_adds_a_rule_and_toggles_it(page: Any, login: Login, seeded: Seeded) -> None:
    me = login(page, "lead")
    page.get_by_test_id("nav-rules").click()
    page.locator('[data-testid="rules-table"][data-loaded="true"]').wait_for()
    save = page.get_by_test_id("rule-save")

    page.get_by_test_id("rule-new-pattern").fill(PREVIEW_WORD)
    page.get_by_test_id("rule-new-category").select_option("cash")
    page.get_by_test_id("rule-new-note").fill("ticket CS-42")
    assert save.is_disabled()  # no save before a preview
    page.get_by_test_id("rule-preview").click()
    hits = page.get_by_test_id("rule-preview-hits")
    hits.wait_for()
    assert int(hits.inner_text()) == seeded.preview_hits
    assert PREVIEW_WORD in page.get_by_test_id("rule-preview-examples").inner_text()

    page.get_by_test_id("rule-new-pattern").fill(PREVIEW_WORD + "x")  # changed: preview again
    assert save.is_disabled()
    page.get_by_test_id("rule-new-pattern").fill(PREVIEW_WORD)
    page.get_by_test_id("rule-preview").click()
    page.get_by_test_id("rule-preview-hits").wait_for()
    save.click()

    row = page.locator(f'[data-testid^="rule-row-"][data-pattern="{PREVIEW_WORD}"]')
    row.wait_for()
    assert "ticket CS-42" in row.inner_text() and me in row.inner_text()
    rule_id = row.get_attribute("data-testid").removeprefix("rule-row-")
    toggle = page.get_by_test_id(f"rule-enabled-{rule_id}")
    assert toggle.is_checked()
    toggle.uncheck()
    page.get_by_test_id("toast-ok").filter(has_text=f"Rule {rule_id} disabled").wait_for()
    rules = page.request.get("/api/v1/rules?limit=200").json()["items"]
    assert [(r["pattern"], r["enabled"], r["owner"]) for r in rules if str(r["id"]) == rule_id] == [
        (PREVIEW_WORD, False, me)
    ]

    page.get_by_test_id("nav-audit").click()  # the audit log shows what the lead just did
    page.locator('[data-testid="audit-table"][data-loaded="true"]').wait_for()
    log = page.get_by_test_id("audit-table").inner_text()
    assert "rule.add" in log and f"rule {rule_id}" in log


def test_a_bad_regex_is_refused_in_the_preview(page: Any, login: Login) -> None:
    login(page, "lead")
    page.goto("/#/rules")
    page.get_by_test_id("rule-new-pattern").fill("gift(card")
    page.get_by_test_id("rule-new-kind").select_option("regex")
    page.get_by_test_id("rule-preview").click()
    assert "invalid regex" in page.get_by_test_id("rule-preview-error").inner_text()
    assert page.get_by_test_id("rule-save").is_disabled()


def test_the_audit_log_pages_with_load_more(page: Any, login: Login) -> None:
    login(page, "lead")
    page.goto("/#/audit")
    page.locator('[data-testid="audit-table"][data-loaded="true"]').wait_for()
    rows = page.get_by_test_id("audit-row")
    first_page = rows.count()
    assert first_page == 50  # the seeded decisions alone fill more than a page
    page.get_by_test_id("audit-more").click()
    more_rows = "n => document.querySelectorAll('[data-testid=audit-row]').length > n"
    page.wait_for_function(more_rows, arg=first_page)
    assert page.get_by_test_id("audit-row").count() > first_page
