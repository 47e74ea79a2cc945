"""One error format for every 4xx and 5xx: ``{"error": {"code", "message", "details"}}``.

Routes raise :class:`ApiError` (or let a coded ``ReviewError`` from the store through); the handlers
below also turn FastAPI's validation errors, Starlette's HTTP errors (unknown route, wrong method)
and any unexpected exception into the same shape, so clients parse exactly one thing.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from lovemachine.review.cursor import InvalidCursorError
from lovemachine.review.records import AlreadyExistsError, ConflictError, NotFoundError, ReviewError

log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation",
    429: "rate_limited",
    503: "unavailable",
}


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers


def error_response(
    status: int, code: str, message: str, details: Any = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "details": details}}
    return JSONResponse(body, status_code=status, headers=headers)


FORBIDDEN_CODES = frozenset({"own_decision"})
"""Refusals about who asks, not what: an appeal decided by the person who made the decision."""


def _status_of(exc: ReviewError) -> int:
    if exc.code in FORBIDDEN_CODES:
        return 403
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, ConflictError | AlreadyExistsError):
        return 409
    return 422


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)

    @app.exception_handler(ReviewError)
    async def _review_error(_request: Request, exc: ReviewError) -> JSONResponse:
        return error_response(_status_of(exc), exc.code, str(exc), exc.details)

    @app.exception_handler(InvalidCursorError)
    async def _cursor_error(_request: Request, exc: InvalidCursorError) -> JSONResponse:
        return error_response(422, exc.code, str(exc), {"field": "cursor"})

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", "")), "type": e.get("type")}
            for e in exc.errors()
        ]
        summary = "; ".join(f"{'.'.join(d['loc'][1:] or d['loc'])}: {d['msg']}" for d in details[:5])
        return error_response(422, "validation", f"invalid request: {summary}", details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "error")
        message = exc.detail if isinstance(exc.detail, str) else code
        return error_response(exc.status_code, code, message, None, getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error: %s", exc)
        return error_response(500, "internal", "internal server error; the error was logged")
