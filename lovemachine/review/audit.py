"""The random audit sample: listings the model hid or allowed, sent to CS at a small, known rate.

CS labels what the model sends it (reports, hides) and what customers report, so labels alone say
nothing about the listings the model allowed, and little about hides nobody reviewed: precision and
recall computed from them are biased. A small random sample of both goes to the ``audit`` queue;
knowing each stratum's sampling rate, its labels estimate live precision and recall without that
bias (``trainers.live_quality``).

The draw is a hash, not a random number: ``sha256(salt, listing id, listing version)`` mapped to
[0, 1) and compared with the rate of the decision's stratum. A redelivered or replayed message (or a
second worker racing on it) therefore picks exactly the same listings, and the cost on the worker's
hot path is one hash per hidden or allowed decision. Reports are never sampled: every report is
reviewed already.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from lovemachine.config import Settings
from lovemachine.policy import Action
from lovemachine.review.records import LabelRecord
from lovemachine.sampling import unit_hash

STRATA: Final[tuple[str, ...]] = ("hide", "report", "allow")
"""The decision's action: the stratum of the audit sample (reports are reviewed in full)."""

DEFAULT_SALT: Final = "lovemachine-audit-v1"


def sample_point(listing_id: str, listing_version: int, salt: str = DEFAULT_SALT) -> float:
    """A uniform number in [0, 1) fixed by (salt, listing id, version): the same listing, the same draw."""
    return unit_hash(salt, listing_id, listing_version)


@dataclass(frozen=True)
class AuditSample:
    """Which decisions open an ``audit`` review item: ``rate_hidden`` of hides, ``rate_allowed`` of allows."""

    rate_hidden: float = 0.01
    rate_allowed: float = 0.001
    salt: str = DEFAULT_SALT

    def __post_init__(self) -> None:
        for name in ("rate_hidden", "rate_allowed"):
            rate = getattr(self, name)
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"{name} must lie in [0, 1], got {rate}")

    def rate(self, action: Action | str) -> float:
        """The sampling rate of a decision's stratum (1.0 for reports: all of them are reviewed)."""
        action = Action(action)
        if action is Action.HIDE:
            return self.rate_hidden
        if action is Action.ALLOW:
            return self.rate_allowed
        return 1.0

    def selects(self, listing_id: str, listing_version: int, action: Action | str) -> bool:
        """Whether this decision goes to the audit queue (never for reports, which CS reviews anyway)."""
        action = Action(action)
        if action is Action.REPORT:
            return False
        rate = self.rate(action)
        return rate > 0.0 and sample_point(listing_id, listing_version, self.salt) < rate


def audit_sample_from(settings: Settings) -> AuditSample:
    return AuditSample(
        rate_hidden=settings.audit_sample_rate_hidden,
        rate_allowed=settings.audit_sample_rate_allowed,
        salt=settings.audit_sample_salt,
    )


@dataclass(frozen=True)
class SampledDecision:
    """A decision in the sample that measures live quality, with the labels on its listing version.

    Reports are all in it (CS reviews every one); hides and allows only when the audit sample drew
    them. ``labels`` are every CS and audit label on the version (resolve them with
    ``lovemachine.review.truth.resolve``).
    """

    decision_id: int
    listing_id: str
    listing_version: int
    action: str
    scores: dict[str, float]
    labels: tuple[LabelRecord, ...]
