"""Who is calling, and may they: the authentication and authorisation dependencies.

Two kinds of callers:

* **Staff** sign in and carry the ``lm_session`` cookie. Their role (agent < lead < admin) is read
  from the database on every request, so a demotion or deactivation takes effect at once. Every
  mutating request must also carry ``X-CSRF-Token`` equal to the session's CSRF token (which the
  page reads from the ``lm_csrf`` cookie or from ``/api/v1/me``); else 403 ``csrf``.
* **Integrations** send ``Authorization: Bearer lmt_...``. A token acts only through the scopes it
  was granted; endpoints with no scope (labelling, rules, staff...) refuse every token with 403.

Routes declare what they need with ``Annotated[Principal, Depends(allow(...))]``.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from cstool_api.errors import ApiError
from cstool_api.security import sha256_hex
from cstool_api.state import AppState
from lovemachine.review.policy import role_at_least

SESSION_COOKIE = "lm_session"
CSRF_COOKIE = "lm_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Principal:
    kind: str  # "staff" or "token"
    name: str
    role: str | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    csrf_token: str | None = None
    session_sha256: str | None = None
    token_id: int | None = None

    @property
    def actor(self) -> str:
        """How the audit log names this caller."""
        return self.name if self.kind == "staff" else f"token:{self.name}#{self.token_id}"


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.lm
    return state


StateDep = Annotated[AppState, Depends(get_state)]


def authenticate(request: Request, state: StateDep) -> Principal:
    auth = request.headers.get("authorization")
    if auth is not None:
        scheme, _, credentials = auth.partition(" ")
        if scheme.lower() != "bearer" or not credentials.strip():
            raise ApiError(401, "unauthenticated", "use 'Authorization: Bearer <token>'")
        token = state.store.find_api_token(sha256_hex(credentials.strip()))
        if token is None:
            raise ApiError(401, "unauthenticated", "unknown or revoked API token")
        return Principal("token", token.name, scopes=frozenset(token.scopes), token_id=token.id)
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise ApiError(401, "unauthenticated", "sign in first (POST /api/v1/session)")
    session_sha = sha256_hex(cookie)
    session = state.store.get_session(session_sha)
    if session is None:
        raise ApiError(401, "unauthenticated", "your session has expired; sign in again")
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not sent or not hmac.compare_digest(sent.encode(), session.csrf_token.encode()):
            raise ApiError(403, "csrf", f"missing or wrong {CSRF_HEADER} header")
    return Principal(
        "staff",
        session.username,
        role=session.role,
        csrf_token=session.csrf_token,
        session_sha256=session_sha,
    )


def allow(role: str | None = "agent", *, scope: str | None = None) -> Callable[..., Principal]:
    """A dependency admitting staff of at least ``role`` (None: no staff) and tokens with ``scope``
    (None: no token)."""

    def dependency(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if principal.kind == "token":
            if scope is None:
                raise ApiError(403, "forbidden", "API tokens cannot do this; a signed-in staff member must")
            if scope not in principal.scopes:
                raise ApiError(403, "forbidden", f"this API token lacks the scope {scope!r}")
            return principal
        if role is None:
            raise ApiError(403, "forbidden", "this endpoint is for API tokens")
        if principal.role is None or not role_at_least(principal.role, role):
            raise ApiError(403, "forbidden", f"this needs the {role} role; you are {principal.role}")
        return principal

    return dependency


Agent = Annotated[Principal, Depends(allow("agent"))]
Lead = Annotated[Principal, Depends(allow("lead"))]
Admin = Annotated[Principal, Depends(allow("admin"))]
