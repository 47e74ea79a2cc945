"""Secrets of the CS tool: argon2id password hashes, session and API tokens, sign-in throttling.

* Passwords are hashed with argon2id (``argon2-cffi``'s RFC 9106 defaults: 64 MiB and tens of
  milliseconds per check). Signing in as an unknown user still runs one verification against a
  dummy hash, so the answer takes as long as a wrong password and does not reveal which usernames
  exist. At most ``max_concurrent`` checks run at once and ``max_waiting`` more wait for a slot;
  beyond that :class:`PasswordsBusy` (503 with ``Retry-After``) answers at once, so a flood of
  sign-ins costs bounded memory and leaves the server's threads to everyone else.
* Session cookies and API tokens are 256-bit random values; only their SHA-256 is stored. API tokens
  start with ``lmt_`` so that secret scanners and people recognise them.
* :class:`LoginThrottle` refuses sign-in for a (username, client address) pair after repeated
  failures, and for a client address after many failures across usernames. It never locks a
  username out for everyone: an attacker's failures lock only the attacker's address (an IPv6
  client counts as its /64). The client address is the peer's, or the one a trusted proxy
  forwarded (``Settings.trusted_proxies``). It lives in the process's memory, bounded to
  ``max_keys`` entries: good enough for one server, to be moved to a shared store when the tool
  runs on several.
"""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Iterator
from contextlib import contextmanager

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from cstool_api.errors import ApiError

TOKEN_PREFIX = "lmt_"


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def new_api_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


class PasswordsBusy(ApiError):
    """Too many password checks are running or waiting: try again in a moment (503)."""

    def __init__(self, retry_after_s: int = 1) -> None:
        super().__init__(
            503,
            "unavailable",
            f"too many sign-ins at once; try again in {retry_after_s} s",
            {"retry_after": retry_after_s},
            headers={"Retry-After": str(retry_after_s)},
        )


class Passwords:
    """argon2id hashing, at most ``max_concurrent`` at once with ``max_waiting`` more queued (each
    waits up to ``wait_timeout_s``); beyond that :class:`PasswordsBusy`. Pass a cheaper
    ``PasswordHasher`` in tests, never in production."""

    def __init__(
        self,
        hasher: PasswordHasher | None = None,
        *,
        max_concurrent: int = 2,
        max_waiting: int = 8,
        wait_timeout_s: float = 10.0,
    ) -> None:
        if max_concurrent < 1 or max_waiting < 0:
            raise ValueError("max_concurrent must be >= 1 and max_waiting >= 0")
        self._hasher = hasher or PasswordHasher()
        self._slots = threading.BoundedSemaphore(max_concurrent)
        self._capacity = max_concurrent + max_waiting
        self._admitted = 0
        self._admitted_lock = threading.Lock()
        self._wait_timeout_s = wait_timeout_s
        self._dummy = self._hasher.hash(secrets.token_urlsafe(16))

    @contextmanager
    def _slot(self) -> Iterator[None]:
        with self._admitted_lock:
            if self._admitted >= self._capacity:
                raise PasswordsBusy()
            self._admitted += 1
        try:
            if not self._slots.acquire(timeout=self._wait_timeout_s):
                raise PasswordsBusy()
            try:
                yield
            finally:
                self._slots.release()
        finally:
            with self._admitted_lock:
                self._admitted -= 1

    def hash(self, password: str) -> str:
        with self._slot():
            return self._hasher.hash(password)

    def verify(self, stored_hash: str | None, password: str) -> bool:
        """Whether ``password`` matches; with no stored hash, spend the same time and say no.
        Raises :class:`PasswordsBusy` when too many checks are running and waiting."""
        with self._slot():
            try:
                if stored_hash is None:
                    self._hasher.verify(self._dummy, password + "\0")
                    return False
                return self._hasher.verify(stored_hash, password)
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                return False

    def needs_rehash(self, stored_hash: str) -> bool:
        return self._hasher.check_needs_rehash(stored_hash)


def address_key(host: str) -> str:
    """The throttling unit of a client address: an IPv4 address, or the /64 of an IPv6 one (one
    subscriber's network; its interface ids are free to rotate). Anything else as it is."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host[:256]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


class LoginThrottle:
    """At most ``max_failures`` failed sign-ins per (username, address) and
    ``max_failures_per_address`` per address within ``window_s``; at most ``max_keys`` entries are
    kept (the least recently failed are forgotten first)."""

    def __init__(
        self,
        *,
        max_failures: int = 5,
        max_failures_per_address: int = 50,
        window_s: float = 300.0,
        max_keys: int = 100_000,
    ) -> None:
        self.max_failures = max_failures
        self.max_failures_per_address = max_failures_per_address
        self.window_s = window_s
        self.max_keys = max_keys
        self._failures: OrderedDict[tuple[str, ...], deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _keys(self, username: str, address: str) -> list[tuple[tuple[str, ...], int]]:
        addr = address_key(address)
        return [
            (("user", username.lower(), addr), self.max_failures),
            (("addr", addr), self.max_failures_per_address),
        ]

    def _recent(self, key: tuple[str, ...], now: float) -> deque[float] | None:
        q = self._failures.get(key)
        if q is None:
            return None
        while q and q[0] <= now - self.window_s:
            q.popleft()
        if not q:
            del self._failures[key]
            return None
        return q

    def retry_after(self, username: str, address: str) -> float | None:
        """Seconds to wait before trying again, or None if a try is allowed now."""
        now = time.monotonic()
        wait: float | None = None
        with self._lock:
            for key, limit in self._keys(username, address):
                q = self._recent(key, now)
                if q is not None and len(q) >= limit:
                    wait = max(wait or 0.0, q[0] + self.window_s - now, 1.0)
        return wait

    def failed(self, username: str, address: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key, limit in self._keys(username, address):
                q = self._recent(key, now)
                if q is None:
                    q = self._failures[key] = deque(maxlen=limit)
                q.append(now)
                self._failures.move_to_end(key)
            while len(self._failures) > self.max_keys:
                self._failures.popitem(last=False)

    def succeeded(self, username: str, address: str) -> None:
        """Forget the pair's failures (not the address's: they count failures across usernames)."""
        with self._lock:
            self._failures.pop(self._keys(username, address)[0][0], None)

    def tracked_keys(self) -> int:
        with self._lock:
            return len(self._failures)
