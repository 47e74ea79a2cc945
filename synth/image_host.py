"""A local stand-in for the marketplace's image CDN: serves ``synth.images`` photos over real HTTP.

The demo, the benchmarks and the tests point synthetic listings' ``image_urls`` at it, so the image
path (fetch bounds, pooling, the circuit breaker, open_nsfw) runs exactly as it would against a CDN.
``kinds`` maps a listing id to its photo kind and is read on every request, so listings may be added
after the host has started; an unknown listing is a 404.
"""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from synth.images import render_image

_PATH = re.compile(r"^/([^/?#]+)/(\d{1,3})\.jpg(?:\?.*)?$")


class SyntheticImageHost:
    """``GET /{listing_id}/{k}.jpg`` -> ``render_image(listing_id, k, kind=kinds[listing_id])``.

    ``with SyntheticImageHost(kinds) as host: ... host.base_url``, or ``start()`` / ``stop()``.
    Binds 127.0.0.1 on an ephemeral port; requests are served on daemon threads.
    """

    def __init__(self, kinds: Mapping[str, str], *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.kinds = kinds
        self.requests = 0
        self._count_lock = threading.Lock()
        self._addr = (host, port)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the image host is not running; call start() or use it as a context manager")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> SyntheticImageHost:
        if self._server is not None:
            return self
        server = _QuietServer(self._addr, _handler(self))
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="synthetic-image-host", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> SyntheticImageHost:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up mid-response (a fetch timed out) is not worth a traceback."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _handler(host: SyntheticImageHost) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, so the fetcher's connection pool is exercised
        disable_nagle_algorithm = True  # headers and body go out in separate writes

        def do_GET(self) -> None:
            with host._count_lock:
                host.requests += 1
            m = _PATH.match(self.path)
            kind = host.kinds.get(m.group(1)) if m else None
            if m is None or kind is None:
                self._send(404, b"not found", "text/plain")
                return
            try:
                body = render_image(m.group(1), int(m.group(2)), kind=kind)
            except ValueError:
                self._send(404, b"unknown image kind", "text/plain")
                return
            self._send(200, body, "image/jpeg")

        def _send(self, status: int, body: bytes, ctype: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "public, max-age=86400")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # quiet: the demo prints its own
            pass

    return Handler
