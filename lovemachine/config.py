"""One Settings object, read from ``LOVEMACHINE_*`` environment variables.

Each entry point (CLI command, worker, API) builds it once and passes it down; nothing else reads
the environment. ``PUBSUB_EMULATOR_HOST`` is read by Google's client itself and is not duplicated here.
"""

from pathlib import Path
from typing import Annotated, Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from lovemachine.dsa.policy import DsaPolicy, load_dsa_policy

DEFAULT_HOME = Path("var")


def _comma_list(v: object) -> object:
    """A list setting given as "a, b,c" (environment) or a list: stripped, empty entries dropped.
    Anything else is returned for pydantic to refuse with its own message."""
    items = v.split(",") if isinstance(v, str) else v
    if not isinstance(items, list | tuple):
        return items
    return [str(x).strip() for x in items if str(x).strip()]


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
    # worker resilience (issue 10): transient errors are waited out, never dead-lettered
    retry_initial_s: float = Field(
        default=0.5, gt=0, le=60, description="first wait after a transient error (database or broker down)"
    )
    retry_max_s: float = Field(
        default=30.0, gt=0, le=600, description="longest wait between retries (the wait doubles up to it)"
    )
    retry_max_hold_s: float = Field(
        default=900.0,
        gt=0,
        le=3000,
        description="a batch still failing transiently after this long is nacked (on its last allowed "
        "delivery: dead-lettered with the error); below the client's 1 h lease extension",
    )
    outbox_sweep_interval_s: float = Field(
        default=5.0,
        ge=0,
        description="how often a worker publishes committed but unpublished actions (0: off)",
    )
    outbox_sweep_min_age_s: float = Field(
        default=30.0, gt=0, description="a decision's action is swept only once it is this old"
    )
    outbox_sweep_lookback_s: float = Field(
        default=3600.0,
        gt=0,
        description="how far back a worker's first sweep looks (older ones wait for their redelivery)",
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
    promote_min_hide_ratio: float = Field(
        default=0.67,
        ge=0,
        description="... and at least this many times: fewer hides leave violations visible",
    )
    review_capacity_per_day: int = Field(
        default=50_000, gt=0, description="review items (reports + hides) CS works a day; a promotion gate"
    )
    daily_listings: int = Field(
        default=200_000,
        gt=0,
        description="listings a day: a shadow under an hour is held to the share capacity / listings",
    )
    promote_max_report_ratio: float = Field(
        default=2.0,
        gt=0,
        description="the challenger may report at most this many times the champion's reports",
    )
    promote_report_floor: int = Field(
        default=20, ge=1, description="the report ratio counts the champion's reports as at least this many"
    )
    promote_min_labelled: int = Field(
        default=30,
        ge=1,
        description="CS labels on the challenger's flags (hides) before the precision (hide precision) "
        "gate checks anything",
    )
    promote_max_precision_drop: float = Field(
        default=0.05,
        ge=0,
        le=1,
        description="the challenger's precision on CS labels, at most this below the champion's",
    )
    promote_min_hide_precision: float = Field(
        default=0.95,
        ge=0,
        le=1,
        description="share of the challenger's labelled hides CS confirmed, at least",
    )
    base_rates: Annotated[dict[str, float], NoDecode] = Field(
        default_factory=dict,
        description="live share of violations per category, e.g. 'counterfeit=0.02,adult=0.01': hide "
        "precision is judged at these rates; unset categories use the audit sample's estimate "
        "(retraining) or the defaults",
    )
    model_name: str = "lovemachine"
    # Pub/Sub resilience (issue 10): stream supervision and a bounded shutdown
    worker_grace_s: float = Field(
        default=20.0, gt=0, le=600, description="SIGTERM: the worker stops within this (below the pod's)"
    )
    pubsub_give_up_s: float = Field(
        default=600.0,
        gt=0,
        description="a streaming pull down (failing, Pub/Sub unreachable) this long stops the worker: exit 1",
    )
    pubsub_reopen_backoff_max_s: float = Field(
        default=10.0, gt=0, le=300, description="longest wait between re-opens of a failed streaming pull"
    )
    pubsub_admin_timeout_s: float = Field(
        default=60.0, gt=0, description="how long creating topics and subscriptions waits for Pub/Sub"
    )
    # image fetching (workers, the CS tool's image proxy, `lovemachine images check`)
    images_enabled: bool = Field(default=True, description="score listing images in the adult band")
    image_timeout_s: float = Field(default=2.0, gt=0, le=30, description="total time per image fetch")
    image_max_bytes: int = Field(default=5_000_000, ge=1024, description="larger images are refused")
    images_per_listing: int = Field(default=1, ge=1, le=10, description="images scored per listing")
    image_max_redirects: int = Field(default=2, ge=0, le=10, description="redirects followed per image")
    image_allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="hosts (host or host:port, comma-separated) fetched although their address is not "
        "public: test and demo image servers only; empty in production",
    )
    image_proxy_cache_mb: int = Field(
        default=64, ge=0, le=4096, description="the CS tool's cache of re-encoded listing images (MB)"
    )

    @model_validator(mode="after")
    def _hide_ratio_bounds(self) -> Self:
        if self.promote_min_hide_ratio > self.promote_max_hide_ratio:
            raise ValueError(
                f"promote_min_hide_ratio ({self.promote_min_hide_ratio:g}) exceeds promote_max_hide_ratio "
                f"({self.promote_max_hide_ratio:g})"
            )
        return self

    @field_validator("base_rates", mode="before")
    @classmethod
    def _base_rates(cls, v: object) -> object:
        """'counterfeit=0.02,adult=0.01' (environment) or a mapping; every entry checked."""
        from lovemachine.categories import CATEGORIES

        if isinstance(v, str):
            pairs = [str(item).partition("=")[::2] for item in _comma_list(v)]  # type: ignore[attr-defined]
        elif isinstance(v, dict):
            pairs = [(str(k), str(x)) for k, x in v.items()]
        else:
            return v
        out: dict[str, float] = {}
        for name, value in pairs:
            name = name.strip()
            if name not in CATEGORIES:
                raise ValueError(
                    f"base rate for {name!r}: expected CATEGORY=RATE, one of {', '.join(CATEGORIES)}"
                )
            try:
                rate = float(value)
            except ValueError:
                raise ValueError(f"base rate for {name}: {value!r} is not a number") from None
            if not 0.0 < rate < 1.0:
                raise ValueError(f"base rate for {name}: {rate:g} must lie strictly between 0 and 1")
            out[name] = rate
        return out

    @field_validator("image_allowed_hosts", mode="before")
    @classmethod
    def _host_list(cls, v: object) -> object:
        from lovemachine.images import parse_host_entry

        items = _comma_list(v)
        for item in items if isinstance(items, list) else ():
            parse_host_entry(item)  # ValueError: "'x:y' is not a host or host:port"
        return items

    # CS tool (cstool_api, `lovemachine serve`)
    cookie_secure: bool = Field(
        default=True,
        description="Secure flag on the CS tool's cookies; false only for plain http://127.0.0.1",
    )
    claim_minutes: float = Field(
        default=5.0, gt=0, le=240, description="how long opening a review item holds it"
    )
    session_hours: float = Field(default=12.0, gt=0, le=720, description="how long a CS sign-in lasts")
    # CS tool limits (issue 10): unauthenticated callers get bounded cost
    max_body_bytes: int = Field(
        default=1 << 20, ge=1024, le=1 << 30, description="larger request bodies get 413, unread"
    )
    password_checks_concurrent: int = Field(
        default=2, ge=1, le=64, description="argon2 checks (64 MiB each) running at once"
    )
    password_checks_waiting: int = Field(
        default=8, ge=0, le=1000, description="sign-ins waiting for a check; beyond, 503 with Retry-After"
    )
    login_max_failures: int = Field(
        default=5, ge=1, le=1000, description="failed sign-ins per (username, client address) per window"
    )
    login_max_failures_per_address: int = Field(
        default=50, ge=1, le=100_000, description="failed sign-ins per client address per window"
    )
    login_window_seconds: float = Field(default=300.0, gt=0, le=86_400, description="the throttle window")
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="proxies (IPs or CIDRs, comma-separated; '*': any) whose X-Forwarded-For/-Proto are "
        "believed; empty: nobody's, the peer address is the client",
    )

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxy_list(cls, v: object) -> object:
        import ipaddress

        items = _comma_list(v)
        for item in items if isinstance(items, list) else ():
            if item != "*":
                ipaddress.ip_network(item, strict=False)  # ValueError: "'x' does not appear to be ..."
        return items

    preview_max_listings: int = Field(
        default=100_000, ge=1, description="most recent listings a rule preview scans at most"
    )
    # rule limits: rules run on RE2 (linear time); a preview is bounded in rows (above) and time
    preview_max_seconds: float = Field(
        default=5.0, gt=0, le=120, description="a rule preview stops scanning after this long (partial)"
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
    metrics_port: int = Field(
        default=9464,
        ge=-1,
        le=65535,
        description="`lovemachine worker`: /metrics, /healthz, /readyz on this port (0: a free one; -1: off)",
    )
    # -- the enforcement record (DSA): docs/dsa.md
    dsa_policy_file: Path | None = Field(
        default=None,
        description="YAML with the operator's grounds per category, seller templates (ja, en), appeal "
        "window, strike weights; unset: the built-in example policy",
    )
    tdb_url: str = Field(
        default="https://transparency.dsa.ec.europa.eu",
        description="the DSA Transparency Database's base URL (lovemachine dsa submit)",
    )
    tdb_attempts: int = Field(
        default=5, ge=1, le=20, description="tries per batch before a statement is recorded as failed"
    )
    tdb_token: SecretStr | None = Field(
        default=None, description="the platform's Transparency Database API token (lovemachine dsa submit)"
    )

    def dsa_policy(self) -> DsaPolicy:
        """The operator's DSA policy (``dsa_policy_file``), or the built-in example."""
        return load_dsa_policy(self.dsa_policy_file)
