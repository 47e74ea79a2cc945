"""The demo loop's appeal, end to end through the CS tool's API, as a marketplace and its CS team
would run it: the marketplace reads the statement of reasons a hide carried (``GET
/statements/{puid}``, the seller's language), forwards the seller's complaint (``POST /appeals``,
a token with ``appeals:write``); the reviewer who confirmed the hide is never offered it; a lead
decides it by the truth, with a written reason (``POST /appeals/{id}/decision``): overturned restores
the listing and issues a new statement, upheld keeps it hidden; the marketplace reads the outcome
and the redress still open (``GET /appeals/{id}``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from cli.common import console
from demo.loop_review import ADMIN, REVIEWER
from lovemachine.categories import CATEGORIES
from lovemachine.dsa.statements import decision_puid

if TYPE_CHECKING:
    from demo.loop import Loop
    from lovemachine.listings import LabelledListing


def appeal(loop: Loop, rows: Sequence[LabelledListing]) -> dict[str, Any] | None:
    """One seller's appeal against one of the champion's hides in ``rows`` (a wrongful one when there
    is any); returns what the marketplace was told, or None when the champion hid nothing."""
    import httpx

    decided = loop.decided(loop.result.champion_before)
    hides = [r for r in rows if (d := decided.get(r.listing.id)) is not None and d.action.value == "hide"]
    if not hides:
        console.print("[yellow]the champion hid nothing in this stream: no appeal to show[/]")
        return None
    wrongful = [r for r in hides if not any(r.labels.get(c) for c in CATEGORIES)]
    row = (wrongful or hides)[0]
    d = decided[row.listing.id]
    puid = decision_puid(d.listing_id, d.listing_version, d.model_version)
    r = loop.admin.post(
        "/api/v1/tokens", json={"name": "marketplace-appeals", "scopes": ["appeals:write", "statements:read"]}
    )
    r.raise_for_status()
    with httpx.Client(base_url=loop.cstool.url, timeout=60.0) as marketplace:
        marketplace.headers["Authorization"] = f"Bearer {r.json()['token']}"
        statement = marketplace.get(f"/api/v1/statements/{puid}")
        statement.raise_for_status()
        st = statement.json()
        first_line = st["text"].splitlines()[0]
        console.print(
            f"the hide of {row.listing.id} ({d.category}) carried statement {puid[:14]}…: "
            f"{st['automated_decision']} automated, in {st['language']}: “{first_line[:90]}…”",
            highlight=False,
        )
        created = marketplace.post(
            "/api/v1/appeals",
            json={
                "appellant": "seller",
                "statement_puid": puid,
                "text": "This item is genuine and allowed; please look again.",
                "external_id": f"demo-{row.listing.id}",
            },
        )
        created.raise_for_status()
        appeal_id, due = created.json()["id"], created.json()["due_at"][:16]
        console.print(f"[green]✓[/] the seller appealed (POST /api/v1/appeals → #{appeal_id}, due {due})")
        lead_decides(loop, appeal_id, row)
        told = marketplace.get(f"/api/v1/appeals/{appeal_id}")
        told.raise_for_status()
        out: dict[str, Any] = told.json()
    stored = loop.store.get_listing(row.listing.id)
    console.print(
        f"[green]✓[/] a lead decided it: [bold]{out['outcome']}[/] — “{out['reason']}”; the listing is "
        f"{stored.status if stored else '?'}"
        + (
            f", a new statement {out['statement_out_puid'][:14]}… went with the restore"
            if out["statement_out_puid"]
            else ""
        )
        + "; the marketplace reads the outcome and the redress left (out-of-court settlement, courts) "
        f"from GET /api/v1/appeals/{appeal_id}",
        highlight=False,
    )
    loop.result.appeal = out
    return out


def lead_decides(loop: Loop, appeal_id: int, row: LabelledListing) -> None:
    """The lead takes the appeal (the reviewer who confirmed the hide is never offered it) and decides
    it by the generator's truth, with a written reason."""
    case = loop.admin.post("/api/v1/appeals/next")
    case.raise_for_status()
    decider = case.json()["original_decider"]
    if decider == REVIEWER:
        offered = loop.reviewer.post("/api/v1/appeals/next")
        console.print(
            f"  {REVIEWER} confirmed the hide, so the appeals queue never offers it to her "
            f"(POST /appeals/next → {offered.status_code}); {ADMIN} takes it",
            highlight=False,
        )
    else:
        console.print(f"  the original decision was {decider}'s; {ADMIN} takes the appeal", highlight=False)
    violation = next((c for c in CATEGORIES if row.labels.get(c)), None)
    outcome, reason = (
        ("upheld", f"The listing breaks the rules on {violation}; the hide stands.")
        if violation
        else ("overturned", "Nothing in the listing breaks our rules; it is restored.")
    )
    decision = loop.admin.post(
        f"/api/v1/appeals/{appeal_id}/decision", json={"outcome": outcome, "reason": reason}
    )
    decision.raise_for_status()
