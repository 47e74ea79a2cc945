"""The DSA Transparency Database's API (Art. 24(5)): statements of reasons, submitted in batches of 100.

``TransparencyDbClient.submit`` sends statements and says what became of each one, by puid:

* ``submitted``: created (the API answered ``201``);
* ``already_present``: the TDB already holds a statement with that puid (checked first with
  ``GET /api/v1/statement/existing-puid/{puid}``, ``302`` found / ``404`` not, and rechecked when a
  batch is refused because a puid "is not unique": one that arrived meanwhile by another path);
* ``rejected``: the API refused the statement itself (``422``); the outcome holds the API's messages.
  A refused batch creates nothing, so the statements the API did not object to are sent again;
* ``failed``: a transient error (connection error, timeout, ``429``, ``5xx``) outlived the retries;
  the outcome holds the last error. Nothing was created for it: submit it again later. Once a batch
  has failed this way the remaining batches are not tried (the TDB is down), they fail alike.

Transient errors are retried ``attempts`` times in all with capped exponential backoff and jitter
(each wait in [d/2, d], d doubling from ``backoff_base_s`` up to ``backoff_max_s``); a ``429``'s
``Retry-After`` is waited out instead (never a call before it), and one longer than 2 minutes (or
``backoff_max_s`` if longer) ends the retries: the statements are reported failed, to resubmit later.

``submit`` never raises for what happens to a statement. It raises ``TransparencyDbConfigError`` for
what no retry can fix: a base URL that is not one, an endpoint that is not there (``404``/``405`` on a
store), and, as ``TransparencyDbAuthError``, a token the API refuses (``401``/``403``). Only the
statements and the bearer token are sent; the token is never logged nor put in an error message.
Statements carry no personal data by construction (``lovemachine.dsa.tdb``), so their puids and the
API's validation messages may be logged.
"""

from __future__ import annotations

import email.utils
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from types import MappingProxyType, TracebackType
from typing import Any
from urllib.parse import quote

import httpx
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    wait_exponential,
    wait_random_exponential,
)

from lovemachine.dsa.tdb import MAX_STATEMENTS_PER_CALL, PUID_PATTERN, TdbStatement
from lovemachine.errors import (  # re-exported
    TransparencyDbAuthError as TransparencyDbAuthError,
    TransparencyDbConfigError as TransparencyDbConfigError,
    TransparencyDbUnavailableError as TransparencyDbUnavailableError,
)

log = logging.getLogger(__name__)

__all__ = [
    "OutcomeStatus",
    "StatementOutcome",
    "SubmitReport",
    "TransparencyDbAuthError",
    "TransparencyDbClient",
    "TransparencyDbConfigError",
    "TransparencyDbUnavailableError",
]

STORE_PATH = "/api/v1/statement"
STORE_MANY_PATH = "/api/v1/statements"
EXISTING_PATH = "/api/v1/statement/existing-puid/{puid}"
MAX_RETRY_AFTER_S = 120.0
"""The longest ``Retry-After`` waited out (or ``backoff_max_s`` if longer); past it the retries end."""
_INDEXED = re.compile(r"statement_(\d+)")
_PUID = re.compile(PUID_PATTERN)


class OutcomeStatus(StrEnum):
    SUBMITTED = "submitted"
    ALREADY_PRESENT = "already_present"
    REJECTED = "rejected"
    FAILED = "failed"


@dataclass(frozen=True)
class StatementOutcome:
    """What became of one statement (one puid)."""

    puid: str
    status: OutcomeStatus
    errors: tuple[str, ...] = ()
    """``rejected``: the API's validation messages (``"The selected category is invalid."`` ...)."""
    last_error: str | None = None
    """``failed``: the last transient error (``"HTTP 503"``, ``"timeout (ReadTimeout)"`` ...)."""


