"""The OpenAPI document and the ``/docs`` page.

:func:`install_openapi` completes what FastAPI derives from the routes, in one place, from the
same dependencies that enforce access (``cstool_api.deps.allow(role, scope=...)``), so the document
cannot drift from what the server does:

* **security**: the session cookie (``lm_session``) with, on mutating methods, the CSRF header
  (``X-CSRF-Token``), both required together; and the bearer token where a scope admits tokens. The
  requirement lists the role (for the cookie) or the scope (for the token) that the route needs.
* **401 and 403** on every operation that needs a caller, in the one error body.
* **400** and **413** on every operation with a body: FastAPI's answer to one it cannot decode (not
  UTF-8), and ``cstool_api.middleware.RequestGuard``'s to one over ``max_body_bytes``.
* **422** in the shape the server sends (:class:`~cstool_api.responses.ValidationErrorOut`), instead of
  FastAPI's ``HTTPValidationError``, which the error handlers never send; on every operation, since
  ``RequestGuard`` refuses a NUL character anywhere in a request (a header, a cookie) with it.

Route-specific statuses (404, 409, 429, ...) are declared on the routes with
:func:`cstool_api.responses.errors`.

:func:`install_docs` serves Swagger UI from the ``fastapi-offline`` package's copy under
``/docs-assets`` (no CDN), with a Content-Security-Policy that admits only this origin's scripts and
the page's one inline script by its hash.
"""

from __future__ import annotations

import base64
import hashlib
import inspect
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.staticfiles import StaticFiles
from pydantic.json_schema import models_json_schema

from cstool_api import deps
from cstool_api.responses import ERROR_DESCRIPTIONS, ErrorOut, ValidationErrorOut

SESSION_SCHEME = "staffSession"
CSRF_SCHEME = "csrfToken"
TOKEN_SCHEME = "apiToken"
SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    SESSION_SCHEME: {
        "type": "apiKey",
        "in": "cookie",
        "name": deps.SESSION_COOKIE,
        "description": "Staff: the session cookie set by POST /api/v1/session. The requirement lists the "
        "least role the operation needs (agent < lead < admin).",
    },
    CSRF_SCHEME: {
        "type": "apiKey",
        "in": "header",
        "name": deps.CSRF_HEADER,
        "description": "Staff, on every mutating request: the csrf_token from sign-in or GET /api/v1/me "
        "(also in the lm_csrf cookie); else 403 csrf.",
    },
    TOKEN_SCHEME: {
        "type": "http",
        "scheme": "bearer",
        "description": "Integrations: Authorization: Bearer lmt_... An admin creates the token; the "
        "requirement lists the scope the operation needs.",
    },
}
REF = "#/components/schemas/"
_ALLOW = f"{deps.allow.__qualname__}.<locals>.dependency"


@dataclass(frozen=True)
class Access:
    """Who may call a route: staff of at least ``role`` (None: no staff), tokens with ``scope``
    (None: no token; ``"*"``: any token)."""

    role: str | None
    scope: str | None


def _walk(dependant: Dependant) -> Iterator[Dependant]:
    for dep in dependant.dependencies:
        yield dep
        yield from _walk(dep)


def route_access(dependant: Dependant) -> Access | None:
    """The access a route's dependencies enforce, or None for a route open to anyone."""
    authenticated = False
    for dep in _walk(dependant):
        call = dep.call
        if call is deps.authenticate:
            authenticated = True
        elif (
            getattr(call, "__module__", None) == deps.__name__ and getattr(call, "__qualname__", "") == _ALLOW
        ):
            assert call is not None
            bound = inspect.getclosurevars(call).nonlocals
            return Access(role=bound["role"], scope=bound["scope"])
    return Access(role="agent", scope="*") if authenticated else None


def _security(access: Access, method: str) -> list[dict[str, list[str]]]:
    requirements: list[dict[str, list[str]]] = []
    if access.role is not None:
        staff = {SESSION_SCHEME: [access.role]}
        if method.upper() not in deps.SAFE_METHODS:
            staff[CSRF_SCHEME] = []
        requirements.append(staff)
    if access.scope is not None:
        requirements.append({TOKEN_SCHEME: [] if access.scope == "*" else [access.scope]})
    return requirements


