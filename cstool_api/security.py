"""Secrets of the CS tool: argon2id password hashes, session and API tokens, sign-in throttling.

* Passwords are hashed with argon2id (``argon2-cffi``'s RFC 9106 defaults). Signing in as an
  unknown user still runs one verification against a dummy hash, so the answer takes as long as a
  wrong password and does not reveal which usernames exist.
* Session cookies and API tokens are 256-bit random values; only their SHA-256 is stored. API tokens
  start with ``lmt_`` so that secret scanners and people recognise them.
* :class:`LoginThrottle` refuses sign-in for a (username, client) pair after repeated failures.
  It lives in the process's memory: good enough for one server, to be moved to a shared store when
  the tool runs on several.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import deque

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

TOKEN_PREFIX = "lmt_"


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def new_api_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


class Passwords:
    """argon2id hashing; pass a cheaper ``PasswordHasher`` in tests, never in production."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or PasswordHasher()
        self._dummy = self._hasher.hash(secrets.token_urlsafe(16))

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, stored_hash: str | None, password: str) -> bool:
        """Whether ``password`` matches; with no stored hash, spend the same time and say no."""
        try:
            if stored_hash is None:
                self._hasher.verify(self._dummy, password + "\0")
                return False
            return self._hasher.verify(stored_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        return self._hasher.check_needs_rehash(stored_hash)


class LoginThrottle:
    """At most ``max_failures`` failed sign-ins per key within ``window_s``."""

    def __init__(self, *, max_failures: int = 5, window_s: float = 300.0) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._failures.setdefault(key, deque())
        while q and q[0] <= now - self.window_s:
            q.popleft()
        return q

    def retry_after(self, key: str) -> float | None:
        """Seconds to wait before trying again, or None if a try is allowed now."""
        now = time.monotonic()
        with self._lock:
            q = self._recent(key, now)
            if len(q) < self.max_failures:
                return None
            return max(q[0] + self.window_s - now, 1.0)

    def failed(self, key: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._recent(key, now).append(now)
            if len(self._failures) > 10_000:  # forget idle keys rather than grow without bound
                for k in [k for k, q in self._failures.items() if not q]:
                    del self._failures[k]

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)
