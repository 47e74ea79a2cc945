"""``lovemachine demo --serve``'s last step: the CS tool on the demo's database, signed in over HTTP.

The whole demo (training, worker) is covered by ``test_cli.py``; here the serve step runs on a small
SQLite database holding real decisions recorded through the store (which opens the review items, as
the worker's decisions do), in a thread, on a port that falls back because the asked one is taken.
"""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from demo.serve import PASSWORD_ENV, DemoCsTool, demo_passwords, serve_demo_cstool
from demo.slice import demo_settings
from lovemachine.adapters.sql import SqlStore, make_engine
from lovemachine.adapters.sql.migrate import upgrade
from lovemachine.policy import Action
from tests.api.conftest import MODEL, Seeder

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@pytest.fixture
def demo_home(tmp_path: Path) -> Iterator[Path]:
    """A demo directory whose database holds a champion's decisions: 4 reports, 2 hides, 6 allows."""
    home = tmp_path / "demo"
    home.mkdir()
    url = demo_settings(home, "local").database_url
    upgrade(url)
    store = SqlStore(make_engine(url))
    try:
        seeder = Seeder(store)
        store.set_alias("champion", MODEL, actor="test", reason="the demo's model")
        for score in (0.7, 0.8, 0.9):
            seeder.decide("counterfeit", score, Action.REPORT)
        seeder.decide("adult", 0.75, Action.REPORT)
        for score in (0.97, 0.99):
            seeder.decide("cash", score, Action.HIDE)
        for i, category in enumerate(["counterfeit", "adult", "cash", "keyword_stuffing", None, None]):
            seeder.decide(category, 0.5 - i * 0.05, Action.ALLOW)
        yield home
    finally:
        store.dispose()


def test_demo_serve_step_signs_in_and_shows_filled_queues(
    demo_home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    ready, stop = threading.Event(), threading.Event()
    result: list[DemoCsTool | BaseException] = []

    def serve(port: int) -> None:
        try:
            result.append(
                serve_demo_cstool(demo_settings(demo_home, "pubsub"), port=port, ready=ready, stop=stop)
            )
        except BaseException as exc:  # handed to the test thread
            result.append(exc)

    with socket.socket() as taken:  # the asked port is busy: the step must fall back to a free one
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        thread = threading.Thread(target=serve, args=(busy,), daemon=True)
        thread.start()
        try:
            assert ready.wait(60) or not thread.is_alive(), "the CS tool did not start within 60 s"
            assert not result, f"the serve step ended early: {result!r}"
            printed = ANSI.sub("", capsys.readouterr().err)

            found = re.search(r"CS tool running at (http://127\.0\.0\.1:(\d+)/)", printed)
            assert found, printed
            url, port = found.group(1), int(found.group(2))
            assert port != busy and f"port {busy} is taken" in printed
            logins = dict(re.findall(r"sign in as (\S+)\s+password (\S+)", printed))
            assert set(logins) == {"demo-lead", "demo-agent"}, printed
            assert all(len(p) >= 12 for p in logins.values()) and len(set(logins.values())) == 2

            with httpx.Client(base_url=url, trust_env=False, timeout=10) as client:
                wrong = client.post("/api/v1/session", json={"username": "demo-lead", "password": "x" * 12})
                assert wrong.status_code == 401
                signed = client.post(
                    "/api/v1/session", json={"username": "demo-lead", "password": logins["demo-lead"]}
                )
                assert signed.status_code == 200, signed.text
                assert signed.json()["user"] == {"username": "demo-lead", "role": "lead"}
                queues = client.get("/api/v1/queues")
                assert queues.status_code == 200, queues.text
                open_items = {q["queue"]: q["open"] for q in queues.json()["items"]}
                assert open_items.get("counterfeit") == 3 and open_items.get("adult") == 1
                assert open_items.get("cash") == 2  # the auto-hides, for CS to confirm or restore
                assert open_items.get("user_reports") == 6, open_items
                reported = client.get("/api/v1/queues/user_reports/items").json()["items"]
                assert all(1 <= r["reporters"] <= 3 for r in reported)
                assert {"L0005", "L0006"} <= {r["listing_id"] for r in reported}  # the hides got reports too
                assert client.get("/").status_code == 200
            with httpx.Client(base_url=url, trust_env=False, timeout=10) as agent:
                signed = agent.post(
                    "/api/v1/session", json={"username": "demo-agent", "password": logins["demo-agent"]}
                )
                assert signed.status_code == 200 and signed.json()["user"]["role"] == "agent"
            assert (
                "open review items: counterfeit 3 · adult 1 · cash 2 · keyword_stuffing 0 · user_reports 6"
                in printed
            )
        finally:
            stop.set()
            thread.join(30)
    assert not thread.is_alive(), "the CS tool did not stop"
    (info,) = result
    assert isinstance(info, DemoCsTool), info
    assert info.url == url and info.logins == logins and info.open_items["user_reports"] == 6
    assert "CS tool stopped" in capsys.readouterr().err


def test_demo_password_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import typer

    monkeypatch.setenv(PASSWORD_ENV, "the demo password")
    assert demo_passwords(["a", "b"]) == {"a": "the demo password", "b": "the demo password"}
    monkeypatch.setenv(PASSWORD_ENV, "short")
    with pytest.raises(typer.Exit):
        demo_passwords(["a"])
    monkeypatch.delenv(PASSWORD_ENV)
    first, second = demo_passwords(["a"]), demo_passwords(["a"])
    assert first != second and len(first["a"]) == 12
