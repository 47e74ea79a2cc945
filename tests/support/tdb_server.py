"""A local DSA Transparency Database: the statement endpoints of its API v1, over real HTTP.

``with running_tdb_server(token="t") as tdb:`` serves, on a free port of 127.0.0.1 (uvicorn on a
background thread), what ``digital-services-act/transparency-database`` serves to platforms:

* ``POST /api/v1/statement``: one statement; ``201`` with the statement as stored, ``422``
  ``{"message", "errors": {field: [messages]}}`` when invalid, or, for a puid the platform already
  used, ``422`` ``{"message": "The identifier given is not unique within this platform.",
  "errors": {"puid": [...]}, "existing": {"puid": ...}}`` (``PuidNotUniqueSingleException``);
* ``POST /api/v1/statements``: ``{"statements": [...]}``, 1 to 100; ``201`` ``{"statements": [...]}``;
  any invalid statement refuses the whole call, ``422`` ``{"errors": {"statement_<i>": {field:
  [messages]}}}``; a puid repeated in the call or already used refuses it with ``422``
  ``{"message": "The platform identifier(s) are not all unique within this call.", "errors":
  {"puid": [...], "existing_puids": [...]}}`` (``PuidNotUniqueMultipleException``). Nothing of a
  refused call is stored;
* ``GET /api/v1/statement/existing-puid/{puid}``: ``302`` if stored, ``404`` if not (no Location);
* every endpoint wants ``Authorization: Bearer <token>``: ``401`` ``{"message": "Unauthenticated."}``.

Statements are validated by ``TdbStatement.from_api`` (the API's rules, one implementation) and the
errors are worded by ``api_errors`` as Laravel words them. Failure injection for the retry paths:
``fail_next(n, status)`` and ``fail_next_with_retry_after(n, seconds)`` answer the next ``n`` calls
(of ``method``, if given) with that status before anything else (as a load balancer or Laravel's
throttle would: a ``429`` has ``{"message": "Too Many Attempts."}`` and ``Retry-After``);
``slow_next(n, seconds)`` delays them (then serves them); ``insert_existing(puid)`` stores a
statement that came another way, now or just before the next store call.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from json import JSONDecodeError

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from lovemachine.dsa.tdb import MAX_STATEMENTS_PER_CALL, TdbStatement, api_errors

NOT_UNIQUE_SINGLE = "The identifier given is not unique within this platform."
NOT_UNIQUE_MULTIPLE = "The platform identifier(s) are not all unique within this call."
PLATFORM_NAME = "Lovemachine test platform"

Answer = tuple[int, object, tuple[str, ...]]
"""What a handler answers: status, JSON body, and the puids the call carried (for the log)."""


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    status: int
    at: float
    """``time.monotonic()`` when the request arrived."""
    puids: tuple[str, ...] = ()
    """The puids in a store call's body (or the one checked by existing-puid)."""


@dataclass(frozen=True)
class _Injection:
    status: int | None
    method: str | None
    retry_after: float | None = None
    delay_s: float = 0.0


