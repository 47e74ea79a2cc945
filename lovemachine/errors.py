"""The exception tree.

    LovemachineError
    ├── PermanentError          retrying cannot help: the message goes to the dead-letter topic
    │   ├── InvalidEventError   a listing event that breaks the contract (docs/events.md)
    │   └── ArtifactIntegrityError   a model artifact whose checksum does not match its record
    ├── TransientError          retry later: the message is nacked and redelivered
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


class ArtifactIntegrityError(PermanentError):
    code = "artifact_integrity"


class TransientError(LovemachineError):
    code = "transient"


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
