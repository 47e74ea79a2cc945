"""What every request passes before the app sees it: who the client is, how big a body may be, and
no NUL characters anywhere.

* :func:`install_request_limits` adds, outermost first, uvicorn's ``ProxyHeadersMiddleware`` when
  ``Settings.trusted_proxies`` names proxies (their ``X-Forwarded-For``/``-Proto`` become the client
  address and scheme; nobody else's), then :class:`RequestGuard`. Serve the app with uvicorn's own
  proxy handling off (``proxy_headers=False``, as ``lovemachine serve`` does): uvicorn's default
  trusts the header from 127.0.0.1, which is any local process, or every client of a local proxy.
* :class:`RequestGuard` answers 413 (``too_large``) for a body over ``max_body_bytes``: at once from
  ``Content-Length``, and while reading a chunked one; nothing of it is parsed. It then answers 422
  (``validation``, the shape of every validation error) for a NUL character in the path, the query,
  a header, a cookie or the body: PostgreSQL text cannot hold one, so it would otherwise fail deep
  in the store with a 500. A JSON body is parsed and every key and string checked (``"\\u0000"``
  escapes are NULs, an escaped backslash before ``u0000`` is not); a form body is decoded; any other
  body is searched for the byte. The body is then handed on unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cstool_api.errors import error_response

NUL = "\x00"
NUL_MESSAGE = "NUL characters (\\u0000) are not allowed"
MAX_REPORTED = 5


class RequestGuard:
    """Pure ASGI middleware: body size limit (413) and NUL refusal (422); see the module doc."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_body_bytes:
            await self._too_large(scope, receive, send)
            return
        problems = list(_head_nuls(scope))
        if problems:
            await _refuse_nul(problems, scope, receive, send)
            return

        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_body_bytes:
                await self._too_large(scope, receive, send)
                return
        problems = list(_body_nuls(scope, bytes(body)))
        if problems:
            await _refuse_nul(problems, scope, receive, send)
            return

        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()  # http.disconnect, when it comes

        await self.app(scope, replay, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(
            413,
            "too_large",
            f"the request body is larger than {self.max_body_bytes:,} bytes",
            {"max_bytes": self.max_body_bytes},
            headers={"Connection": "close"},
        )
        await response(scope, receive, send)


async def _refuse_nul(problems: list[list[str]], scope: Scope, receive: Receive, send: Send) -> None:
    details = [{"loc": loc, "msg": NUL_MESSAGE, "type": "string_nul"} for loc in problems[:MAX_REPORTED]]
    summary = "; ".join(f"{'.'.join(loc[1:] or loc)}: {NUL_MESSAGE}" for loc in problems[:MAX_REPORTED])
    await error_response(422, "validation", f"invalid request: {summary}", details)(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _head_nuls(scope: Scope) -> Iterator[list[str]]:
    if NUL in scope["path"] or b"\x00" in scope.get("raw_path", b""):
        yield ["path"]
    query = scope.get("query_string", b"")
    if query:
        for key, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
            if NUL in key or NUL in value:
                yield ["query", key.replace(NUL, "")]
    for name, value in scope["headers"]:
        if b"\x00" in name or b"\x00" in value:
            yield ["header", name.decode("latin-1").replace(NUL, "")]
        elif name == b"cookie":  # cookie values may be quoted with octal escapes ("\000")
            for key, cookie in cookie_parser(value.decode("latin-1")).items():
                if NUL in key or NUL in cookie:
                    yield ["cookie", key.replace(NUL, "")]


def _media_type(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"content-type":
            return value.decode("latin-1").split(";", 1)[0].strip().lower()
    return ""


def _body_nuls(scope: Scope, body: bytes) -> Iterator[list[str]]:
    if not body:
        return
    media = _media_type(scope)
    if media in ("", "application/json") or media.endswith("+json"):
        try:
            parsed = json.loads(body)
        except (ValueError, RecursionError):  # not JSON: the app answers that itself
            if b"\x00" in body:
                yield ["body"]
            return
        yield from _json_nuls(parsed)
    elif media == "application/x-www-form-urlencoded":
        for key, value in parse_qsl(body.decode("latin-1"), keep_blank_values=True):
            if NUL in key or NUL in value:
                yield ["body", key.replace(NUL, "")]
    elif b"\x00" in body:
        yield ["body"]


def _json_nuls(document: Any) -> Iterator[list[str]]:
    """Where a key or string of a parsed JSON document holds a NUL (iteratively: depth is free)."""
    stack: list[tuple[Any, list[str]]] = [(document, ["body"])]
    while stack:
        value, loc = stack.pop()
        if isinstance(value, str):
            if NUL in value:
                yield loc
        elif isinstance(value, dict):
            for key, item in value.items():
                if NUL in key:
                    yield [*loc, key.replace(NUL, "")]
                else:
                    stack.append((item, [*loc, key]))
        elif isinstance(value, list):
            stack.extend((item, [*loc, str(i)]) for i, item in enumerate(value))


def install_request_limits(app: Any, *, max_body_bytes: int, trusted_proxies: list[str]) -> None:
    """Add :class:`RequestGuard` and, with ``trusted_proxies``, uvicorn's ``ProxyHeadersMiddleware``
    outside it (so every later layer sees the forwarded client)."""
    app.add_middleware(RequestGuard, max_body_bytes=max_body_bytes)
    if trusted_proxies:
        from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=trusted_proxies)
