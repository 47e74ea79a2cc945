"""Review items for the browser tests, made the way production makes them: real decisions recorded
through the SQL store (``record_decisions``) on synthetic listings whose photos a local image host
serves, plus a registered model (for thresholds), a CS rule, user reports and one earlier CS label
(so a seller has a history). The page then shows what a reviewer sees in production.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from lovemachine.adapters.sql import SqlStore
from lovemachine.adapters.sql.tables import review_items
from lovemachine.categories import CATEGORIES
from lovemachine.listings import LabelledListing, Listing
from lovemachine.policy import Action, Decision
from lovemachine.ports import ModelVersionRecord
from synth import generate

MODEL_VERSION = "lm-20261123-browser"
THRESHOLDS = {c: {"report": 0.6, "hide": 0.95} for c in CATEGORIES}
PREVIEW_WORD = "quickcashcode"
"""A word a few seeded listings carry, so a rule preview for it finds them."""
REPEAT_SELLER = "S-repeat-offender"


@dataclass
class Seeded:
    by_queue: dict[str, list[str]] = field(default_factory=dict)
    """Listing ids with an open review item, per queue, highest priority first."""
    image_kinds: dict[str, str] = field(default_factory=dict)
    """listing id -> photo kind, read by the synthetic image host."""
    preview_hits: int = 0
    """How many seeded listings contain ``PREVIEW_WORD``."""


def _decision(
    listing: Listing, category: str | None, score: float, action: Action, rule_ids: list[int]
) -> Decision:
    scores = {c: round(0.01 + 0.03 * i, 3) for i, c in enumerate(CATEGORIES)}
    reasons: list[str] = []
    if category is not None:
        scores[category] = score
        level = "hide" if action is Action.HIDE else "report"
        reasons.append(f"{category}: score {score:.3f} >= {level} threshold {THRESHOLDS[category][level]}")
    reasons += [f"rule #{r} matched" for r in rule_ids]
    return Decision(
        listing_id=listing.id,
        listing_version=listing.version,
        action=action,
        scores=scores,
        reasons=reasons,
        model_version=MODEL_VERSION,
        decided_at=datetime.now(UTC),
        category=category,
        rule_ids=rule_ids,
    )


def seed(store: SqlStore, *, image_host: str, per_queue: int = 12, seed: int = 11) -> Seeded:
    """Open ``per_queue`` review items in each category queue, and record a few allowed listings."""
    out = Seeded()
    store.register_model_version(
        ModelVersionRecord(
            version=MODEL_VERSION,
            name=store.model_name,
            artifact_uri="file:///nonexistent",
            artifact_sha256="0" * 64,
            training_data_sha256="0" * 64,
            metrics={},
            thresholds=THRESHOLDS,
            created_at=datetime.now(UTC) - timedelta(days=1),
        )
    )
    rule = store.add_rule(
        pattern="gift card code",
        kind="keyword",
        category="cash",
        action="report",
        owner="seed",
        note="seeded",
    )
    start = datetime.now(UTC) - timedelta(days=2)
    rows = [
        LabelledListing.model_validate(r)
        for r in generate(1500, seed=seed, start=start, days=2, image_host=image_host, id_prefix="B")
    ]
    items: list[tuple[Listing, Decision]] = []
    for category in CATEGORIES:
        chosen = [r for r in rows if r.labels.get(category)][:per_queue]
        for k, row in enumerate(chosen):
            listing = row.listing
            rule_ids: list[int] = []
            if category == "cash" and k < 3:
                text = f"{listing.description}\n{PREVIEW_WORD}: gift card code sent by message"
                listing = listing.model_copy(update={"description": text})
                rule_ids = [rule.id]
                out.preview_hits += 1
            if k % 4 == 0:
                listing = listing.model_copy(update={"seller_id": REPEAT_SELLER})
            hide = k % 3 == 0
            score = (0.99 if hide else 0.9) - 0.01 * k
            items.append(
                (
                    listing,
                    _decision(listing, category, score, Action.HIDE if hide else Action.REPORT, rule_ids),
                )
            )
            out.by_queue.setdefault(category, []).append(listing.id)
            out.image_kinds[listing.id] = "skin" if category == "adult" else "product"
    for row in [r for r in rows if not any(r.labels.values())][:20]:
        items.append((row.listing, _decision(row.listing, None, 0.0, Action.ALLOW, [])))
        out.image_kinds[row.listing.id] = "product"
    store.record_decisions(items)

    # CS confirmed one of the repeat seller's listings earlier: the others show it as seller history.
    earlier = out.by_queue["keyword_stuffing"].pop(8)
    item_id = review_item_id(store, earlier, "keyword_stuffing")
    store.claim_item(item_id, username="seed-lead", ttl=timedelta(minutes=5))
    store.record_label(item_id, reviewer="seed-lead", label="keyword_stuffing", note="seeded")
    # Two customers reported the top cash listing.
    top_cash = out.by_queue["cash"][0]
    for reporter, reason in (("U-1001", "asks to pay with a gift card code"), ("U-2002", "scam")):
        store.add_user_report(listing_id=top_cash, reporter_id=reporter, reason=reason, actor="seed")
    out.by_queue["user_reports"] = [top_cash]
    _age_review_items(store)
    return out


def _age_review_items(store: SqlStore) -> None:
    """Spread the items' arrival over the last day, as a real queue's would be (oldest waits ~20 h)."""
    now = datetime.now(UTC)
    with store.engine.begin() as conn:
        ids = conn.execute(select(review_items.c.id).order_by(review_items.c.id)).scalars().all()
        for n, item_id in enumerate(ids):
            waited = timedelta(minutes=7 + (n * 97) % (20 * 60))
            conn.execute(
                update(review_items).where(review_items.c.id == item_id).values(created_at=now - waited)
            )


def review_item_id(store: SqlStore, listing_id: str, queue: str) -> int:
    query = select(review_items.c.id).where(
        review_items.c.listing_id == listing_id, review_items.c.queue == queue
    )
    with store.engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


# ------------------------------------------------------------------------------------ appeals
MARKETPLACE = "marketplace"
"""The token name complaints are forwarded under (``submitted_by``)."""


def appeal_listing(
    listing_id: str,
    *,
    seller: str,
    version: int = 1,
    title: str = "Leather tote bag, like new",
    description: str = "Bought last year, used twice. Receipt included.",
) -> Listing:
    """A listing for an appeal case; no photos (an appeal case shows none)."""
    return Listing(
        id=listing_id,
        version=version,
        seller_id=seller,
        title=title,
        description=description,
        price=18_000,
        currency="JPY",
        category="bags",
        brand="Acme",
        image_urls=[],
    )


def record_decision(
    store: SqlStore, listing: Listing, action: Action, category: str = "counterfeit", score: float = 0.97
) -> None:
    """The model's decision on ``listing``, recorded as the worker records it (an allow has no
    category); a hide hides the listing and issues its statement of reasons."""
    cat = None if action is Action.ALLOW else category
    store.record_decisions([(listing, _decision(listing, cat, score if cat else 0.0, action, []))])


def confirm_violation(store: SqlStore, listing: Listing, *, reviewer: str) -> None:
    """The model reports ``listing`` as counterfeit and ``reviewer`` confirms it with a label: the
    listing is hidden, a statement of reasons names the reviewer, and the seller has a strike."""
    record_decision(store, listing, Action.REPORT)
    item_id = review_item_id(store, listing.id, "counterfeit")
    store.claim_item(item_id, username=reviewer, ttl=timedelta(minutes=5))
    store.record_label(item_id, reviewer=reviewer, label="counterfeit", note="fake logo")


def appeal_against_label(store: SqlStore, listing: Listing, *, reviewer: str, text: str) -> int:
    """``reviewer`` confirmed a violation on ``listing`` (``confirm_violation``) and the seller appeals
    that restriction; returns the appeal's id."""
    confirm_violation(store, listing, reviewer=reviewer)
    appeal, _ = store.create_appeal(
        appellant="seller",
        text=text,
        submitted_by=MARKETPLACE,
        listing_id=listing.id,
        listing_version=listing.version,
    )
    return appeal.id
