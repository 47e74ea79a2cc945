"""The exception tree.

    LovemachineError
    ├── PermanentError          retrying cannot help: the message goes to the dead-letter topic
    │   ├── InvalidEventError   a listing event that breaks the contract (docs/events.md)
    │   ├── DataRejectedError   the database refused a row as invalid (constraint, value out of range)
    │   └── ArtifactIntegrityError   a model artifact whose checksum does not match its record
    ├── TransientError          retry later: the worker keeps the message and retries with backoff
    │   ├── DatabaseUnavailableError   the database is unreachable, timed out or dropped the connection
    │   └── BrokerUnavailableError     a publish failed or timed out (Pub/Sub unreachable)
    ├── ModelNotFoundError      no live model yet; the message says how to train one
    ├── AliasConflictError      a conditional alias move found the alias elsewhere (someone moved it)
    └── PromotionBlockedError   a promotion's gates did not pass (and it was not forced)

Every error carries a short machine-readable ``code`` used in logs, dead-letter attributes and
API error bodies.
"""


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
