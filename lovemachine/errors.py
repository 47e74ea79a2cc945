"""The exception tree: every error the product raises on purpose is one of these.

    LovemachineError
    ├── PermanentError          retrying cannot help: the message goes to the dead-letter topic
    │   ├── InvalidEventError   a listing event that breaks the contract (docs/events.md)
    │   ├── DataRejectedError   the database refused a row as invalid (constraint, value out of range)
    │   └── ArtifactIntegrityError   a model artifact whose checksum does not match its record
    ├── TransientError          retry later: the worker keeps the message and retries with backoff
    │   ├── DatabaseUnavailableError   the database is unreachable, timed out or dropped the connection
    │   ├── BrokerUnavailableError     a publish failed or timed out (Pub/Sub unreachable)
    │   └── TransparencyDbUnavailableError   the Transparency Database did not answer in time
    ├── PubSubUnavailableError  an admin call (topics, subscriptions) could not reach Pub/Sub in time
    ├── StreamFailedError       a streaming pull could not be kept open
    ├── BrokerNotFoundError     a topic or subscription does not exist (also a ``LookupError``)
    ├── ModelNotFoundError      no live model yet; the message says how to train one
    ├── AliasConflictError      a conditional alias move found the alias elsewhere (someone moved it)
    ├── PromotionBlockedError   a promotion's gates did not pass (and it was not forced)
    ├── ReviewError             the CS tool's domain refused a request (its ``code`` is the API's)
    │   ├── NotFoundError       no such item, rule, staff member... (also a ``LookupError``)
    │   ├── ConflictError       the request conflicts with the current state (taken, already labelled)
    │   ├── AlreadyExistsError  a unique name or key is taken
    │   └── RefusedError        the request is well-formed but the rules refuse it (an appeal too late,
    │                           an appeal decided by the person who made the decision)
    ├── InvalidCursorError      a pagination cursor that was not ours (also a ``ValueError``)
    ├── NotEnoughLabelsError    too few usable labels to retrain
    ├── RetrainError            a retraining run failed; ``run`` is its recorded run
    ├── ConfigurationError      an operator's setting or policy file is invalid (also a ``ValueError``)
    │   └── TransparencyDbConfigError   the Transparency Database client cannot work as configured
    │       └── TransparencyDbAuthError the Transparency Database refused the token
    └── EvaluationError         an offline evaluation cannot run as configured
        └── ConfigError         its config is missing, not YAML, or off the schema (also a ``ValueError``)

Every error carries a short machine-readable ``code`` used in logs, dead-letter attributes and
API error bodies. Modules that raise them re-export them where callers have always imported them
(``lovemachine.review.records.NotFoundError``, ``trainers.retrain.RetrainError`` ...).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lovemachine.retraining import TrainingRun


class LovemachineError(Exception):
    code = "error"


class PermanentError(LovemachineError):
    code = "permanent"


class InvalidEventError(PermanentError):
    code = "invalid_event"


class DataRejectedError(PermanentError):
    """The database refused the row itself (integrity or data error): the same row always fails."""

    code = "data_rejected"


class ArtifactIntegrityError(PermanentError):
    code = "artifact_integrity"


class TransientError(LovemachineError):
    code = "transient"


class DatabaseUnavailableError(TransientError):
    """The database could not be reached or answered with a transient failure; nothing was written."""

    code = "database_unavailable"


class BrokerUnavailableError(TransientError):
    """Publishing failed or did not complete in time; the broker may or may not have the message."""

    code = "broker_unavailable"


class ModelNotFoundError(LovemachineError):
    code = "model_not_found"

    def __init__(self, detail: str = "no live model is registered") -> None:
        super().__init__(
            f"{detail}. Train one first: `lovemachine train` (synthetic data) "
            "or `lovemachine train --data labelled.jsonl`."
        )


class AliasConflictError(LovemachineError):
    """A compare-and-set alias move lost: the alias no longer points where the caller checked it."""

    code = "alias_conflict"


class PromotionBlockedError(LovemachineError):
    """``promote`` refused: a gate failed. ``failed`` names each failed gate with its reason."""

    code = "promotion_blocked"

    def __init__(self, message: str, failed: list[str] | None = None) -> None:
        super().__init__(message)
        self.failed = list(failed or [])


class PubSubUnavailableError(LovemachineError):
    """An admin call (creating topics and subscriptions) could not reach Pub/Sub in time."""

    code = "pubsub_unavailable"


class StreamFailedError(LovemachineError):
    """A streaming pull could not be kept open (Pub/Sub down too long, or a non-retryable status)."""

    code = "stream_failed"


class BrokerNotFoundError(LovemachineError, LookupError):
    """The topic or subscription does not exist (Pub/Sub answers NOT_FOUND)."""

    code = "broker_not_found"


class ReviewError(LovemachineError):
    code = "review_error"

    def __init__(self, message: str, *, code: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.details = details


class NotFoundError(ReviewError, LookupError):
    code = "not_found"


class ConflictError(ReviewError):
    code = "conflict"


class AlreadyExistsError(ReviewError):
    code = "already_exists"


class RefusedError(ReviewError):
    """Well-formed, but the rules refuse it; ``code`` says which rule."""

    code = "refused"


class ConfigurationError(LovemachineError, ValueError):
    """An operator's setting or policy file is invalid; the message names the setting and the fix."""

    code = "configuration_error"


class TransparencyDbConfigError(ConfigurationError):
    """The client cannot work as configured (bad base URL, missing endpoint): retrying cannot help,
    and the fix is the configuration, not the statement. Not a ``PermanentError``: that one sends a
    message to the dead-letter topic, which would dead-letter every statement behind a bad setting."""

    code = "tdb_config"


class TransparencyDbAuthError(TransparencyDbConfigError):
    """The API refused the bearer token (``401``/``403``): generate a new one in the TDB profile."""

    code = "tdb_token_refused"


class TransparencyDbUnavailableError(TransientError):
    """``existing()`` could not get an answer: a transient error outlived the retries."""

    code = "tdb_unavailable"


class InvalidCursorError(LovemachineError, ValueError):
    code = "invalid_cursor"


class NotEnoughLabelsError(LovemachineError):
    """Too few usable labels to hold the newest out and still learn from the rest."""

    code = "not_enough_labels"


class RetrainError(LovemachineError):
    """A retraining run failed; ``run`` is its record (status ``failed``, with the error)."""

    code = "retrain_failed"

    def __init__(self, message: str, run: TrainingRun) -> None:
        super().__init__(message)
        self.run = run


class EvaluationError(LovemachineError):
    """An evaluation cannot run as configured (bad config, unreadable data, missing model)."""

    code = "evaluation_error"


class ConfigError(EvaluationError, ValueError):
    """The config file is missing, is not YAML, or does not match the schema."""

    code = "config_error"