def _error_response(model: type[ErrorOut | ValidationErrorOut], description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"{REF}{model.__name__}"}}},
    }


def complete(app: FastAPI, schema: dict[str, Any]) -> dict[str, Any]:
    """Add security, 401/403 and the real 422 body to ``schema`` (FastAPI's document of ``app``)."""
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    _, defs = models_json_schema(
        [(ErrorOut, "serialization"), (ValidationErrorOut, "serialization")],
        ref_template=REF + "{model}",
    )
    for name, definition in defs.get("$defs", {}).items():
        schemas.setdefault(name, definition)
    components["securitySchemes"] = SECURITY_SCHEMES

    for route in iter_route_contexts(app.routes):  # included routers too, with their prefixes
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
            continue
        access = route_access(route.dependant)
        for method in route.methods or ():
            op = schema["paths"].get(route.path_format, {}).get(method.lower())
            if op is None:
                continue
            responses = op.setdefault("responses", {})
            if access is not None:
                op["security"] = _security(access, method)
                for status in (401, 403):
                    responses.setdefault(str(status), _error_response(ErrorOut, ERROR_DESCRIPTIONS[status]))
            if "requestBody" in op:
                # FastAPI's answer to a body it cannot decode (e.g. not UTF-8); RequestGuard's to a big one
                responses.setdefault("400", _error_response(ErrorOut, ERROR_DESCRIPTIONS[400]))
                responses.setdefault("413", _error_response(ErrorOut, ERROR_DESCRIPTIONS[413]))
            # every operation: RequestGuard refuses a NUL character anywhere in a request with a 422
            description = responses.get("422", {}).get("description") or ERROR_DESCRIPTIONS[422]
            if description == "Validation Error":  # FastAPI's wording, for its own shape
                description = ERROR_DESCRIPTIONS[422]
            responses["422"] = _error_response(ValidationErrorOut, description)
            op["responses"] = dict(sorted(responses.items()))

    text = repr(schema["paths"])
    for unused in ("HTTPValidationError", "ValidationError"):
        if f"{REF}{unused}'" not in text:
            schemas.pop(unused, None)
    return schema


def install_openapi(app: FastAPI) -> None:
    """Make ``app.openapi()`` (and ``/openapi.json``) return the completed document."""
    derive = app.openapi  # FastAPI's: cached, rebuilt when routes are added
    completed: list[dict[str, Any]] = []  # the document last completed (held, so compared by identity)

    def openapi() -> dict[str, Any]:
        schema = derive()
        if not completed or completed[0] is not schema:
            complete(app, schema)
            completed[:] = [schema]
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


# --------------------------------------------------------------------------- /docs
DOCS_ASSETS = "/docs-assets"
ASSETS_DIR = Path(fastapi_offline.__file__).resolve().parent / "static"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def docs_csp(html: str) -> str:
    """The page's policy: scripts from this origin plus its inline ones by hash; nothing from elsewhere
    (Swagger UI's stylesheet draws its icons as data: images)."""
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'"
        for s in _INLINE_SCRIPT.findall(html)
    )
    return (
        f"default-src 'none'; script-src 'self' {hashes}; style-src 'self'; "
        "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
        "frame-ancestors 'none'; form-action 'self'"
    )


def install_docs(app: FastAPI, *, url: str = "/docs") -> None:
    """Swagger UI at ``url`` with its assets served by this app (call with FastAPI(docs_url=None))."""
    app.mount(DOCS_ASSETS, StaticFiles(directory=ASSETS_DIR), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get(url, include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        page = get_swagger_ui_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{app.title} - API",
            swagger_js_url=f"{root}{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{root}{DOCS_ASSETS}/favicon.png",
            oauth2_redirect_url=None,
            swagger_ui_parameters={"validatorUrl": None, **(app.swagger_ui_parameters or {})},
        )
        html = bytes(page.body).decode()
        return HTMLResponse(
            html, headers={"Content-Security-Policy": docs_csp(html), "Cache-Control": "no-cache"}
        )