@dataclass(frozen=True)
class SubmitReport:
    """The outcome of each distinct puid given to ``submit``, in the order given (first one wins)."""

    outcomes: tuple[StatementOutcome, ...]

    @property
    def by_puid(self) -> Mapping[str, StatementOutcome]:
        return MappingProxyType({o.puid: o for o in self.outcomes})

    @property
    def counts(self) -> Mapping[OutcomeStatus, int]:
        counts = dict.fromkeys(OutcomeStatus, 0)
        for o in self.outcomes:
            counts[o.status] += 1
        return MappingProxyType(counts)

    def puids(self, status: OutcomeStatus) -> tuple[str, ...]:
        return tuple(o.puid for o in self.outcomes if o.status is status)

    @property
    def total(self) -> int:
        return len(self.outcomes)

    @property
    def submitted(self) -> int:
        return self.counts[OutcomeStatus.SUBMITTED]

    @property
    def already_present(self) -> int:
        return self.counts[OutcomeStatus.ALREADY_PRESENT]

    @property
    def rejected(self) -> int:
        return self.counts[OutcomeStatus.REJECTED]

    @property
    def failed(self) -> int:
        return self.counts[OutcomeStatus.FAILED]


class _Transient(Exception):
    """A failure worth retrying; ``retry_after`` is the server's ``Retry-After`` in seconds, if any."""

    def __init__(self, detail: str, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retry_after = retry_after


class TransparencyDbClient:
    """``submit(statements)`` and ``existing(puid)`` against ``base_url`` (the TDB's root URL, e.g.
    ``https://transparency.dsa.ec.europa.eu``; its sandbox for tests). ``http`` is used as given and
    not closed here; by default the client opens (and ``close()`` closes) its own."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout_s: float = 10,
        attempts: int = 5,
        backoff_base_s: float = 0.5,
        backoff_max_s: float = 30,
        http: httpx.Client | None = None,
    ) -> None:
        try:
            url = httpx.URL(base_url)
        except (httpx.InvalidURL, TypeError) as exc:
            raise TransparencyDbConfigError(
                f"the Transparency Database URL {base_url!r} is not a URL"
            ) from exc
        if url.scheme not in ("http", "https") or not url.host:
            raise TransparencyDbConfigError(
                f"the Transparency Database URL {base_url!r} is not an http(s) URL with a host"
            )
        if not token or token != token.strip() or any(c in token for c in "\r\n"):
            raise TransparencyDbConfigError("the Transparency Database token is empty or malformed")
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self._base = str(url.copy_with(query=None, fragment=None)).rstrip("/")
        self._auth = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        self._timeout = httpx.Timeout(timeout_s)
        self._attempts = attempts
        self._backoff_max_s = backoff_max_s
        half_base, half_max = backoff_base_s / 2, backoff_max_s / 2
        self._backoff = wait_exponential(multiplier=half_base, max=half_max) + wait_random_exponential(
            multiplier=half_base, max=half_max
        )
        self._owned = http is None
        self._http = http if http is not None else httpx.Client(timeout=self._timeout, follow_redirects=False)

    def __repr__(self) -> str:  # never the token
        return f"TransparencyDbClient({self._base!r})"

    def close(self) -> None:
        if self._owned:
            self._http.close()

    def __enter__(self) -> TransparencyDbClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- public API ---------------------------------------------------------------------------------

    def existing(self, puid: str) -> bool:
        """Whether the TDB holds a statement with ``puid`` for this platform (``302``: yes, ``404``: no).
        Raises ``TransparencyDbUnavailableError`` when a transient error outlives the retries."""
        try:
            return self._existing(puid)
        except _Transient as exc:
            raise TransparencyDbUnavailableError(
                f"the Transparency Database did not answer the existing-puid check: {exc.detail}"
            ) from exc

    def submit(self, statements: Sequence[TdbStatement]) -> SubmitReport:
        """Send the statements the TDB does not hold yet, up to 100 per call; one outcome per puid."""
        order: dict[str, TdbStatement] = {}
        for statement in statements:
            order.setdefault(statement.puid, statement)
        out: dict[str, StatementOutcome] = {}

        to_send: list[TdbStatement] = []
        checking = True
        for puid, statement in order.items():
            if checking:
                try:
                    if self._existing(puid):
                        out[puid] = StatementOutcome(puid, OutcomeStatus.ALREADY_PRESENT)
                        continue
                except _Transient as exc:
                    # the store refuses duplicates anyway: send the rest unchecked
                    log.warning("TDB existing-puid checks unavailable (%s); sending unchecked", exc.detail)
                    checking = False
            to_send.append(statement)

        unavailable: str | None = None
        for start in range(0, len(to_send), MAX_STATEMENTS_PER_CALL):
            batch = to_send[start : start + MAX_STATEMENTS_PER_CALL]
            if unavailable is not None:
                for s in batch:
                    out[s.puid] = StatementOutcome(s.puid, OutcomeStatus.FAILED, last_error=unavailable)
                continue
            try:
                self._submit_batch(batch, out)
            except _Transient as exc:
                unavailable = f"not sent, the Transparency Database was unavailable: {exc.detail}"

        report = SubmitReport(tuple(out[puid] for puid in order))
        log.info(
            "TDB submit: %d submitted, %d already present, %d rejected, %d failed",
            report.submitted,
            report.already_present,
            report.rejected,
            report.failed,
        )
        for o in report.outcomes:
            if o.status is OutcomeStatus.REJECTED:
                log.warning("TDB rejected statement %s: %s", o.puid, " ".join(o.errors))
        return report

    # -- batches ------------------------------------------------------------------------------------

    def _submit_batch(self, batch: list[TdbStatement], out: dict[str, StatementOutcome]) -> None:
        """Settle every statement of ``batch`` in ``out``; on ``_Transient`` the unsettled ones are
        marked failed and the error is raised on (the TDB is unavailable)."""
        pending = list(batch)
        try:
            while pending:
                resp = self._request("POST", STORE_MANY_PATH, {"statements": [s.to_api() for s in pending]})
                if resp.status_code in (200, 201):
                    for s in pending:
                        out[s.puid] = StatementOutcome(s.puid, OutcomeStatus.SUBMITTED)
                    return
                self._refuse_config(resp, STORE_MANY_PATH)
                rest = self._settle_rejection(pending, resp, out) if resp.status_code == 422 else None
                if rest is None:  # the answer does not say which statement: one call each
                    self._submit_singly(pending, out)
                    return
                pending = rest
        except _Transient as exc:
            for s in batch:
                if s.puid not in out:
                    out[s.puid] = StatementOutcome(s.puid, OutcomeStatus.FAILED, last_error=exc.detail)
            raise

    def _settle_rejection(
        self, pending: list[TdbStatement], resp: httpx.Response, out: dict[str, StatementOutcome]
    ) -> list[TdbStatement] | None:
        """Attribute a ``422`` to statements; the ones still to send, or None if it names none.

        ``{"errors": {"statement_3": {field: [message]}}}``: statement 3 of the call is invalid.
        ``{"errors": {"puid": [...], "existing_puids": [...]}}``: those puids are taken (rechecked).
        """
        body = _json(resp)
        errors = body.get("errors")
        if not isinstance(errors, Mapping):
            return None
        indexed = {int(m.group(1)): v for k, v in errors.items() if (m := _INDEXED.fullmatch(str(k)))}
        bad = {i for i in indexed if 0 <= i < len(pending)}
        if bad:
            for i in bad:
                puid = pending[i].puid
                out[puid] = StatementOutcome(puid, OutcomeStatus.REJECTED, errors=_messages(indexed[i]))
            return [s for i, s in enumerate(pending) if i not in bad]
        existing = errors.get("existing_puids")
        taken = {p for p in existing if isinstance(p, str)} if isinstance(existing, list) else set()
        taken &= {s.puid for s in pending}
        if not taken:
            return None
        messages = _messages(errors.get("puid")) or _messages(body.get("message"))
        for puid in sorted(taken):
            out[puid] = self._recheck(puid, messages)
        return [s for s in pending if s.puid not in taken]

    def _submit_singly(self, pending: list[TdbStatement], out: dict[str, StatementOutcome]) -> None:
        for s in pending:
            resp = self._request("POST", STORE_PATH, s.to_api())
            if resp.status_code in (200, 201):
                out[s.puid] = StatementOutcome(s.puid, OutcomeStatus.SUBMITTED)
                continue
            self._refuse_config(resp, STORE_PATH)
            body = _json(resp)
            errors = body.get("errors")
            messages = _messages(errors) or _messages(body.get("message")) or (f"HTTP {resp.status_code}",)
            if resp.status_code == 422 and isinstance(errors, Mapping) and "puid" in errors:
                out[s.puid] = self._recheck(s.puid, messages)
            else:
                out[s.puid] = StatementOutcome(s.puid, OutcomeStatus.REJECTED, errors=messages)

    def _recheck(self, puid: str, messages: tuple[str, ...]) -> StatementOutcome:
        """A puid the store called taken: already present, or (taken but not found) rejected."""
        if self._existing(puid):
            return StatementOutcome(puid, OutcomeStatus.ALREADY_PRESENT)
        return StatementOutcome(puid, OutcomeStatus.REJECTED, errors=messages)

    # -- HTTP ---------------------------------------------------------------------------------------

    def _existing(self, puid: str) -> bool:
        if not _PUID.fullmatch(puid):
            raise ValueError(f"{puid!r} is not a puid: letters, digits, '-' and '_' only")
        resp = self._request("GET", EXISTING_PATH.format(puid=quote(puid, safe="")))
        if resp.status_code == 302:
            return True
        if resp.status_code == 404:
            return False
        self._refuse_config(resp, EXISTING_PATH)
        raise TransparencyDbConfigError(
            f"the existing-puid check at {self._base} answered HTTP {resp.status_code} "
            "(expected 302 or 404): is this the Transparency Database API?"
        )

    def _refuse_config(self, resp: httpx.Response, path: str) -> None:
        """Raise for the answers that mean the client is misconfigured rather than the statement bad."""
        if resp.status_code in (401, 403):
            raise TransparencyDbAuthError(
                f"the Transparency Database at {self._base} refused the token (HTTP {resp.status_code}): "
                "token refused; check it or generate a new one"
            )
        if resp.status_code in (404, 405) and path != EXISTING_PATH:
            raise TransparencyDbConfigError(
                f"{self._base}{path} answered HTTP {resp.status_code}: "
                "is the base URL the Transparency Database's root?"
            )

    def _request(self, method: str, path: str, body: object = None) -> httpx.Response:
        """One API call, retried through transient failures; raises ``_Transient`` once they outlive
        the retries. Other answers (2xx, 3xx, 4xx but 408/429) are returned as they are."""
        url = self._base + path

        def once() -> httpx.Response:
            try:
                resp = self._http.request(
                    method,
                    url,
                    json=body,
                    headers=self._auth,
                    timeout=self._timeout,
                    follow_redirects=False,
                )
            except httpx.TimeoutException as exc:
                raise _Transient(f"timeout ({type(exc).__name__})") from exc
            except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
                raise TransparencyDbConfigError(f"cannot call {url}: {exc}") from exc
            except httpx.TransportError as exc:
                raise _Transient(f"connection error ({type(exc).__name__}: {exc})") from exc
            if resp.status_code == 429:
                retry_after = _retry_after(resp.headers.get("Retry-After"))
                detail = "HTTP 429 Too Many Requests"
                if retry_after is not None:
                    detail += f" (Retry-After {retry_after:g} s)"
                raise _Transient(detail, retry_after)
            if resp.status_code == 408 or resp.status_code >= 500:
                raise _Transient(f"HTTP {resp.status_code}")
            return resp

        retrying = Retrying(
            retry=retry_if_exception_type(_Transient),
            stop=self._stop,
            wait=self._wait,
            before_sleep=lambda state: _log_retry(method, path, state),
            reraise=True,
        )
        return retrying(once)

    def _stop(self, state: RetryCallState) -> bool:
        if state.attempt_number >= self._attempts:
            return True
        exc = state.outcome.exception() if state.outcome is not None else None
        # a Retry-After longer than we are willing to wait: give up now rather than call back early
        longest = max(self._backoff_max_s, MAX_RETRY_AFTER_S)
        return isinstance(exc, _Transient) and exc.retry_after is not None and exc.retry_after > longest

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome is not None else None
        if isinstance(exc, _Transient) and exc.retry_after is not None:
            return exc.retry_after
        return float(self._backoff(state))


def _log_retry(method: str, path: str, state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome is not None else None
    wait = state.next_action.sleep if state.next_action is not None else 0.0
    log.warning("TDB %s %s: %s; retry %d in %.2f s", method, path, exc, state.attempt_number, wait)


def _retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds: delta-seconds (fractions accepted) or an HTTP date; None if absent."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    return max(0.0, seconds) if seconds == seconds else None  # NaN is no answer


def _json(resp: httpx.Response) -> Mapping[str, Any]:
    try:
        body = resp.json()
    except ValueError:
        return {}
    return body if isinstance(body, Mapping) else {}


def _messages(value: object) -> tuple[str, ...]:
    """The strings in an API error value (a message, a list of them, or ``{field: [messages]}``)."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, Mapping):
        return tuple(m for v in value.values() for m in _messages(v))
    if isinstance(value, list | tuple):
        return tuple(m for v in value for m in _messages(v))
    return ()
