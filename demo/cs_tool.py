"""The CS tool (``cstool_api.create_app``) served on a thread for the demo loop: uvicorn on 127.0.0.1,
a free port, and signed-in API clients that send the CSRF token."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from lovemachine.config import Settings

if TYPE_CHECKING:
    import httpx

    from lovemachine.adapters.sql import SqlStore
    from lovemachine.ports import Broker

HOST = "127.0.0.1"


class CsToolServer:
    """The CS tool (``cstool_api.create_app``) under uvicorn on a thread, on 127.0.0.1, a free port."""

    def __init__(self, settings: Settings, store: SqlStore, broker: Broker) -> None:
        import uvicorn

        from cstool_api.app import create_app
        from demo.serve import bind_socket

        self.app = create_app(settings, store=store, broker=broker)
        self.sock, _ = bind_socket(HOST, 0)
        self.url = f"http://{HOST}:{int(self.sock.getsockname()[1])}"
        config = uvicorn.Config(self.app, log_level="warning", access_log=False, timeout_graceful_shutdown=5)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, name="demo-loop-cstool", daemon=True
        )
        self.clients: list[httpx.Client] = []

    def start(self, timeout: float = 30.0) -> CsToolServer:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the CS tool did not start")
            time.sleep(0.05)
        return self

    def sign_in(self, username: str, password: str) -> httpx.Client:
        """A client signed in as ``username``, sending the CSRF token on every request."""
        import httpx

        client = httpx.Client(base_url=self.url, timeout=60.0)
        self.clients.append(client)
        r = client.post("/api/v1/session", json={"username": username, "password": password})
        r.raise_for_status()
        client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        return client

    def stop(self) -> None:
        for c in self.clients:
            c.close()
        self.server.should_exit = True
        self.thread.join(timeout=15)
        self.sock.close()
