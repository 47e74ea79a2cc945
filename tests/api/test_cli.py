"""``lovemachine staff create``, ``lovemachine cstool flush-outbox`` and ``lovemachine serve --help``."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from typer.testing import CliRunner

from cli import app
from lovemachine.adapters.sql import SqlStore
from lovemachine.adapters.sql.tables import action_outbox
from tests.api.conftest import Seeder, count

runner = CliRunner()


def test_staff_create_makes_the_first_admin(
    database_url: str, store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LOVEMACHINE_STAFF_PASSWORD", raising=False)
    args = [
        "staff",
        "create",
        "--username",
        "root",
        "--role",
        "admin",
        "--password-stdin",
        "--database-url",
        database_url,
    ]
    result = runner.invoke(app, args, input="correct horse battery\n")
    assert result.exit_code == 0, result.output
    found = store.staff_credentials("root")
    assert found is not None and found[0].role == "admin"
    assert found[1].startswith("$argon2id$") and PasswordHasher().verify(found[1], "correct horse battery")

    again = runner.invoke(app, args, input="correct horse battery\n")
    assert again.exit_code == 1 and "already exists" in again.output
    short = runner.invoke(app, [*args[:3], "ann", *args[4:]], input="short\n")
    assert short.exit_code == 1 and "at least 12" in short.output
    monkeypatch.setenv("LOVEMACHINE_STAFF_PASSWORD", "from the environment")
    env = runner.invoke(app, ["staff", "create", "--username", "ann", "--database-url", database_url])
    assert env.exit_code == 0 and store.get_staff("ann").role == "agent"  # type: ignore[union-attr]
    listed = runner.invoke(app, ["staff", "list", "--database-url", database_url])
    assert listed.output.split() == ["ann", "agent", "active", "root", "admin", "active"]
    bad = runner.invoke(
        app, ["staff", "create", "--username", "x", "--role", "boss", "--database-url", database_url]
    )
    assert bad.exit_code == 1 and "--role" in bad.output


def test_flush_outbox_publishes_what_is_pending(database_url: str, store: SqlStore, seeder: Seeder) -> None:
    from datetime import timedelta

    listing = seeder.decide("cash", 0.8)
    item = seeder.item_id(listing)
    store.claim_item(item, username="ann", ttl=timedelta(minutes=5))
    outcome = store.record_label(item, reviewer="ann", label="cash")
    assert outcome.action == "hide" and len(store.pending_actions()) == 1
    result = runner.invoke(
        app, ["cstool", "flush-outbox", "--broker", "local", "--database-url", database_url]
    )
    assert result.exit_code == 0, result.output
    assert "published 1 actions" in result.output
    assert store.pending_actions() == [] and count(store, action_outbox) == 1


def test_every_cstool_command_has_help() -> None:
    for args in (["serve"], ["staff"], ["staff", "create"], ["staff", "list"], ["cstool", "flush-outbox"]):
        result = runner.invoke(app, [*args, "--help"])
        assert result.exit_code == 0 and len(result.output) > 100, args
