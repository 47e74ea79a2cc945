"""CS staff, their sign-in sessions and the bearer API tokens of integrations.

Secrets never reach the database in clear: passwords arrive already hashed (argon2id, by the CS
tool), and session cookies and API tokens are stored as the SHA-256 of a random 256-bit value, so a
database dump cannot be replayed. Every change a person makes is written to the audit log in the
same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.exc import IntegrityError

from lovemachine.adapters.sql._base import SqlBase, utcnow
from lovemachine.adapters.sql.records import Row
from lovemachine.adapters.sql.tables import api_tokens, staff, staff_sessions
from lovemachine.review.cursor import decode_cursor, encode_cursor
from lovemachine.review.policy import ROLES
from lovemachine.review.records import (
    AlreadyExistsError,
    ApiToken,
    NotFoundError,
    Page,
    StaffMember,
    StaffSession,
)

TOKEN_TOUCH_EVERY = timedelta(minutes=1)
"""``last_used_at`` of an API token is refreshed at most this often (a write per request is waste)."""


def _staff(row: Row) -> StaffMember:
    return StaffMember(
        username=row["username"],
        role=row["role"],
        active=bool(row["active"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _token(row: Row) -> ApiToken:
    return ApiToken(
        id=int(row["id"]),
        name=row["name"],
        prefix=row["prefix"],
        scopes=tuple(row["scopes"]),
        created_by=row["created_by"],
        created_at=row["created_at"],
        last_used_at=row["last_used_at"],
        revoked_at=row["revoked_at"],
    )


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")


class StaffStoreMixin(SqlBase):
    # ----------------------------------------------------------------------------- staff
    def create_staff(self, *, username: str, password_hash: str, role: str, actor: str) -> StaffMember:
        """Add a staff member (``AlreadyExistsError`` if the username is taken); audited as ``actor``."""
        _check_role(role)
        now = utcnow()
        try:
            with self._write() as conn:
                conn.execute(
                    staff.insert().values(
                        username=username,
                        password_hash=password_hash,
                        role=role,
                        active=True,
                        created_at=now,
                        updated_at=now,
                    )
                )
                self._audit(conn, [(actor, "staff.create", "staff", username, {"role": role})], at=now)
        except IntegrityError:
            raise AlreadyExistsError(f"staff member {username!r} already exists", code="exists") from None
        member = self.get_staff(username)
        assert member is not None
        return member

    def update_staff(
        self,
        username: str,
        *,
        actor: str,
        role: str | None = None,
        active: bool | None = None,
        password_hash: str | None = None,
    ) -> StaffMember:
        """Change role, active flag or password. Deactivating or a new password ends every session."""
        values: dict[str, object] = {}
        if role is not None:
            _check_role(role)
            values["role"] = role
        if active is not None:
            values["active"] = active
        if password_hash is not None:
            values["password_hash"] = password_hash
        now = utcnow()
        with self._write() as conn:
            if values:
                values["updated_at"] = now
                result = conn.execute(update(staff).where(staff.c.username == username).values(**values))
                if result.rowcount == 0:
                    raise NotFoundError(f"no staff member {username!r}")
            if active is False or password_hash is not None:
                conn.execute(delete(staff_sessions).where(staff_sessions.c.username == username))
            row = conn.execute(select(staff).where(staff.c.username == username)).mappings().first()
            if row is None:
                raise NotFoundError(f"no staff member {username!r}")
            detail: dict[str, object] = {
                k: v for k, v in (("role", role), ("active", active)) if v is not None
            }
            if password_hash is not None:
                detail["password_changed"] = True
            self._audit(conn, [(actor, "staff.update", "staff", username, detail)], at=now)
        return _staff(row)

    def get_staff(self, username: str) -> StaffMember | None:
        with self._read() as conn:
            row = conn.execute(select(staff).where(staff.c.username == username)).mappings().first()
        return _staff(row) if row is not None else None

    def staff_credentials(self, username: str) -> tuple[StaffMember, str] | None:
        """The member and their password hash, for sign-in only."""
        with self._read() as conn:
            row = conn.execute(select(staff).where(staff.c.username == username)).mappings().first()
        return (_staff(row), row["password_hash"]) if row is not None else None

    def set_password_hash(self, username: str, password_hash: str) -> None:
        """Replace a hash with a stronger one at sign-in (parameters upgraded; not a password change)."""
        with self._write() as conn:
            conn.execute(
                update(staff).where(staff.c.username == username).values(password_hash=password_hash)
            )

    def list_staff(self, *, limit: int = 50, cursor: str | None = None) -> Page[StaffMember]:
        query = select(staff).order_by(staff.c.username).limit(limit + 1)
        if cursor:
            (after,) = decode_cursor(cursor, [str])
            query = query.where(staff.c.username > after)
        with self._read() as conn:
            rows = [_staff(r) for r in conn.execute(query).mappings()]
        more = len(rows) > limit
        rows = rows[:limit]
        return Page(rows, encode_cursor([rows[-1].username]) if more else None)

    def count_staff(self) -> int:
        with self._read() as conn:
            return int(conn.execute(select(func.count()).select_from(staff)).scalar_one())

    # ----------------------------------------------------------------------------- sessions
    def create_session(
        self, *, session_sha256: str, username: str, csrf_token: str, expires_at: datetime
    ) -> None:
        """Store a new session (and drop expired ones, so the table stays small)."""
        now = utcnow()
        with self._write() as conn:
            conn.execute(delete(staff_sessions).where(staff_sessions.c.expires_at < now))
            conn.execute(
                staff_sessions.insert().values(
                    id=session_sha256,
                    username=username,
                    csrf_token=csrf_token,
                    created_at=now,
                    expires_at=expires_at,
                )
            )

    def get_session(self, session_sha256: str) -> StaffSession | None:
        """The live session with this hash whose member is still active, else None."""
        query = (
            select(staff_sessions.c.csrf_token, staff_sessions.c.expires_at, staff.c.username, staff.c.role)
            .join(staff, staff.c.username == staff_sessions.c.username)
            .where(
                staff_sessions.c.id == session_sha256,
                staff_sessions.c.expires_at > utcnow(),
                staff.c.active.is_(True),
            )
        )
        with self._read() as conn:
            row = conn.execute(query).mappings().first()
        if row is None:
            return None
        return StaffSession(
            username=row["username"],
            role=row["role"],
            csrf_token=row["csrf_token"],
            expires_at=row["expires_at"],
        )

    def delete_session(self, session_sha256: str) -> None:
        with self._write() as conn:
            conn.execute(delete(staff_sessions).where(staff_sessions.c.id == session_sha256))

    # ----------------------------------------------------------------------------- API tokens
    def create_api_token(
        self, *, name: str, token_sha256: str, prefix: str, scopes: Sequence[str], actor: str
    ) -> ApiToken:
        now = utcnow()
        with self._write() as conn:
            token_id = conn.execute(
                api_tokens.insert()
                .values(
                    name=name,
                    token_sha256=token_sha256,
                    prefix=prefix,
                    scopes=list(scopes),
                    created_by=actor,
                    created_at=now,
                )
                .returning(api_tokens.c.id)
            ).scalar_one()
            detail = {"name": name, "scopes": list(scopes), "prefix": prefix}
            self._audit(conn, [(actor, "token.create", "api_token", str(token_id), detail)], at=now)
            row = conn.execute(select(api_tokens).where(api_tokens.c.id == token_id)).mappings().one()
        return _token(row)

    def list_api_tokens(self, *, limit: int = 50, cursor: str | None = None) -> Page[ApiToken]:
        query = select(api_tokens).order_by(api_tokens.c.id).limit(limit + 1)
        if cursor:
            (after,) = decode_cursor(cursor, [int])
            query = query.where(api_tokens.c.id > after)
        with self._read() as conn:
            rows = [_token(r) for r in conn.execute(query).mappings()]
        more = len(rows) > limit
        rows = rows[:limit]
        return Page(rows, encode_cursor([rows[-1].id]) if more else None)

    def revoke_api_token(self, token_id: int, *, actor: str) -> ApiToken:
        """Revoke a token (idempotent: the first revocation time is kept); ``NotFoundError`` if unknown."""
        now = utcnow()
        with self._write() as conn:
            row = conn.execute(select(api_tokens).where(api_tokens.c.id == token_id)).mappings().first()
            if row is None:
                raise NotFoundError(f"no API token #{token_id}")
            if row["revoked_at"] is None:
                conn.execute(update(api_tokens).where(api_tokens.c.id == token_id).values(revoked_at=now))
                self._audit(
                    conn, [(actor, "token.revoke", "api_token", str(token_id), {"name": row["name"]})]
                )
            row = conn.execute(select(api_tokens).where(api_tokens.c.id == token_id)).mappings().one()
        return _token(row)

    def find_api_token(self, token_sha256: str) -> ApiToken | None:
        """The unrevoked token with this hash (and note that it was used), else None."""
        with self._read() as conn:
            row = (
                conn.execute(
                    select(api_tokens).where(
                        api_tokens.c.token_sha256 == token_sha256, api_tokens.c.revoked_at.is_(None)
                    )
                )
                .mappings()
                .first()
            )
        if row is None:
            return None
        token = _token(row)
        now = utcnow()
        if token.last_used_at is None or now - token.last_used_at > TOKEN_TOUCH_EVERY:
            with self._write() as conn:
                conn.execute(
                    update(api_tokens)
                    .where(and_(api_tokens.c.id == token.id, api_tokens.c.revoked_at.is_(None)))
                    .values(last_used_at=now)
                )
        return token
