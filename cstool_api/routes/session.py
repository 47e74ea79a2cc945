"""Signing in and out: ``POST/DELETE /api/v1/session`` and ``GET /api/v1/me``."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, Response

from cstool_api.deps import CSRF_COOKIE, SESSION_COOKIE, Agent, StateDep
from cstool_api.errors import ApiError
from cstool_api.responses import MeOut, SessionOut, errors
from cstool_api.schemas import SessionIn
from cstool_api.security import PasswordsBusy, new_csrf_token, new_session_token, sha256_hex

log = logging.getLogger(__name__)
router = APIRouter(tags=["session"])
BAD_CREDENTIALS = "wrong username or password"


def _set_cookies(response: Response, state: StateDep, session_token: str, csrf_token: str) -> None:
    max_age = int(state.session_ttl.total_seconds())
    secure = state.settings.cookie_secure
    response.set_cookie(
        SESSION_COOKIE,
        session_token,
        max_age=max_age,
        httponly=True,
        secure=secure,
        samesite="strict",
        path="/",
    )
    response.set_cookie(
        CSRF_COOKIE, csrf_token, max_age=max_age, httponly=False, secure=secure, samesite="strict", path="/"
    )


@router.post(
    "/session",
    summary="Sign in (sets the lm_session and lm_csrf cookies)",
    response_model=SessionOut,
    responses=errors(
        401,
        429,
        503,
        e401="Wrong username or password (or the member is inactive)",
        e503="Too many sign-ins at once (password checks are bounded): retry after Retry-After",
    ),
)
def sign_in(body: SessionIn, request: Request, response: Response, state: StateDep) -> dict[str, Any]:
    # the peer, or the client a trusted proxy forwarded (Settings.trusted_proxies; see middleware.py)
    client = request.client.host if request.client else "-"
    wait = state.throttle.retry_after(body.username, client)
    if wait is not None:
        raise ApiError(
            429,
            "rate_limited",
            f"too many failed sign-ins; try again in {int(wait)} s",
            {"retry_after": int(wait)},
            headers={"Retry-After": str(int(wait))},
        )
    found = state.store.staff_credentials(body.username)
    # bounded: PasswordsBusy (503, Retry-After) when too many checks run and wait; unknown users
    # cost one check against a dummy hash, under the same bound
    ok = state.passwords.verify(found[1] if found else None, body.password)
    if not ok or found is None or not found[0].active:
        state.throttle.failed(body.username, client)
        raise ApiError(401, "unauthenticated", BAD_CREDENTIALS)
    member, stored_hash = found
    state.throttle.succeeded(body.username, client)
    if state.passwords.needs_rehash(stored_hash):
        try:
            state.store.set_password_hash(member.username, state.passwords.hash(body.password))
        except PasswordsBusy:  # the next sign-in rehashes; this one need not fail for it
            log.info("password checks busy: rehashing %s's password next time", member.username)
    session_token, csrf_token = new_session_token(), new_csrf_token()
    state.store.create_session(
        session_sha256=sha256_hex(session_token),
        username=member.username,
        csrf_token=csrf_token,
        expires_at=datetime.now(UTC) + state.session_ttl,
    )
    state.store.record_audit(
        actor=member.username,
        action="session.create",
        entity_type="staff",
        entity_id=member.username,
        detail={},
    )
    _set_cookies(response, state, session_token, csrf_token)
    return {"user": {"username": member.username, "role": member.role}, "csrf_token": csrf_token}


@router.delete("/session", status_code=204, summary="Sign out (ends the session, clears the cookies)")
def sign_out(principal: Agent, state: StateDep) -> Response:
    if principal.session_sha256 is not None:
        state.store.delete_session(principal.session_sha256)
    response = Response(status_code=204)
    response.delete_cookie(
        SESSION_COOKIE, path="/", secure=state.settings.cookie_secure, httponly=True, samesite="strict"
    )
    response.delete_cookie(CSRF_COOKIE, path="/", secure=state.settings.cookie_secure, samesite="strict")
    return response


@router.get(
    "/me",
    summary="Who is signed in, and the CSRF token to send on mutating requests",
    response_model=MeOut,
)
def me(principal: Agent) -> dict[str, Any]:
    return {"username": principal.name, "role": principal.role, "csrf_token": principal.csrf_token}
