"""The local broker's streaming pull: a dispatcher thread leases messages, callback threads run them.

``LocalStream`` is the ``StreamingPull`` handle ``LocalBroker.subscribe`` returns; the
leasing, settling and cancelling it relies on are ``LocalBroker``'s (see the module docstring of
``lovemachine.adapters.local_broker`` for the semantics).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from lovemachine.ports import ReceivedMessage

if TYPE_CHECKING:
    from lovemachine.adapters.local_broker import LocalBroker
    from lovemachine.adapters.local_broker_state import LocalMessage, Subscription

log = logging.getLogger("lovemachine.adapters.local_broker")


class LocalStream:
    """A streaming pull: a dispatcher thread leases messages, ``callback_threads`` run the callback."""

    def __init__(
        self,
        broker: LocalBroker,
        sub: Subscription,
        callback: Callable[[ReceivedMessage], None],
        max_messages: int,
        threads: int,
    ) -> None:
        self._broker = broker
        self._sub = sub
        self._callback = callback
        self.max_messages = max_messages
        self.outstanding = 0
        self.cancelled = False
        self.waiting = False
        # Leases held by this stream, in deadline order (delivery time + max_lease_duration).
        self.leases: dict[LocalMessage, None] = {}
        self.cond = threading.Condition(broker._lock)
        self._handoff: queue.SimpleQueue[LocalMessage | None] = queue.SimpleQueue()
        self._done = threading.Event()
        self._error: BaseException | None = None
        name = f"local-broker-{sub.name}"
        self._workers = [
            threading.Thread(target=self._work, name=f"{name}-cb-{i}", daemon=True) for i in range(threads)
        ]
        self._dispatcher = threading.Thread(target=self._dispatch, name=f"{name}-dispatch", daemon=True)

    def start(self) -> None:
        for w in self._workers:
            w.start()
        self._dispatcher.start()

    # -- StreamingPull
    def cancel(self) -> None:
        with self._broker._lock:
            self._broker._cancel_stream_locked(self)

    def result(self, timeout: float | None = None) -> None:
        if not self._done.wait(timeout):
            raise TimeoutError("streaming pull still running")
        if self._error is not None:
            raise self._error

    # -- threads
    def _dispatch(self) -> None:
        broker, sub, handoff = self._broker, self._sub, self._handoff
        try:
            while True:
                with broker._lock:
                    while not self.cancelled and (not sub.ready or self.outstanding >= self.max_messages):
                        self.waiting = True
                        self.cond.wait()
                    self.waiting = False
                    if self.cancelled:
                        break
                    batch = broker._lease_locked(sub, self.max_messages - self.outstanding, self)
                for m in batch:
                    handoff.put(m)
        except BaseException as exc:  # pragma: no cover - a bug here must not hang result()
            log.exception("local broker dispatcher failed")
            self._error = exc
        finally:
            # Like the client: what was leased but never handed to the callback goes back at once.
            leftovers: list[LocalMessage] = []
            while True:
                try:
                    item = handoff.get_nowait()
                except queue.Empty:
                    break
                if item is not None:
                    leftovers.append(item)
            with broker._lock:
                for m in leftovers:
                    broker._end_lease_locked(m, ack=False)
            for _ in self._workers:
                handoff.put(None)
            self._done.set()

    def _work(self) -> None:
        handoff, callback = self._handoff, self._callback
        while True:
            m = handoff.get()
            if m is None:
                return
            try:
                callback(m)
            except BaseException as exc:
                # Like the client: nack the message and end the stream with the error.
                log.exception("callback failed on %r; nacking it and closing the stream", m)
                m.nack()
                with self._broker._lock:
                    if self._error is None and not self.cancelled:
                        self._error = exc
                    self._broker._cancel_stream_locked(self)
