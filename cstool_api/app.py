"""The app factory: ``create_app(settings=None, store=None, broker=None)``.

A composition root like ``workers/bootstrap``: what it is not given it builds from Settings (the SQL
store on ``settings.database_url``, the broker named by ``settings.broker``) and then owns, closing
it on shutdown. Tests hand in their own store and broker. The web page, when ``cstool_api/web/``
exists, is served at ``/`` (``index.html``) and ``/static/*``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from argon2 import PasswordHasher
from fastapi import FastAPI, Request, Response
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

from cstool_api.errors import install_error_handlers
from cstool_api.metrics import router as metrics_router
from cstool_api.middleware import install_request_limits
from cstool_api.openapi import install_docs, install_openapi
from cstool_api.routes import admin, appeals, deploy, images, review, rules, session
from cstool_api.routes.misc import health_router, router as misc_router
from cstool_api.routes.training import router as training_router
from cstool_api.security import LoginThrottle, Passwords
from cstool_api.state import AppState
from lovemachine.adapters.brokers import make_broker, topology_from
from lovemachine.adapters.sql import SqlStore, make_engine
from lovemachine.config import Settings
from lovemachine.ports import Broker, CsToolStore

log = logging.getLogger(__name__)
WEB_DIR = Path(__file__).resolve().parent / "web"
API_PREFIX = "/api/v1"

PLACEHOLDER = """<!doctype html><meta charset="utf-8"><title>Lovemachine CS tool</title>
<p>The CS tool's web page is not installed. The API is at <a href="/docs">/docs</a>.</p>"""


# The page runs only its own scripts and styles, and loads listing images through the tool
# (routes/images.py), never from a seller's host.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def create_app(
    settings: Settings | None = None,
    store: CsToolStore | None = None,
    broker: Broker | None = None,
    *,
    password_hasher: PasswordHasher | None = None,
    web_dir: Path | None = WEB_DIR,
) -> FastAPI:
    """Build the CS tool. ``password_hasher``: argon2 parameters (tests pass cheaper ones)."""
    settings = settings or Settings()
    owns_broker = broker is None
    owned_store: SqlStore | None = None  # the composition root: built here, closed on shutdown
    if store is None:
        store = owned_store = SqlStore(
            make_engine(settings.database_url), model_name=settings.model_name, dsa=settings.dsa_policy()
        )
    broker = broker or make_broker(settings)
    state = _app_state(settings, store, broker, password_hasher)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            broker.ensure_topology(topology_from(settings))
        except Exception as exc:  # the outbox keeps actions until the broker is back
            log.warning("could not ensure the Pub/Sub topology: %s", exc)
        try:
            yield
        finally:
            if owns_broker:
                broker.close()
            if owned_store is not None:
                owned_store.dispose()
            images.close_review_images(_app.state)

    app = FastAPI(
        title="Lovemachine CS tool",
        version="1",
        description="Review queues, labels, CS rules, audit log, staff and API tokens. See docs/cstool.md.",
        lifespan=lifespan,
        docs_url=None,  # install_docs: Swagger UI from local assets, no CDN
        redoc_url=None,
    )
    app.state.lm = state
    install_error_handlers(app)
    install_request_limits(
        app, max_body_bytes=settings.max_body_bytes, trusted_proxies=settings.trusted_proxies
    )
    install_openapi(app)
    install_docs(app)

    install_security_headers(app)

    for module in (session, review, images, rules, admin, deploy, appeals):
        app.include_router(module.router, prefix=API_PREFIX)
    app.include_router(misc_router, prefix=API_PREFIX)
    app.include_router(training_router, prefix=API_PREFIX)
    app.include_router(health_router)
    app.include_router(metrics_router)
    _mount_web(app, web_dir)
    return app


def _app_state(
    settings: Settings, store: CsToolStore, broker: Broker, password_hasher: PasswordHasher | None
) -> AppState:
    return AppState(
        settings=settings,
        store=store,
        broker=broker,
        passwords=Passwords(
            password_hasher,
            max_concurrent=settings.password_checks_concurrent,
            max_waiting=settings.password_checks_waiting,
        ),
        throttle=LoginThrottle(
            max_failures=settings.login_max_failures,
            max_failures_per_address=settings.login_max_failures_per_address,
            window_s=settings.login_window_seconds,
        ),
    )


def install_security_headers(app: FastAPI) -> None:
    """nosniff, no framing, same-origin referrers everywhere; ``no-store`` on the API; the page and its
    assets revalidate (so old and new JS modules never mix) under a strict CSP."""

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        path = request.url.path
        if path.startswith("/api/"):
            response.headers.setdefault("Cache-Control", "no-store")
        elif path == "/" or path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-cache")
            response.headers.setdefault("Content-Security-Policy", PAGE_CSP)
        return response


def _mount_web(app: FastAPI, web_dir: Path | None) -> None:
    index = web_dir / "index.html" if web_dir is not None else None
    if web_dir is not None and web_dir.is_dir():
        app.mount("/static", StaticFiles(directory=web_dir), name="static")

    @app.get("/", include_in_schema=False)
    def index_page() -> Response:
        if index is not None and index.is_file():
            return FileResponse(index, headers={"Cache-Control": "no-cache"})
        return HTMLResponse(PLACEHOLDER)
