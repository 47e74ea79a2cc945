"""``lovemachine demo --loop`` end to end, as `make demo` runs it: a fast-tier champion, a stream with the
new gift-card slang, customer reports and CS labels through the CS tool's HTTP API, the retraining
fired by APScheduler, the challenger in shadow, promotion through the gates, rollback and forward.

Everything asserted is read back from the loop's database, not from what it printed.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from sqlalchemy import select

from demo.loop import DEFAULT_MIN_SHADOW, LoopConfig, run_demo_loop
from lovemachine.adapters.sql import SqlStore, make_engine
from lovemachine.adapters.sql.tables import listings
from lovemachine.categories import CASH
from synth.trends import GIFTCARD_SLANG, slang

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(900)]

DEMO = LoopConfig()
"""What `make demo` runs: 20,000 training listings, three streams of 2,000 events, 10% in the new slang."""


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def _trend_ids(store: SqlStore, prefix: str) -> set[str]:
    """Listings of one phase (id prefix) that use the new slang, from their stored text."""
    terms = [_fold(t) for t in slang(GIFTCARD_SLANG)]
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(listings.c.id, listings.c.title, listings.c.description).where(
                listings.c.id.like(f"{prefix}%")
            )
        ).all()
    return {i for i, title, description in rows if any(t in _fold(f"{title} {description}") for t in terms)}


def _catch_rate(store: SqlStore, version: str, ids: set[str], *, shadow: bool = False) -> float:
    decided = store.shadow_decisions_for_model(version) if shadow else store.decisions_for_model(version)
    mine = [d for d in decided if d.listing_id in ids]
    assert len(mine) == len(ids), f"{version} decided {len(mine)} of the {len(ids)} trend listings"
    return sum(d.action.value != "allow" and d.category == CASH for d in mine) / len(ids)


def test_the_loop_learns_the_new_slang_and_promotes_it(tmp_path: Path) -> None:
    home = tmp_path / "demo-loop"
    result = run_demo_loop(home=home, config=DEMO)

    store = SqlStore(make_engine(result.database_url))
    try:
        v1 = result.champion_before
        # the scheduled retrain made the challenger
        runs = store.list_training_runs(limit=10).items
        assert len(runs) == 1
        run = runs[0]
        assert (run.trigger, run.actor, run.status) == ("scheduled", "scheduler", "succeeded")
        assert run.eligible is True
        v2 = run.model_version
        assert v2 is not None and v2 != v1
        assert result.challenger == v2
        challenger_moves = store.alias_history("challenger")
        assert [(h.to_version, h.actor) for h in challenger_moves] == [(v2, "scheduler")]

        # the labels came through the CS tool: customer reports, the audit sample, the category queues
        labels = store.labels_for_training()
        assert len(labels) >= DEMO.min_labels
        assert {x.label.source for x in labels} == {"cs", "audit"}
        assert {x.label.reviewer for x in labels} <= {"cs-ann", "ops-kai"}  # the reviewer; the appeal's lead
        assert result.reports > 0 and result.labels.get("user_reports", 0) > 0

        # a seller's appeal against a hide, decided by a person who did not make the decision
        told = result.appeal
        assert told is not None and told["decided_by_human"] and told["reason"]
        appeal = store.get_appeal(told["id"])
        assert appeal is not None and appeal.decided_by == "ops-kai" != appeal.original_decider
        assert appeal.outcome == told["outcome"] and appeal.statement_puid is not None
        contested = store.get_statement(appeal.statement_puid)
        assert (
            contested is not None
            and contested.kind == "restriction"
            and contested.automated_decision == "fully"
        )
        if appeal.outcome == "overturned":
            restored = store.get_statement(told["statement_out_puid"])
            assert restored is not None and restored.supersedes == appeal.statement_puid

        # shadow decisions on the second stream, by the challenger only
        assert store.count_shadow_decisions(v2) == DEMO.stream_n
        assert store.count_shadow_decisions() == DEMO.stream_n
        assert result.both_scored >= DEFAULT_MIN_SHADOW  # the production gate, not lowered

        # promoted through the gates (or past the hide- or report-volume gate on the evidence of CS
        # labels: the new slang adds flags), then rolled back and forward again
        moves = [(h.from_version, h.to_version) for h in store.alias_history("champion")]
        assert moves == [(None, v1), (v1, v2), (v2, v1), (v1, v2)]
        promotion = store.alias_history("champion")[1]
        assert promotion.actor == "ops-kai" and promotion.reason.startswith(("promoted:", "forced:"))
        if promotion.reason.startswith("forced:"):  # only past the volume gates, with CS labels as proof
            assert result.forced
            failed = [g["name"] for g in result.gates if not g["passed"]]
            assert failed and set(failed) <= {"hide volume", "report volume"}, failed
            assert "(gates failed: " in promotion.reason and "fewer hides" not in promotion.reason
            assert "CS labels since the shadow began confirm" in promotion.reason
        assert result.promoted and result.rolled_back_and_forward
        assert store.get_alias("champion").version == v2  # type: ignore[union-attr]

        # the new slang: the champion before missed it; the challenger in shadow and then as champion
        # caught more of it
        a, b, c = (_trend_ids(store, p) for p in "ABC")
        assert len(a) > 30 and len(b) > 30 and len(c) > 30
        before = _catch_rate(store, v1, a)
        shadow_champion = _catch_rate(store, v1, b)
        shadow_challenger = _catch_rate(store, v2, b, shadow=True)
        after = _catch_rate(store, v2, c)
        assert before < 0.3
        assert shadow_challenger > shadow_champion
        assert after > before and after >= 0.5
        # the champion hides (its validation rows hold enough positives to certify 99% precision), so
        # the hide-volume gate compares two real volumes
        hide_gate = next(g for g in result.gates if g["name"] == "hide volume")
        assert "the champion's 0 " not in hide_gate["detail"]
        # what the loop printed agrees (it knows the generator's tags; the text match above may miss a
        # listing whose slang a seller's typo garbled)
        printed_before, printed_after = result.catch("A", "champion"), result.catch("C", "champion")
        assert printed_before is not None and printed_after is not None
        assert printed_before.trend_rate == pytest.approx(before, abs=0.03)
        assert printed_after.trend_rate == pytest.approx(after, abs=0.03)
    finally:
        store.dispose()
