"""The Models page (admins): the gates refuse a promotion, a forced one with a reason goes through,
and rollback brings the previous champion back; every move confirmed first and shown in the history."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from lovemachine.adapters.sql import SqlStore
from tests.browser.conftest import Login
from tests.integration.test_deploy import ELIGIBLE, artifact


@pytest.fixture
def versions(store: SqlStore, tmp_path: Path) -> tuple[str, str]:
    u = uuid.uuid4().hex[:6]
    old, new = f"bt-{u}-1", f"bt-{u}-2"
    store.register_model_version(artifact(tmp_path, old))
    store.register_model_version(artifact(tmp_path, new, ELIGIBLE))
    store.set_alias("champion", old, actor="ml:ann", reason="browser test champion")
    store.set_alias("challenger", new, actor="retrain", reason="browser test challenger")
    return old, new


def champion(page: Any) -> Any:
    return page.get_by_test_id("models-champion-version")


def test_an_admin_promotes_past_the_gates_with_a_reason_then_rolls_back(
    page: Any, login: Login, store: SqlStore, versions: tuple[str, str]
) -> None:
    old, new = versions
    me = login(page, "admin")
    page.get_by_test_id("nav-models").click()
    page.locator('[data-testid="models-body"][data-loaded="true"]').wait_for()
    expect(champion(page)).to_have_text(old)
    expect(page.get_by_test_id("models-challenger-version")).to_have_text(new)
    assert "beats the champion offline" in page.get_by_test_id("models-challenger").inner_text()
    assert "0 listings scored by both" in page.get_by_test_id("models-compare-summary").inner_text()

    page.once("dialog", lambda d: d.dismiss())  # changed my mind: nothing happens
    page.get_by_test_id("models-promote").click()
    expect(champion(page)).to_have_text(old)

    page.once("dialog", lambda d: d.accept())
    page.get_by_test_id("models-promote").click()
    gates = page.get_by_test_id("models-gates")
    expect(gates).to_contain_text("shadow sample: 0 listings scored by both")
    assert "promotion_blocked" in page.get_by_test_id("models-error").inner_text()
    assert store.get_alias("champion").version == old  # type: ignore[union-attr]

    page.get_by_test_id("models-force").check()
    page.get_by_test_id("models-promote").click()  # no reason: refused before asking
    expect(page.get_by_test_id("models-outcome")).to_contain_text("needs a reason")
    page.get_by_test_id("models-reason").fill("INC-77: new gift-card slang")
    messages: list[str] = []
    page.once("dialog", lambda d: (messages.append(d.message), d.accept()))
    page.get_by_test_id("models-promote").click()
    expect(champion(page)).to_have_text(new)
    assert "FORCED" in messages[0] and new in messages[0]
    first = page.get_by_test_id("models-history-row").first
    expect(first).to_contain_text("forced: INC-77: new gift-card slang")
    expect(first).to_contain_text(me)
    assert store.get_alias("champion").version == new  # type: ignore[union-attr]

    page.get_by_test_id("models-reason").fill("hides too much")
    page.once("dialog", lambda d: d.accept())
    page.get_by_test_id("models-rollback").click()
    expect(champion(page)).to_have_text(old)
    expect(page.get_by_test_id("models-history-row").first).to_contain_text(
        f"rollback from {new}: hides too much"
    )
    last = store.alias_history("champion")[-1]
    assert (last.from_version, last.to_version, last.actor) == (new, old, me)


def test_the_models_page_is_for_admins_only(page: Any, login: Login) -> None:
    login(page, "lead")
    assert page.get_by_test_id("nav-models").is_hidden()
    page.goto("/#/models")
    assert "deploys are for admins" in page.get_by_test_id("page-error").inner_text()
