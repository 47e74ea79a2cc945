"""The real CS tool app on a free port of 127.0.0.1, served by uvicorn on a background thread."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import uvicorn


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerThread:
    """``with ServerThread(app) as server: server.url``: uvicorn in a thread, stopped on exit."""

    def __init__(self, app: Any, *, port: int | None = None) -> None:
        self.port = port or free_port()
        # proxy_headers=False: X-Forwarded-For counts only from Settings.trusted_proxies (the app's own)
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on", proxy_headers=False
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="cstool-api", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("the CS tool server thread died while starting (see the log above)")
            if time.monotonic() > deadline:
                raise RuntimeError("the CS tool server did not start within 30 s")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
