"""``lovemachine dsa`` as operators run it (the real console script in a subprocess), on SQLite and
PostgreSQL, against a local server that implements the Transparency Database's documented contract
(tests/support/tdb_server.py): no network here."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from lovemachine.adapters.sql import SqlStore, make_engine
from lovemachine.dsa.tdb import TdbStatement
from lovemachine.policy import Action
from tests.contract.test_sql_store import make_decision, make_listing
from tests.integration.test_cli import BIN
from tests.support.tdb_server import running_tdb_server

pytestmark = pytest.mark.integration
TOKEN = "platform-token"


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``lovemachine dsa ...``; its messages go to stderr, so ``stdout`` here holds both."""
    return subprocess.run(
        [str(BIN), "dsa", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=300,
    )


@pytest.fixture
def hidden(database_url: str) -> list[str]:
    """Three automated hides and a report: three statements of reasons."""
    store = SqlStore(make_engine(database_url))
    try:
        items = []
        for i, action in enumerate([Action.HIDE, Action.HIDE, Action.HIDE, Action.REPORT]):
            listing = make_listing(f"L{i}")
            items.append((listing, make_decision(listing, action, category="counterfeit", score=0.97)))
        store.record_decisions(items)
        return [st.puid for i in range(3) for st in store.statements_for(f"L{i}")]
    finally:
        store.dispose()


def env_for(database_url: str, tdb_url: str, tmp_path: Path) -> dict[str, str]:
    e = dict(os.environ)
    e.update(
        LOVEMACHINE_DATABASE_URL=database_url,
        LOVEMACHINE_TDB_URL=tdb_url,
        LOVEMACHINE_TDB_TOKEN=TOKEN,
        LOVEMACHINE_TDB_ATTEMPTS="2",
        LOVEMACHINE_ARTIFACT_DIR=str(tmp_path / "artifacts"),
        COLUMNS="200",
    )
    return e


def test_export_writes_valid_statements_without_personal_data(
    database_url: str, hidden: list[str], tmp_path: Path
) -> None:
    out = tmp_path / "sor.jsonl"
    env = env_for(database_url, "http://127.0.0.1:9", tmp_path)
    proc = run("export", "--since", "2000-01-01", "--out", str(out), env=env)
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(r["puid"] for r in rows) == sorted(hidden)
    for row in rows:
        TdbStatement.model_validate(row)
        assert "S1" not in json.dumps(row) and "Nice bag" not in json.dumps(row)
    proc = run("export", "--since", "2999-01-01", "--out", str(out), env=env)
    assert proc.returncode == 0 and out.read_text() == ""
    bad = run("export", "--since", "yesterday", "--out", str(out), env=env)
    assert bad.returncode != 0 and "YYYY-MM-DD" in bad.stdout


def test_submit_is_idempotent_and_survives_a_failing_endpoint(
    database_url: str, hidden: list[str], tmp_path: Path
) -> None:
    with running_tdb_server(TOKEN) as tdb:
        env = env_for(database_url, tdb.url, tmp_path)
        tdb.fail_next(100, status=503)  # down for the whole run
        proc = run("submit", env=env)
        assert proc.returncode == 1, proc.stdout
        assert tdb.statements == {}
        status = run("status", env=env).stdout
        assert "3 failed" in status and "HTTP 503" in status, proc.stdout

        tdb.clear_failures()
        tdb.insert_existing(hidden[0])  # one arrived by another path meanwhile
        proc = run("submit", env=env)
        assert proc.returncode == 0, proc.stdout
        assert set(tdb.statements) == set(hidden)
        assert "1 present" in proc.stdout and "2 submitted" in proc.stdout

        posts = len(tdb.store_calls)
        proc = run("submit", env=env)
        assert proc.returncode == 0 and "nothing to submit" in proc.stdout
        assert len(tdb.store_calls) == posts  # nothing sent twice

        wrong = {**env, "LOVEMACHINE_TDB_TOKEN": "wrong"}
        store = SqlStore(make_engine(database_url))
        try:
            listing = make_listing("L9")
            store.record_decisions(
                [(listing, make_decision(listing, Action.HIDE, category="cash", score=0.99))]
            )
        finally:
            store.dispose()
        proc = run("submit", env=wrong)
        assert proc.returncode != 0 and "token refused" in proc.stdout
