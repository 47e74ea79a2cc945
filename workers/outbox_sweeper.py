"""The outbox sweeper: publishes hide/report actions that were committed but never published.

The handler commits a decision, then publishes its action and sets ``decisions.action_published_at``
(the outbox flag). If the publish fails (the broker is down) or the process dies in between, the
action would wait for the message's redelivery. This thread does not wait: every ``interval_s`` it
reads the ``hide``/``report`` decisions older than ``min_age_s`` whose flag is still unset, publishes
their actions, waits for the broker's confirmation and sets the flag (only where it is still unset).

Racing the handler: only decisions older than ``min_age_s`` are swept, while the handler publishes
within milliseconds of its commit, and a handler that retries after an outage re-reads the flag
before publishing. A duplicate remains possible (the handler's publish confirmed but its flag update
lost, two workers sweeping the same row at once); the action contract is at-least-once and consumers
deduplicate on (listing id, listing version, model version, action) (``docs/events.md``).

The scan is bounded: the first sweep looks back ``lookback_s``, later sweeps only from the previous
sweep's cutoff (minus a margin), by the ``decided_at`` index. After a failed sweep (database or broker
down) the next waits twice as long, up to ``max_backoff_s``; ``stop()`` returns within about a second.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from lovemachine.errors import BrokerUnavailableError
from lovemachine.policy import Decision
from lovemachine.ports import Broker, DecisionStore, Topology
from workers.publishing import STOP_GRACE_S, action_message, await_confirmations, publish

log = logging.getLogger(__name__)


@dataclass
class SweeperStats:
    sweeps: int = 0
    published: int = 0
    failed_sweeps: int = 0
    last_error: str | None = None
    backlog: int = 0
    """Actions the last sweep found unpublished and could not publish (0 after a clean sweep)."""


class OutboxSweeper:
    def __init__(
        self,
        *,
        store: DecisionStore,
        broker: Broker,
        topology: Topology,
        interval_s: float = 5.0,
        min_age_s: float = 30.0,
        lookback_s: float = 3600.0,
        batch_size: int = 500,
        max_backoff_s: float = 60.0,
    ) -> None:
        self._store = store
        self._broker = broker
        self._t = topology
        self.interval_s = interval_s
        self.min_age_s = min_age_s
        self.lookback_s = lookback_s
        self.batch_size = batch_size
        self.max_backoff_s = max(max_backoff_s, interval_s)
        self.margin_s = max(60.0, min_age_s)
        """How far before the previous cutoff a sweep looks again (decisions committed just after it)."""
        self.stats = SweeperStats()
        self._confirmed_last = 0
        self._after: datetime | None = None
        self._stop = threading.Event()
        self._stop_deadline = float("inf")
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> OutboxSweeper:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="lovemachine-outbox-sweeper", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout_s: float = STOP_GRACE_S + 1.0) -> None:
        """Stop sweeping; a publish in flight is given up after ``STOP_GRACE_S`` (left for the next
        sweep or the redelivery). Bounded by ``timeout_s``. Idempotent."""
        if not self._stop.is_set():
            self._stop_deadline = time.monotonic() + STOP_GRACE_S
            self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout_s)
            if self._thread.is_alive():
                log.warning("outbox sweeper busy after %.1f s (a database call); not waiting", timeout_s)

    def _loop(self) -> None:
        delay = self.interval_s
        while not self._stop.wait(delay):
            try:
                self.sweep()
                delay = self.interval_s
            except Exception as exc:  # an outage: try again later, never die
                self.stats.failed_sweeps += 1
                self.stats.last_error = f"{type(exc).__name__}: {exc}"
                delay = min(delay * 2, self.max_backoff_s)
                log.warning("outbox sweep failed (%s); next in %.0f s", self.stats.last_error, delay)

    # ------------------------------------------------------------------ one sweep
    def sweep(self) -> int:
        """Publish every unpublished action old enough; return how many were published. Raises on a
        database or broker failure (what the broker confirmed before it is flagged published)."""
        now = datetime.now(UTC)
        cutoff = now - timedelta(seconds=self.min_age_s)
        after = self._after or now - timedelta(seconds=self.lookback_s)
        total = found = 0
        while True:
            if self._stop.is_set():
                return total  # unfinished: the next sweep (or worker) starts from the same place
            pending = self._store.unpublished_actions(
                decided_before=cutoff, decided_after=after, limit=self.batch_size
            )
            found += len(pending)
            try:
                total += self._publish(pending)  # flagged now, so the next read moves on
            except Exception:
                self.stats.backlog = found - total - self._confirmed_last
                raise
            if len(pending) < self.batch_size:
                break
        self.stats.backlog = found - total
        self.stats.sweeps += 1
        self._after = cutoff - timedelta(seconds=self.margin_s)
        if total:
            log.info("outbox sweeper published %d committed but unpublished actions", total)
        return total

    def _publish(self, pending: list[Decision]) -> int:
        self._confirmed_last = 0
        if not pending:
            return 0
        futures = {
            (d.listing_id, d.listing_version, d.model_version): publish(
                self._broker,
                self._t.actions_topic,
                action_message(d),
                action=d.action.value,
                listing_id=d.listing_id,
                model_version=d.model_version,
            )
            for d in pending
        }
        failed = await_confirmations(futures, "sweep actions", stop_deadline=lambda: self._stop_deadline)
        confirmed = [k for k in futures if k not in failed]
        self._confirmed_last = len(confirmed)
        self._store.mark_actions_published(confirmed)  # what the broker has, even if some failed
        self.stats.published += len(confirmed)
        if failed:
            exc = next(iter(failed.values()))
            raise BrokerUnavailableError(
                f"published {len(confirmed)} of {len(futures)} swept actions: {type(exc).__name__}: {exc}"
            ) from exc
        return len(confirmed)

    def stats_dict(self) -> dict[str, object]:
        return dict(self.stats.__dict__)
