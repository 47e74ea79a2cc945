"""Issue 10 items 10 and 12 through a REAL uvicorn server (the TestClient bypasses the server, and
these are about what the server and the app do together): request bodies are limited before they are
read or parsed, password checks are bounded, a 64-bit overflow does not reset the kept-alive
connection, and ``lovemachine serve`` trusts ``X-Forwarded-For`` only from the configured proxies and
marks cookies Secure unless told not to, also on 127.0.0.1."""

from __future__ import annotations

import http.client
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI

from cstool_api import create_app
from cstool_api.security import new_api_token, sha256_hex
from lovemachine.adapters.local_broker import LocalBroker
from lovemachine.adapters.sql import SqlStore, make_engine
from lovemachine.adapters.sql.migrate import upgrade
from lovemachine.config import Settings
from tests.api.conftest import FAST_HASHER, PASSWORD
from tests.browser.server import ServerThread, free_port

pytestmark = pytest.mark.timeout(180)
MB = 1_000_000
LOVEMACHINE = str(Path(sys.executable).with_name("lovemachine"))


@pytest.fixture
def server(app: FastAPI) -> Iterator[ServerThread]:
    with ServerThread(app) as s:
        yield s


def read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    response = http.client.HTTPResponse(sock, method="POST")
    response.begin()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()


def assert_too_large(status: int, body: bytes) -> None:
    assert status == 413, (status, body[:300])
    error = json.loads(body)["error"]
    assert error["code"] == "too_large" and error["details"]["max_bytes"] >= 1024, error


# --------------------------------------------------------------------------- body size (item 10)
def test_large_bodies_get_413_before_auth_and_parsing(server: ServerThread) -> None:
    # 10 MB, really sent, to an endpoint that needs a token: 413, not 401 after parsing it
    with httpx.Client(base_url=server.url, trust_env=False, timeout=30) as client:
        big = json.dumps({"listing_id": "L1", "reporter_id": "u", "reason": "x" * (10 * MB)})
        r = client.post("/api/v1/reports", content=big, headers={"Content-Type": "application/json"})
        assert_too_large(r.status_code, r.content)
        ok = client.post("/api/v1/session", json={"username": "ghost", "password": "x" * 100})
        assert ok.status_code == 401  # bodies under the limit are served as before

    # 50 MB announced: refused from the headers alone, without waiting for a byte of the body
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(
            b"POST /api/v1/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 50000000\r\n\r\n"
        )
        status, _headers, body = read_response(sock)
        assert_too_large(status, body)


