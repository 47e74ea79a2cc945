"""What every request handler shares: settings, the store, the broker, secrets helpers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from cstool_api.security import LoginThrottle, Passwords
from lovemachine.config import Settings
from lovemachine.ports import Broker, CsToolStore


@dataclass
class AppState:
    settings: Settings
    store: CsToolStore
    broker: Broker
    passwords: Passwords
    throttle: LoginThrottle
    metrics_registry: Any = None
    """The Prometheus registry ``/metrics`` serves (built on first scrape; ``cstool_api.metrics``)."""

    @property
    def claim_ttl(self) -> timedelta:
        return timedelta(minutes=self.settings.claim_minutes)

    @property
    def session_ttl(self) -> timedelta:
        return timedelta(hours=self.settings.session_hours)
