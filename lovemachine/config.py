"""One Settings object, read from ``LOVEMACHINE_*`` environment variables.

Each entry point (CLI command, worker, API) builds it once and passes it down; nothing else reads
the environment. ``PUBSUB_EMULATOR_HOST`` is read by Google's client itself and is not duplicated here.
"""

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_HOME = Path("var")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LOVEMACHINE_", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{DEFAULT_HOME / 'lovemachine.db'}",
        description="SQLAlchemy URL; SQLite file by default, postgresql+psycopg://... in production",
    )
    artifact_dir: Path = Field(default=DEFAULT_HOME / "artifacts", description="where model artifacts live")
    broker: str = Field(default="local", description="'local' (embedded, in-process) or 'pubsub'")
    gcp_project: str = Field(default="lovemachine-local", description="GCP project of the Pub/Sub topics")
    listing_topic: str = "listing-events"
    listing_subscription: str = "lovemachine-scorer"
    actions_topic: str = "moderation-actions"
    actions_subscription: str = "moderation-actions-marketplace"
    dead_letter_topic: str = "listing-events-dead-letter"
    dead_letter_subscription: str = "listing-events-dead-letter-sub"
    max_delivery_attempts: int = Field(default=5, ge=5, le=100, description="Pub/Sub allows 5..100")
    ack_deadline_seconds: int = Field(default=60, ge=10, le=600)
    batch_size: int = Field(default=256, ge=1, le=5000)
    batch_max_wait_ms: float = Field(default=20.0, ge=0)
    flow_control_max_messages: int = Field(default=2000, ge=1)
    subscriber_streams: int = Field(default=2, ge=1, le=16, description="parallel streaming pulls per worker")
    rules_refresh_seconds: float = Field(
        default=5.0, gt=0, description="how often workers look for new rules and alias moves"
    )
    # blue-green deploys: shadow scoring with the challenger, and the promotion gates
    shadow_enabled: bool = Field(default=True, description="workers also score with the challenger")
    shadow_max_pending_batches: int = Field(
        default=8, ge=1, description="batches waiting for shadow scoring; beyond, batches skip the shadow"
    )
    shadow_yield_backlog: int = Field(
        default=512, ge=0, description="the shadow skips batches while this many messages wait (0: never)"
    )
    promote_min_shadow: int = Field(
        default=1000, ge=0, description="listings both models must have scored before a promotion"
    )
    promote_max_hide_ratio: float = Field(
        default=1.5, gt=0, description="the challenger may hide at most this many times the champion's hides"
    )
    model_name: str = "lovemachine"
    images_enabled: bool = Field(default=True, description="score listing images in the adult band")
    image_timeout_s: float = Field(default=2.0, gt=0, le=30, description="total time per image fetch")
    image_max_bytes: int = Field(default=5_000_000, ge=1024, description="larger images are refused")
    images_per_listing: int = Field(default=1, ge=1, le=10, description="images scored per listing")
    # CS tool (cstool_api, `lovemachine serve`)
    cookie_secure: bool = Field(
        default=True,
        description="Secure flag on the CS tool's cookies; false only for plain http://127.0.0.1",
    )
    claim_minutes: float = Field(
        default=5.0, gt=0, le=240, description="how long opening a review item holds it"
    )
    session_hours: float = Field(default=12.0, gt=0, le=720, description="how long a CS sign-in lasts")
    preview_max_listings: int = Field(
        default=100_000, ge=1, description="most recent listings a rule preview scans at most"
    )
    # retraining (issue 5): the random audit sample against selection bias
    audit_sample_rate_hidden: float = Field(
        default=0.01, ge=0, le=1, description="share of auto-hidden listings also sent to the audit queue"
    )
    audit_sample_rate_allowed: float = Field(
        default=0.001, ge=0, le=1, description="share of allowed listings sent to the audit queue"
    )
    audit_sample_salt: str = Field(
        default="lovemachine-audit-v1",
        min_length=1,
        description="salt of the audit draw; change it to draw a fresh sample of the same listings",
    )