def test_a_chunked_body_is_counted_and_cut_off(server: ServerThread) -> None:
    chunk = b"x" * 65536
    sent = 0
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(
            b"POST /api/v1/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        try:
            while sent < 50 * MB and not select.select([sock], [], [], 0)[0]:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
            if sent >= 50 * MB:
                sock.sendall(b"0\r\n\r\n")  # the end of the body: the server read all of it
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server stopped reading and answered
        status, _headers, body = read_response(sock)
    assert_too_large(status, body)
    assert sent < 50 * MB, "the whole 50 MB were read before the answer"


# --------------------------------------------------------------------------- password checks (item 10)
class CountingHasher(PasswordHasher):
    """The real argon2id hasher, counting how many verifications run at once. Each one also holds
    its slot for ``hold_s`` more, standing in for the production cost (64 MiB, ~0.1-0.5 s) so that
    overlaps show without 40 x 64 MiB of memory."""

    def __init__(self, hold_s: float = 0.2) -> None:
        super().__init__(time_cost=1, memory_cost=8192, parallelism=1)
        self.hold_s = hold_s
        self.lock = threading.Lock()
        self.active = self.peak = self.calls = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        with self.lock:
            self.active += 1
            self.calls += 1
            self.peak = max(self.peak, self.active)
        try:
            time.sleep(self.hold_s)
            return super().verify(hash, password)
        finally:
            with self.lock:
                self.active -= 1


def test_parallel_sign_ins_run_a_bounded_number_of_password_checks(
    database_url: str, store: SqlStore, broker: LocalBroker
) -> None:
    bound = 2
    settings = Settings(
        database_url=database_url, cookie_secure=False, broker="local", password_checks_concurrent=bound
    )
    hasher = CountingHasher()
    app = create_app(settings, store=store, broker=broker, password_hasher=hasher)
    hashed = hasher.hash(PASSWORD)
    for i in range(20):
        store.create_staff(username=f"staff{i}", password_hash=hashed, role="agent", actor="test")
    hasher.calls = 0
    # half are known users with a wrong password, half unknown users (a dummy check): all bounded
    attempts = [(f"staff{i // 2}" if i % 2 else f"ghost{i}", "wrong password") for i in range(40)]
    results: list[httpx.Response | BaseException | None] = [None] * len(attempts)
    with ServerThread(app) as server:
        barrier = threading.Barrier(len(attempts))

        def attempt(i: int) -> None:
            username, password = attempts[i]
            try:
                with httpx.Client(base_url=server.url, trust_env=False, timeout=60) as client:
                    barrier.wait()
                    results[i] = client.post(
                        "/api/v1/session", json={"username": username, "password": password}
                    )
            except BaseException as exc:  # checked below
                results[i] = exc

        threads = [threading.Thread(target=attempt, args=(i,)) for i in range(len(attempts))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        responses = [r for r in results if isinstance(r, httpx.Response)]
        assert len(responses) == len(attempts), [r for r in results if not isinstance(r, httpx.Response)]
        statuses = [r.status_code for r in responses]
        assert hasher.peak <= bound, f"{hasher.peak} password checks ran at once; the bound is {bound}"
        assert set(statuses) <= {401, 503}, statuses
        busy = [r for r in responses if r.status_code == 503]
        assert busy, "all 40 were queued: the wait for a password check is not bounded"
        for r in busy:
            assert int(r.headers["Retry-After"]) >= 1 and r.json()["error"]["code"] == "unavailable"
        assert statuses.count(401) == hasher.calls  # every answered attempt cost exactly one check
        with httpx.Client(base_url=server.url, trust_env=False, timeout=30) as client:
            assert client.get("/healthz").status_code == 200
            r = client.post("/api/v1/session", json={"username": "staff0", "password": PASSWORD})
            assert r.status_code == 200, r.text


# --------------------------------------------------------------------------- 64-bit ints (item 12)
def test_a_huge_path_integer_gives_422_and_keeps_the_connection(
    server: ServerThread, store: SqlStore
) -> None:
    secret = new_api_token()
    store.create_api_token(
        name="t", token_sha256=sha256_hex(secret), prefix=secret[:12], scopes=["items:read"], actor="test"
    )
    headers = {"Authorization": f"Bearer {secret}"}
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request("GET", f"/api/v1/items/{2**70}", headers=headers)
        first = conn.getresponse()
        body = first.read()
        assert first.status == 422, body
        assert json.loads(body)["error"]["code"] == "validation"
        sock = conn.sock
        assert sock is not None
        conn.request("GET", "/api/v1/items/1", headers=headers)
        second = conn.getresponse()
        second.read()
        assert second.status == 404
        assert conn.sock is sock, "the kept-alive connection was closed"
    finally:
        conn.close()


# --------------------------------------------------------------------------- lovemachine serve
@contextmanager
def lovemachine_serve(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[Any]:
    """``lovemachine serve`` in a subprocess on a free port of 127.0.0.1 over a SQLite database with
    the staff member ann; yields (base url, path of its output)."""
    url = f"sqlite:///{tmp_path / 'cs.db'}"
    upgrade(url)
    store = SqlStore(make_engine(url))
    try:
        store.create_staff(username="ann", password_hash=FAST_HASHER.hash(PASSWORD), role="agent", actor="t")
    finally:
        store.dispose()
    port = free_port()
    environ = {
        k: v for k, v in os.environ.items() if not k.startswith("LOVEMACHINE_") and k != "FORWARDED_ALLOW_IPS"
    }
    environ.update(env or {})
    log = tmp_path / "serve.log"
    command = [LOVEMACHINE, "serve", "--host", "127.0.0.1", "--port", str(port), "--database-url", url]
    with log.open("w") as out:
        proc = subprocess.Popen([*command, *args], env=environ, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "lovemachine serve did not start: " + log.read_text()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}", log
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def set_cookies(r: httpx.Response) -> dict[str, str]:
    return {h.split("=", 1)[0]: h.lower() for h in r.headers.get_list("set-cookie")}


def fail_sign_ins(client: httpx.Client, n: int, forwarded_for: str) -> list[int]:
    return [
        client.post(
            "/api/v1/session",
            json={"username": "ann", "password": "wrong password"},
            headers={"X-Forwarded-For": forwarded_for},
        ).status_code
        for _ in range(n)
    ]


@pytest.mark.integration
def test_serve_ignores_forged_forwarded_for_and_marks_cookies_secure_on_loopback(tmp_path: Path) -> None:
    with lovemachine_serve(tmp_path) as (url, _log), httpx.Client(base_url=url, trust_env=False) as client:
        r = client.post("/api/v1/session", json={"username": "ann", "password": PASSWORD})
        assert r.status_code == 200, r.text
        cookies = set_cookies(r)
        assert "; secure" in cookies["lm_session"] and "; secure" in cookies["lm_csrf"], cookies
        # an attacker on a non-trusted address cannot pick a fresh throttle key with a forged header
        assert fail_sign_ins(client, 5, "203.0.113.1") == [401] * 5
        assert fail_sign_ins(client, 1, "198.51.100.2") == [429]


@pytest.mark.integration
def test_serve_behind_a_trusted_proxy_keys_on_the_forwarded_client(tmp_path: Path) -> None:
    env = {"LOVEMACHINE_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8"}
    with (
        lovemachine_serve(tmp_path, "--no-cookie-secure", env=env) as (url, log),
        httpx.Client(base_url=url, trust_env=False) as client,
    ):
        r = client.post("/api/v1/session", json={"username": "ann", "password": PASSWORD})
        assert r.status_code == 200, r.text
        assert "secure" not in set_cookies(r)["lm_session"]  # turned off explicitly
        assert fail_sign_ins(client, 6, "203.0.113.1") == [401] * 5 + [429]
        # another client behind the same proxy is not locked out by the first one
        assert fail_sign_ins(client, 1, "198.51.100.2") == [401]
        # the proxy appends what it saw; what the client wrote before that is not trusted
        assert fail_sign_ins(client, 1, "198.51.100.2, 203.0.113.1") == [429]
    assert "not marked Secure" in log.read_text()
