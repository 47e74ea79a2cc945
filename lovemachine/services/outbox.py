"""Publishing the moderation actions that CS labels queued (the transactional outbox).

A label writes its ``hide``/``restore`` message into ``action_outbox`` in the same transaction as the
label itself, so the label and its action cannot part. This module publishes what is pending and
marks each message published once the broker confirmed it; a message whose publish fails stays
pending (with the error and an attempt count) and goes out on the next flush: after the next label,
or from ``lovemachine cstool flush-outbox``. Delivery is at-least-once, like the worker's.
"""

from __future__ import annotations

import json
import logging
from concurrent.futures import Future
from dataclasses import dataclass

from lovemachine.ports import ActionOutbox, Broker
from lovemachine.ports.outbox import AccountActionOutbox
from lovemachine.review.records import PendingAction

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FlushResult:
    published: int
    failed: int


def flush_outbox(
    *, outbox: ActionOutbox, broker: Broker, topic: str, limit: int = 100, timeout_s: float = 10.0
) -> FlushResult:
    """Publish up to ``limit`` pending actions to ``topic``; never raises for a failed publish."""
    published = failed = 0
    pending = outbox.pending_actions(limit=limit)
    futures: list[tuple[PendingAction, Future[str]]] = []
    for action in pending:
        try:
            data = json.dumps(action.payload, ensure_ascii=False, separators=(",", ":")).encode()
            futures.append((action, broker.publish(topic, data, **action.attributes)))
        except Exception as exc:
            log.warning("could not publish %s of listing %s: %s", action.action, action.listing_id, exc)
            outbox.mark_action_failed(action.id, f"{type(exc).__name__}: {exc}")
            failed += 1
    for action, future in futures:
        try:
            future.result(timeout=timeout_s)
        except Exception as exc:
            log.warning("publish of %s for listing %s failed: %s", action.action, action.listing_id, exc)
            outbox.mark_action_failed(action.id, f"{type(exc).__name__}: {exc}")
            failed += 1
            continue
        outbox.mark_action_published(action.id)
        published += 1
    return FlushResult(published, failed)


def flush_account_actions(
    *, store: AccountActionOutbox, broker: Broker, topic: str, limit: int = 100, timeout_s: float = 10.0
) -> FlushResult:
    """Publish the account actions a lead confirmed (``kind=account_action`` on ``moderation-actions``,
    attribute ``action=account_<action>``); a failed one stays pending with its error."""
    published = failed = 0
    for action in store.pending_account_actions(limit=limit):
        data = json.dumps(action.payload, ensure_ascii=False, separators=(",", ":")).encode()
        attributes = {"action": f"account_{action.action}", "seller_id": action.seller_id, "source": "cs"}
        try:
            broker.publish(topic, data, **attributes).result(timeout=timeout_s)
        except Exception as exc:
            log.warning("publish of account action #%d failed: %s", action.id, exc)
            store.mark_account_action(action.id, error=f"{type(exc).__name__}: {exc}")
            failed += 1
            continue
        store.mark_account_action(action.id)
        published += 1
    return FlushResult(published, failed)
