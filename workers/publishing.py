"""Publishing a moderation action and waiting for the broker's confirmation, shared by the handler
and the outbox sweeper; and how an exception is read against the core's error tree."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future, wait as wait_futures
from typing import TypeVar

from lovemachine.dsa.statements import decision_puid
from lovemachine.errors import BrokerUnavailableError, PermanentError, TransientError
from lovemachine.listings import ModerationAction
from lovemachine.policy import Action, Decision
from lovemachine.ports import Broker

T = TypeVar("T")

PUBLISH_TIMEOUT = 30.0
"""How long a publish may take before it counts as a (transient) broker failure."""
STOP_GRACE_S = 1.0
"""After ``stop_retrying()``, how long a publish already in flight may still take."""


def action_message(d: Decision) -> bytes:
    msg = ModerationAction(
        listing_id=d.listing_id,
        listing_version=d.listing_version,
        action=d.action.value,  # type: ignore[arg-type]
        scores=d.scores,
        reasons=d.reasons,
        model_version=d.model_version,
        decided_at=d.decided_at,
        statement_puid=statement_of(d),
    )
    return msg.model_dump_json().encode()


def statement_of(d: Decision) -> str | None:
    """The puid of the statement of reasons an automated hide issues (the store derives the same)."""
    if d.action is not Action.HIDE:
        return None
    return decision_puid(d.listing_id, d.listing_version, d.model_version)


def classify(exc: BaseException) -> BaseException:
    """The error as the core's tree sees it: the standard library's timeouts and connection errors are
    transient; the core's own errors are what they say; anything else is returned unchanged (unknown)."""
    if isinstance(exc, TransientError | PermanentError):
        return exc
    if isinstance(exc, TimeoutError | ConnectionError):  # TimeoutError covers concurrent.futures'
        err = TransientError(f"{type(exc).__name__}: {exc}")
        err.__cause__ = exc
        return err
    return exc


def publish(broker: Broker, topic: str, data: bytes, **attributes: str) -> Future[str]:
    """``broker.publish``, with an error raised at once (a closed client) returned as a failed future."""
    try:
        return broker.publish(topic, data, **attributes)
    except Exception as exc:
        failed: Future[str] = Future()
        failed.set_exception(exc)
        return failed


def await_confirmations(
    futures: dict[T, Future[str]], what: str, *, stop_deadline: Callable[[], float]
) -> dict[T, BaseException]:
    """Wait for the broker to confirm each publish: at most ``PUBLISH_TIMEOUT``, and no later than
    ``stop_deadline()`` (``inf`` until a stop is requested). Returns the failed or unconfirmed ones."""
    deadline = time.monotonic() + PUBLISH_TIMEOUT
    pending = set(futures.values())
    while pending:
        remaining = min(deadline, stop_deadline()) - time.monotonic()
        if remaining <= 0:
            break
        _done, pending = wait_futures(pending, timeout=min(remaining, 0.1))
    failed: dict[T, BaseException] = {}
    for key, f in futures.items():
        if not f.done():
            failed[key] = TimeoutError(f"{what}: no confirmation from the broker in time")
        elif f.cancelled():
            failed[key] = BrokerUnavailableError(f"{what}: publish cancelled")
        elif (exc := f.exception()) is not None:
            failed[key] = exc
    return failed