class TdbServer:
    """The state of a running local TDB: what it stores, what it was asked, what it will fail."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.url = ""
        self.statements: dict[str, dict[str, object]] = {}
        """Stored statements by puid, as the API returned them on creation."""
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._injections: list[_Injection] = []
        self._before_next_store: list[str] = []

    # -- test controls ------------------------------------------------------------------------------

    def fail_next(self, n: int, status: int = 503, *, method: str | None = None) -> None:
        """Answer the next ``n`` calls (of ``method``: "GET"/"POST", if given) with ``status``."""
        with self._lock:
            self._injections += [_Injection(status, method)] * n

    def fail_next_with_retry_after(
        self, n: int, seconds: float, *, method: str | None = None, status: int = 429
    ) -> None:
        """Answer the next ``n`` calls with ``429`` (or ``status``) and ``Retry-After: seconds``."""
        with self._lock:
            self._injections += [_Injection(status, method, retry_after=seconds)] * n

    def slow_next(self, n: int, seconds: float, *, method: str | None = None) -> None:
        """Wait ``seconds`` before serving each of the next ``n`` calls (they are then served)."""
        with self._lock:
            self._injections += [_Injection(None, method, delay_s=seconds)] * n

    def clear_failures(self) -> None:
        with self._lock:
            self._injections.clear()

    def insert_existing(self, puid: str, *, before_next_store: bool = False) -> None:
        """A statement for ``puid`` that reached the TDB another way (the webform, another worker):
        stored now, or just before the next store call is handled (after any existing-puid check)."""
        with self._lock:
            if before_next_store:
                self._before_next_store.append(puid)
            else:
                self._insert_other_way(puid)

    def calls(self, method: str | None = None, path: str | None = None) -> list[RecordedRequest]:
        """The recorded requests, optionally only those of ``method`` and/or to ``path``."""
        with self._lock:
            return [
                r
                for r in self.requests
                if (method is None or r.method == method) and (path is None or r.path == path)
            ]

    @property
    def store_calls(self) -> list[RecordedRequest]:
        return self.calls("POST")

    # -- the API ------------------------------------------------------------------------------------

    def app(self) -> FastAPI:
        app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

        @app.get("/api/v1/statement/existing-puid/{puid}")
        async def existing_puid(request: Request, puid: str) -> JSONResponse:
            return await self._handle(request, lambda _body: self._existing(puid))

        @app.post("/api/v1/statement")
        async def store(request: Request) -> JSONResponse:
            return await self._handle(request, self._store_one)

        @app.post("/api/v1/statements")
        async def store_many(request: Request) -> JSONResponse:
            return await self._handle(request, self._store_many)

        return app

    async def _handle(self, request: Request, handler: Callable[[object], Answer]) -> JSONResponse:
        at = time.monotonic()
        method, path = request.method, request.url.path
        injection = self._take_injection(method)
        if injection is not None and injection.delay_s:
            await asyncio.sleep(injection.delay_s)
        elif injection is not None and injection.status is not None:
            headers = {}
            if injection.retry_after is not None:
                headers["Retry-After"] = f"{injection.retry_after:g}"
            message = "Too Many Attempts." if injection.status == 429 else HTTPStatus(injection.status).phrase
            return self._answer(method, path, at, (injection.status, {"message": message}, ()), headers)
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return self._answer(method, path, at, (401, {"message": "Unauthenticated."}, ()))
        try:
            body: object = await request.json()
        except (JSONDecodeError, UnicodeDecodeError):
            body = None
        return self._answer(method, path, at, handler(body))

    def _answer(
        self, method: str, path: str, at: float, answer: Answer, headers: dict[str, str] | None = None
    ) -> JSONResponse:
        status, body, puids = answer
        with self._lock:
            self.requests.append(RecordedRequest(method, path, status, at, puids))
        return JSONResponse(body, status_code=status, headers=headers)

    def _take_injection(self, method: str) -> _Injection | None:
        with self._lock:
            for i, injection in enumerate(self._injections):
                if injection.method is None or injection.method == method:
                    return self._injections.pop(i)
        return None

    def _existing(self, puid: str) -> Answer:
        with self._lock:
            found = puid in self.statements
        if found:
            return 302, {"message": "statement of reason found", "puid": puid}, (puid,)
        return 404, {"message": "statement of reason not found", "puid": puid}, (puid,)

    def _store_one(self, body: object) -> Answer:
        payload = body if isinstance(body, dict) else {}
        puid = payload.get("puid")
        puids = (puid,) if isinstance(puid, str) else ()
        try:
            statement = TdbStatement.from_api(payload)
        except ValidationError as exc:
            return 422, _laravel_invalid(api_errors(exc)), puids
        with self._lock:
            self._arrivals()
            if statement.puid in self.statements:
                errors = {"puid": [NOT_UNIQUE_SINGLE]}
                return (
                    422,
                    {"message": NOT_UNIQUE_SINGLE, "errors": errors, "existing": {"puid": statement.puid}},
                    puids,
                )
            return 201, self._store(statement), puids

    def _store_many(self, body: object) -> Answer:
        raw = body.get("statements") if isinstance(body, dict) else None
        if not raw:
            return 422, _laravel_invalid({"statements": ["The statements field is required."]}), ()
        if not isinstance(raw, list):
            return 422, _laravel_invalid({"statements": ["The statements field must be an array."]}), ()
        puids = tuple(s["puid"] for s in raw if isinstance(s, dict) and isinstance(s.get("puid"), str))
        if len(raw) > MAX_STATEMENTS_PER_CALL:
            message = f"The statements field must have between 1 and {MAX_STATEMENTS_PER_CALL} items."
            return 422, _laravel_invalid({"statements": [message]}), puids

        errors: dict[str, object] = {}
        parsed: list[TdbStatement] = []
        for i, item in enumerate(raw):
            if not isinstance(item, dict):
                errors[f"statement_{i}"] = {"statement": ["The statement must be a JSON object."]}
                continue
            try:
                parsed.append(TdbStatement.from_api(item))
            except ValidationError as exc:
                errors[f"statement_{i}"] = api_errors(exc)
        if errors:
            return 422, {"errors": errors}, puids

        repeated = sorted(p for p, n in Counter(s.puid for s in parsed).items() if n > 1)
        if repeated:
            return 422, _not_unique_multiple(repeated), puids
        with self._lock:
            self._arrivals()
            taken = [s.puid for s in parsed if s.puid in self.statements]
            if taken:
                return 422, _not_unique_multiple(taken), puids
            return 201, {"statements": [self._store(s) for s in parsed]}, puids

    # -- storage (under the lock) -------------------------------------------------------------------

    def _arrivals(self) -> None:
        for puid in self._before_next_store:
            self._insert_other_way(puid)
        self._before_next_store.clear()

    def _insert_other_way(self, puid: str) -> None:
        self.statements.setdefault(puid, {"puid": puid, "uuid": str(uuid.uuid4()), "method": "FORM"})

    def _store(self, statement: TdbStatement) -> dict[str, object]:
        sid = str(uuid.uuid4())
        stored: dict[str, object] = {
            **statement.to_api(),
            "uuid": sid,
            "created_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S"),
            "platform_name": PLATFORM_NAME,
            "permalink": f"{self.url}/statement/{sid}",
            "self": f"{self.url}/api/v1/statement/{sid}",
            "puid": statement.puid,
        }
        self.statements[statement.puid] = stored
        return stored


def _laravel_invalid(errors: dict[str, list[str]]) -> dict[str, object]:
    """Laravel's 422 body: the first message (``"... (and 2 more errors)"``) and every error by field."""
    messages = [m for ms in errors.values() for m in ms]
    message = messages[0] if messages else "The given data was invalid."
    more = len(messages) - 1
    if more > 0:
        message += f" (and {more} more error{'s' if more > 1 else ''})"
    return {"message": message, "errors": errors}


def _not_unique_multiple(puids: list[str]) -> dict[str, object]:
    errors = {"puid": [NOT_UNIQUE_MULTIPLE], "existing_puids": puids}
    return {"message": NOT_UNIQUE_MULTIPLE, "errors": errors}


@contextmanager
def running_tdb_server(token: str = "test-token") -> Iterator[TdbServer]:
    """A ``TdbServer`` listening on 127.0.0.1 (``.url``) for the duration of the block."""
    server = TdbServer(token)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # inherited by accepted connections: without it a keep-alive answer (headers and body written
    # apart) waits out the client's delayed ACK, ~40 ms a call
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    server.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    config = uvicorn.Config(
        server.app(), log_level="warning", lifespan="off", access_log=False, timeout_graceful_shutdown=2
    )
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, name="tdb-server", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not uv.started:
            if not thread.is_alive():
                raise RuntimeError("the local TDB server thread died while starting (see the log above)")
            if time.monotonic() > deadline:
                raise RuntimeError("the local TDB server did not start within 30 s")
            time.sleep(0.01)
        yield server
    finally:
        uv.should_exit = True
        thread.join(timeout=10)
        sock.close()
