"""Hands the worker a consistent (model, rules) snapshot per batch and refreshes it in the background.

CS staff change rules and deploys move the ``champion`` alias while workers run; the provider polls
cheap revision tokens every ``refresh_seconds`` and swaps in a new Scorer atomically (one attribute
assignment). A batch takes one snapshot (``get()``) and scores every listing with it, so each decision
records exactly the model version that made it. With ``start()`` the polling and the loading of a
new model run on their own thread, so a deploy never stalls the batch path; without it, ``get()``
refreshes inline when due.

If a new model fails to load (bad checksum, unreadable, not a classifier), the provider keeps the
one it has, logs the refusal at ERROR once per version, reports it in ``stats()``, and tries that
version again only after ``retry_refused_s`` (someone may repair the artifact).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lovemachine.errors import LovemachineError, ModelNotFoundError
from lovemachine.images import ImageScorer
from lovemachine.ports import ModelRegistry, ModelVersionRecord, RuleStore
from lovemachine.registry import LoadedModel
from lovemachine.registry.aliases import Alias
from lovemachine.registry.loader import load_record
from lovemachine.rules import RuleSet
from lovemachine.services.scoring import Scorer

log = logging.getLogger(__name__)


@dataclass
class Refusal:
    version: str
    error: str
    at: datetime
    retry_after: float = field(repr=False)
    """``time.monotonic()`` before which this version is not tried again."""


def load_model(record: ModelVersionRecord, image_scorer: ImageScorer | None) -> LoadedModel:
    """Load and verify a version, with the process's image scorer attached (cascades only)."""
    loaded = load_record(record)
    attach = getattr(loaded.model, "attach_image_scorer", None)
    if attach is not None:
        attach(image_scorer)
    return loaded


class ScorerProvider:
    def __init__(
        self,
        *,
        registry: ModelRegistry,
        rules: RuleStore,
        alias: str = Alias.CHAMPION,
        refresh_seconds: float = 5.0,
        image_scorer: ImageScorer | None = None,
        retry_refused_s: float = 60.0,
    ) -> None:
        self._registry = registry
        self._rules = rules
        self._alias = alias
        self._refresh = refresh_seconds
        self._image_scorer = image_scorer
        self._retry_refused_s = retry_refused_s
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.refusals: dict[str, Refusal] = {}
        """Versions this provider refused to load, by version."""
        self.swaps = 0
        record = registry.get_alias(alias)
        if record is None:
            raise ModelNotFoundError(f"no model version has the alias {alias!r}")
        self._rules_revision: str | None = rules.rules_revision()
        self._scorer = Scorer(model=load_model(record, image_scorer), rules=RuleSet(rules.list_rules()))
        self._checked_at = time.monotonic()
        self._last_error: str | None = None

    # ------------------------------------------------------------------ background refresh
    def start(self) -> ScorerProvider:
        """Poll and load on a background thread from now on (idempotent)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._poll, name=f"lovemachine-{self._alias}", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _poll(self) -> None:
        while not self._stop.wait(self._refresh):
            self.refresh()

    # ------------------------------------------------------------------ the snapshot
    def get(self) -> Scorer:
        """The current snapshot: take it once per batch."""
        if self._thread is None and time.monotonic() - self._checked_at >= self._refresh:
            self.refresh(blocking=False)
        return self._scorer

    @property
    def version(self) -> str:
        return self._scorer.version

    def refresh(self, *, blocking: bool = True) -> None:
        """Look for new rules and an alias move now; swap in a new snapshot if anything changed."""
        if not self._lock.acquire(blocking=blocking):
            return
        try:
            self._maybe_refresh()
        finally:
            self._checked_at = time.monotonic()
            self._lock.release()

    def _maybe_refresh(self) -> None:
        scorer = self._scorer
        try:
            revision = self._rules.rules_revision()
            if revision != self._rules_revision:
                scorer = scorer.with_rules(RuleSet(self._rules.list_rules()))
                log.info("rules reloaded (%d enabled)", len(scorer.rules))
                self._rules_revision = revision
            record = self._registry.get_alias(self._alias)
            if record is not None and record.version != scorer.version and self._may_try(record.version):
                previous = scorer.version
                try:
                    scorer = Scorer(model=load_model(record, self._image_scorer), rules=scorer.rules)
                except LovemachineError as exc:
                    self._refuse(record.version, exc, keeping=previous)
                else:
                    log.warning(
                        "%s moved: now scoring with %s (was %s)", self._alias, record.version, previous
                    )
                    self.refusals.pop(record.version, None)
                    self.swaps += 1
            self._last_error = None
        except Exception as exc:  # the database may be briefly unavailable: keep what we have
            self._last_error = f"{type(exc).__name__}: {exc}"
            log.exception("refresh failed; keeping model %s", scorer.version)
        self._scorer = scorer

    def _may_try(self, version: str) -> bool:
        refused = self.refusals.get(version)
        return refused is None or time.monotonic() >= refused.retry_after

    def _refuse(self, version: str, exc: Exception, *, keeping: str) -> None:
        first = version not in self.refusals
        self.refusals[version] = Refusal(
            version=version,
            error=str(exc),
            at=datetime.now(UTC),
            retry_after=time.monotonic() + self._retry_refused_s,
        )
        if first:
            log.error(
                "REFUSED model %s for %s: %s; still scoring with %s", version, self._alias, exc, keeping
            )

    def stats(self) -> dict[str, Any]:
        return {
            "alias": self._alias,
            "model_version": self._scorer.version,
            "rules": len(self._scorer.rules),
            "swaps": self.swaps,
            "refused": [
                {"version": r.version, "error": r.error, "at": r.at.isoformat()}
                for r in self.refusals.values()
            ],
            "last_refresh_error": self._last_error,
        }
