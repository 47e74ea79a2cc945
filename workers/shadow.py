"""Shadow scoring: the challenger scores the same live traffic as the champion, and nothing acts on it.

The handler hands every batch here *after* the champion's decisions are committed, their actions
published and the messages acked (``submit`` only enqueues; it never blocks and never raises). One
thread takes the batches, scores them with the challenger and stores its decisions in
``shadow_decisions`` (no review item, no moderation action). So the shadow can cost the champion's
path CPU, never a message, an ack or an error:

* a challenger that fails to load (bad checksum, unreadable) or raises while scoring is logged,
  counted in ``stats()`` and skipped; loading happens on this thread, never on the batch path;
* it yields to the champion: while the worker is catching up (``busy()``: a backlog of received
  messages), batches skip the shadow (``skipped_busy``), so a backlog drains at the champion's own
  speed; and when the shadow falls behind (more than ``max_pending`` batches waiting), new batches
  skip it (``skipped_backlog``) rather than queueing without bound;
* with no challenger, or one that is the champion itself (right after a promotion), it does nothing.

Shadow decisions use the champion snapshot's CS rules, so the comparison isolates the model.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from lovemachine.errors import LovemachineError
from lovemachine.images import ImageScorer
from lovemachine.listings import Listing
from lovemachine.policy import Decision
from lovemachine.ports import ModelRegistry, ShadowDecisionStore
from lovemachine.registry import LoadedModel
from lovemachine.registry.aliases import Alias
from lovemachine.services.scoring import Scorer
from workers.provider import load_model

log = logging.getLogger(__name__)


@dataclass
class ShadowStats:
    challenger: str | None = None
    batches: int = 0
    scored: int = 0
    stored: int = 0
    failed_batches: int = 0
    skipped_backlog: int = 0
    skipped_busy: int = 0
    skipped_no_challenger: int = 0
    agree: int = 0
    """Shadow decisions whose action equals the champion's on the same listing version."""
    disagree: int = 0
    refused: str | None = None
    """The challenger version that failed to load, and why."""
    last_error: str | None = None
    seconds: float = 0.0
    """Time spent scoring and storing shadow decisions."""


class ShadowScorer:
    def __init__(
        self,
        *,
        registry: ModelRegistry,
        store: ShadowDecisionStore,
        champion: Callable[[], Scorer],
        alias: str = Alias.CHALLENGER,
        refresh_seconds: float = 5.0,
        max_pending: int = 8,
        image_scorer: ImageScorer | None = None,
        retry_refused_s: float = 60.0,
        busy: Callable[[], bool] | None = None,
    ) -> None:
        self._registry = registry
        self.busy = busy
        """True while the champion is catching up: batches then skip the shadow."""
        self._store = store
        self._champion = champion
        self._alias = alias
        self._refresh = refresh_seconds
        self._image_scorer = image_scorer
        self._retry_refused_s = retry_refused_s
        self._queue: queue.Queue[tuple[list[Listing], dict[tuple[str, int], str]]] = queue.Queue(
            maxsize=max_pending
        )
        self.on_compared: Callable[[str, int, int], None] | None = None
        """Called with (challenger version, agreeing, disagreeing) after each batch (metrics)."""
        self._model: LoadedModel | None = None
        self._checked_at = float("-inf")
        self._refused: tuple[str, float] | None = None  # (version, retry after)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.stats = ShadowStats()

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> ShadowScorer:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="lovemachine-shadow", daemon=True)
            self._thread.start()
        return self

    def stop(self, grace_s: float = 10.0) -> None:
        """Finish what is queued within ``grace_s``, then stop; what is left is simply not shadowed."""
        self.drain(grace_s)
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=grace_s + 5)

    def drain(self, timeout: float = 30.0) -> bool:
        """Wait until every submitted batch is done (tests, shutdown); False on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._queue.unfinished_tasks == 0:
                return True
            time.sleep(0.01)
        return False

    # ------------------------------------------------------------------ the batch path's side
    def submit(
        self, listings: Sequence[Listing], champion_actions: Mapping[tuple[str, int], str] | None = None
    ) -> bool:
        """Queue a batch the champion has decided (``champion_actions``: its action per listing version,
        to count agreement); never blocks, never raises. Starts the thread if nobody did (a caller that
        starts only the consumer still gets its shadow)."""
        try:
            if self._thread is None:
                self.start()
            self._queue.put_nowait((list(listings), dict(champion_actions or {})))
            return True
        except queue.Full:
            self.stats.skipped_backlog += len(listings)
            return False
        except Exception:  # pragma: no cover - defensive: the champion's path must not see it
            log.exception("could not queue a batch for shadow scoring")
            return False

    # ------------------------------------------------------------------ the shadow thread
    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                batch = self._queue.get(timeout=0.2)
            except queue.Empty:
                continue
            try:
                self.score(*batch)
            finally:
                self._queue.task_done()

    def score(
        self, batch: Sequence[Listing], champion_actions: Mapping[tuple[str, int], str] | None = None
    ) -> None:
        """Score one batch with the challenger and store the decisions (the thread's work; tests may
        call it directly). Logs and counts every failure instead of raising."""
        if self.busy is not None and self.busy():
            self.stats.skipped_busy += len(batch)
            return
        t0 = time.perf_counter()
        try:
            champion = self._champion()
            model = self._challenger()
            if model is None or model.version == champion.version:
                self.stats.skipped_no_challenger += len(batch)
                return
            decisions = Scorer(model=model, rules=champion.rules, explain=False).score(batch)
            self.stats.scored += len(decisions)
            self.stats.stored += self._store.record_shadow_decisions(decisions)
            self.stats.batches += 1
            self._compare(model.version, decisions, champion_actions or {})
        except Exception as exc:
            self.stats.failed_batches += 1
            self.stats.last_error = f"{type(exc).__name__}: {exc}"
            log.warning("shadow scoring of %d listings failed: %s", len(batch), exc, exc_info=True)
        finally:
            self.stats.seconds += time.perf_counter() - t0

    def _compare(
        self, version: str, decisions: Sequence[Decision], champion: Mapping[tuple[str, int], str]
    ) -> None:
        known = [d for d in decisions if (d.listing_id, d.listing_version) in champion]
        agree = sum(d.action.value == champion[(d.listing_id, d.listing_version)] for d in known)
        self.stats.agree += agree
        self.stats.disagree += len(known) - agree
        if self.on_compared is not None and known:
            self.on_compared(version, agree, len(known) - agree)

    def _challenger(self) -> LoadedModel | None:
        if time.monotonic() - self._checked_at < self._refresh:
            return self._model
        self._checked_at = time.monotonic()
        record = self._registry.get_alias(self._alias)
        if record is None:
            self._model = None
        elif self._model is None or record.version != self._model.version:
            refused = self._refused
            if refused is not None and refused[0] == record.version and time.monotonic() < refused[1]:
                return None
            try:
                self._model = load_model(record, self._image_scorer)
            except LovemachineError as exc:
                self._model = None
                self._refused = (record.version, time.monotonic() + self._retry_refused_s)
                self.stats.refused = f"{record.version}: {exc}"
                log.error(
                    "REFUSED challenger %s: %s; shadow scoring is off until it loads", record.version, exc
                )
            else:
                self._refused = None
                self.stats.refused = None
                log.info("shadow scoring with challenger %s", record.version)
        self.stats.challenger = self._model.version if self._model is not None else None
        return self._model

    def stats_dict(self) -> dict[str, Any]:
        return {**asdict(self.stats), "pending_batches": self._queue.qsize()}
