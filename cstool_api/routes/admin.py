"""Admin: staff accounts, bearer API tokens for integrations, and the live model alias."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from cstool_api.deps import Admin, StateDep
from cstool_api.errors import ApiError
from cstool_api.responses import (
    AliasOut,
    ModelPage,
    StaffOut,
    StaffPage,
    TokenCreated,
    TokenOut,
    TokenPage,
    errors,
)
from cstool_api.routes.params import Cursor, Id, Limit
from cstool_api.schemas import AliasIn, StaffIn, StaffPatch, TokenIn, page_out, staff_out, token_out, ts
from cstool_api.security import new_api_token, sha256_hex
from lovemachine.registry.aliases import ALIASES
from lovemachine.review import NotFoundError
from lovemachine.review.cursor import decode_cursor, encode_cursor

router = APIRouter(tags=["admin"])
# checked in set_alias (422); the enum tells the OpenAPI document
AliasName = Annotated[str, Path(json_schema_extra={"enum": [a.value for a in ALIASES]})]


# --------------------------------------------------------------------------- staff
@router.get("/staff", summary="Staff accounts, by username", response_model=StaffPage)
def list_staff(principal: Admin, state: StateDep, limit: Limit = 50, cursor: Cursor = None) -> dict[str, Any]:
    page = state.store.list_staff(limit=limit, cursor=cursor)
    return page_out([staff_out(m) for m in page.items], page.next_cursor)


@router.post(
    "/staff",
    status_code=201,
    summary="Add a staff member; audited",
    response_model=StaffOut,
    responses=errors(409, e409="The username is taken (exists)"),
)
def create_staff(body: StaffIn, principal: Admin, state: StateDep) -> dict[str, Any]:
    member = state.store.create_staff(
        username=body.username,
        password_hash=state.passwords.hash(body.password),
        role=body.role,
        actor=principal.name,
    )
    return staff_out(member)


@router.patch(
    "/staff/{username}",
    summary="Change role, active flag or password; audited",
    response_model=StaffOut,
    responses=errors(404, 409, e409="You cannot deactivate or demote yourself (self)"),
)
def update_staff(username: str, body: StaffPatch, principal: Admin, state: StateDep) -> dict[str, Any]:
    if username == principal.name and (body.active is False or (body.role not in (None, "admin"))):
        raise ApiError(409, "self", "you cannot deactivate or demote yourself; ask another admin")
    member = state.store.update_staff(
        username,
        actor=principal.name,
        role=body.role,
        active=body.active,
        password_hash=state.passwords.hash(body.password) if body.password is not None else None,
    )
    return staff_out(member)


# --------------------------------------------------------------------------- tokens
@router.get("/tokens", summary="API tokens (never the secret itself)", response_model=TokenPage)
def list_tokens(
    principal: Admin, state: StateDep, limit: Limit = 50, cursor: Cursor = None
) -> dict[str, Any]:
    page = state.store.list_api_tokens(limit=limit, cursor=cursor)
    return page_out([token_out(t) for t in page.items], page.next_cursor)


@router.post(
    "/tokens",
    status_code=201,
    summary="Create a scoped API token; the secret is shown only now",
    response_model=TokenCreated,
)
def create_token(body: TokenIn, principal: Admin, state: StateDep) -> dict[str, Any]:
    secret = new_api_token()
    token = state.store.create_api_token(
        name=body.name,
        token_sha256=sha256_hex(secret),
        prefix=secret[:12],
        scopes=body.scopes,
        actor=principal.name,
    )
    return {**token_out(token), "token": secret}


@router.delete(
    "/tokens/{token_id}",
    summary="Revoke a token (at once; idempotent)",
    response_model=TokenOut,
    responses=errors(404),
)
def revoke_token(token_id: Id, principal: Admin, state: StateDep) -> dict[str, Any]:
    return token_out(state.store.revoke_api_token(token_id, actor=principal.name))


# --------------------------------------------------------------------------- models
@router.get(
    "/models", summary="Registered model versions with their aliases, newest first", response_model=ModelPage
)
def list_models(
    principal: Admin, state: StateDep, limit: Limit = 50, cursor: Cursor = None
) -> dict[str, Any]:
    versions = list(reversed(state.store.list_model_versions()))
    aliases: dict[str, list[str]] = {}
    for alias in ALIASES:
        record = state.store.get_alias(alias)
        if record is not None:
            aliases.setdefault(record.version, []).append(alias)
    start = decode_cursor(cursor, [int])[0] if cursor else 0
    chunk = versions[start : start + limit]
    more = start + limit < len(versions)
    items = [
        {
            "version": v.version,
            "name": v.name,
            "created_at": ts(v.created_at),
            "aliases": aliases.get(v.version, []),
            "thresholds": v.thresholds,
            "metrics": v.metrics,
        }
        for v in chunk
    ]
    return page_out(items, encode_cursor([start + limit]) if more else None)


@router.put(
    "/models/aliases/{alias}",
    summary="Point an alias (e.g. champion) at a version; audited",
    response_model=AliasOut,
    responses=errors(404, e404="No such model version"),
)
def set_alias(alias: AliasName, body: AliasIn, principal: Admin, state: StateDep) -> dict[str, Any]:
    if alias not in ALIASES:
        raise ApiError(422, "validation", "alias must be 'champion' or 'challenger'")
    try:
        state.store.set_alias(alias, body.version, actor=principal.name, reason=body.reason)
    except LookupError:
        raise NotFoundError(f"unknown model version {body.version!r}") from None
    return {"alias": alias, "version": body.version}
