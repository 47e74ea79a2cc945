"""The demo loop's people: the reviewer and the admin sign in to the CS tool, the marketplace's
customers report listings through its token, and the reviewer works the queues through the API,
labelling with the generator's ground truth."""

from __future__ import annotations

import random
import secrets
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from cli.common import console, progress_bar
from demo.catches import truth_label
from lovemachine.categories import CATEGORIES
from lovemachine.review import USER_REPORTS
from lovemachine.review.policy import AUDIT
from synth.trends import is_trend

if TYPE_CHECKING:
    from demo.loop import Loop
    from lovemachine.listings import LabelledListing

REVIEWER, ADMIN = "cs-ann", "ops-kai"
ACTOR = "demo-loop"


def sign_in(loop: Loop) -> None:
    from cstool_api.security import Passwords

    hasher = Passwords()
    logins = {REVIEWER: "agent", ADMIN: "admin"}
    passwords = {u: secrets.token_urlsafe(12) for u in logins}
    for username, role in logins.items():
        loop.store.create_staff(
            username=username, password_hash=hasher.hash(passwords[username]), role=role, actor=ACTOR
        )
    loop.reviewer = loop.cstool.sign_in(REVIEWER, passwords[REVIEWER])
    loop.admin = loop.cstool.sign_in(ADMIN, passwords[ADMIN])
    r = loop.admin.post("/api/v1/tokens", json={"name": "marketplace-reports", "scopes": ["reports:write"]})
    r.raise_for_status()
    loop.report_token = r.json()["token"]


def customer_reports(loop: Loop, rows: Sequence[LabelledListing]) -> None:
    """Customers report some of the violations the live model let through (what it reported is
    in CS's queues already), and now and then a clean listing, through the marketplace's token."""
    import httpx

    from demo.serve import REPORT_REASONS

    cfg = loop.cfg
    rng = random.Random(f"{cfg.seed}:reports:{loop.published}")
    decided = loop.decided(loop.worker.provider.version)
    reports = listings = trend = 0
    with httpx.Client(base_url=loop.cstool.url, timeout=60.0) as marketplace:
        marketplace.headers["Authorization"] = f"Bearer {loop.report_token}"
        for r in rows:
            d = decided.get(r.listing.id)
            if d is None or d.action.value != "allow":
                continue
            category = next((c for c in CATEGORIES if r.labels.get(c)), None)
            if rng.random() >= (cfg.report_share if category is not None else cfg.false_report_share):
                continue
            listings += 1
            trend += is_trend(r.tags)
            for reporter in rng.sample(range(1, 10_000), rng.randint(1, 3)):
                resp = marketplace.post(
                    "/api/v1/reports",
                    json={
                        "listing_id": r.listing.id,
                        "reason": REPORT_REASONS[category],
                        "reporter_id": f"buyer-{reporter:04d}",
                    },
                )
                resp.raise_for_status()
                reports += 1
    loop.result.reports += reports
    console.print(
        f"[green]✓[/] customers reported {listings} listings the model allowed ({trend} in the new "
        f"slang; {reports} reports) through POST /api/v1/reports (token scope reports:write)",
        highlight=False,
    )


def review(loop: Loop, queues: Sequence[str] = (USER_REPORTS, AUDIT, *CATEGORIES)) -> None:
    """The reviewer claims the top item of each queue in turn (``POST /queues/{q}/next``) and labels
    it with the truth (``POST /items/{id}/label``, an idempotency key per item)."""
    cfg, client = loop.cfg, loop.reviewer
    r = client.get("/api/v1/queues")
    r.raise_for_status()
    open_items = {q["queue"]: q["open"] for q in r.json()["items"]}
    total = sum(open_items.get(q, 0) for q in queues)
    if cfg.review_capacity is not None:
        total = min(total, cfg.review_capacity)
    given, verdicts = Counter[str](), Counter[str]()
    trend_labels = 0
    # every queue is worked at its own pace (a reviewer per queue, as it were): the next label goes
    # to the queue least far through its items, so the newest labels, which retraining holds out,
    # are a mix of every queue
    remaining = [q for q in queues if open_items.get(q, 0)]
    with progress_bar() as bar:
        task = bar.add_task(f"{REVIEWER} works the queues", total=total)
        while remaining and sum(given.values()) < total:
            q = min(remaining, key=lambda x: given[x] / open_items[x])
            resp = client.post(f"/api/v1/queues/{q}/next")
            if resp.status_code == 204:
                remaining.remove(q)
                continue
            resp.raise_for_status()
            item = resp.json()
            truth = loop.truth.get(item["listing_id"])
            if truth is None:  # not a listing of this demo: leave it for someone else
                client.delete(f"/api/v1/items/{item['id']}/claim").raise_for_status()
                remaining.remove(q)
                continue
            label = truth_label(truth.labels, q)
            resp = client.post(
                f"/api/v1/items/{item['id']}/label",
                json={"label": label, "note": "demo: the generator's ground truth"},
                headers={"Idempotency-Key": f"demo-loop-{item['id']}"},
            )
            resp.raise_for_status()
            given[q] += 1
            verdicts[label] += 1
            trend_labels += is_trend(truth.tags)
            bar.update(task, completed=sum(given.values()))
    for q, n in given.items():
        loop.result.labels[q] = loop.result.labels.get(q, 0) + n
    loop.result.trend_labels += trend_labels
    console.print(
        f"[green]✓[/] {sum(given.values())} labels ("
        + ", ".join(f"{q} {given[q]}" for q in queues if given[q])
        + "): "
        + ", ".join(f"{v} {n}" for v, n in verdicts.most_common())
        + f"; {trend_labels} on listings in the new slang",
        highlight=False,
    )
