"""Hands the worker a consistent (model, rules) snapshot per batch and refreshes it in the background.

CS staff change rules and deploys move the ``champion`` alias while workers run; the provider polls
cheap revision tokens every few seconds and swaps in a new Scorer atomically. A batch always uses one
snapshot, so each decision records exactly the model version that made it. If a new model fails to
load (bad checksum, unreadable), the provider keeps the one it has and logs the refusal.
"""

from __future__ import annotations

import logging
import threading
import time

from lovemachine.errors import LovemachineError
from lovemachine.images import ImageScorer
from lovemachine.ports import ModelRegistry, ModelVersionRecord, RuleStore
from lovemachine.registry import LoadedModel
from lovemachine.registry.loader import load_record
from lovemachine.rules import RuleSet
from lovemachine.services.scoring import Scorer

log = logging.getLogger(__name__)


class ScorerProvider:
    def __init__(
        self,
        *,
        registry: ModelRegistry,
        rules: RuleStore,
        alias: str = "champion",
        refresh_seconds: float = 5.0,
        image_scorer: ImageScorer | None = None,
    ) -> None:
        self._registry = registry
        self._rules = rules
        self._alias = alias
        self._refresh = refresh_seconds
        self._image_scorer = image_scorer
        self._lock = threading.Lock()
        self._checked_at = 0.0
        self._rules_revision: str | None = None
        record = registry.get_alias(alias)
        if record is None:
            from lovemachine.errors import ModelNotFoundError

            raise ModelNotFoundError(f"no model version has the alias {alias!r}")
        self._rules_revision = rules.rules_revision()
        self._scorer = Scorer(model=self._load(record), rules=RuleSet(rules.list_rules()))
        self._checked_at = time.monotonic()
        self.refusals: list[str] = []

    def _load(self, record: ModelVersionRecord) -> LoadedModel:
        loaded = load_record(record)
        attach = getattr(loaded.model, "attach_image_scorer", None)
        if attach is not None:
            attach(self._image_scorer)
        return loaded

    def get(self) -> Scorer:
        if time.monotonic() - self._checked_at >= self._refresh and self._lock.acquire(blocking=False):
            try:
                self._maybe_refresh()
            finally:
                self._checked_at = time.monotonic()
                self._lock.release()
        return self._scorer

    def _maybe_refresh(self) -> None:
        scorer = self._scorer
        try:
            revision = self._rules.rules_revision()
            if revision != self._rules_revision:
                scorer = scorer.with_rules(RuleSet(self._rules.list_rules()))
                log.info("rules reloaded (%d enabled)", len(scorer.rules))
                self._rules_revision = revision
            record = self._registry.get_alias(self._alias)
            if record is not None and record.version != scorer.version:
                try:
                    scorer = Scorer(model=self._load(record), rules=scorer.rules)
                    log.info("model %s -> %s", self._scorer.version, record.version)
                except LovemachineError as exc:
                    msg = f"refused model {record.version}: {exc}"
                    if msg not in self.refusals:
                        self.refusals.append(msg)
                        log.error(msg)
        except Exception:  # the database may be briefly unavailable: keep what we have
            log.exception("refresh failed; keeping model %s", scorer.version)
        self._scorer = scorer
