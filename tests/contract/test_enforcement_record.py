"""The enforcement record (DSA) on SQLite and PostgreSQL: listing versions kept, statements of
reasons, appeals, strikes, account-action recommendations and the numbers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lovemachine.adapters.sql import SqlStore
from lovemachine.dsa.policy import DsaPolicy
from lovemachine.dsa.statements import decision_puid
from lovemachine.dsa.tdb import TdbStatement
from lovemachine.errors import ConflictError, NotFoundError, RefusedError
from lovemachine.listings import Listing
from lovemachine.policy import Action
from tests.contract.test_sql_store import MODEL, T0, make_decision, make_listing

TTL = timedelta(minutes=10)


def hide(store: SqlStore, listing: Listing, category: str = "counterfeit") -> str:
    """An automated hide; returns its statement's puid."""
    decision = make_decision(listing, Action.HIDE, category=category, score=0.97)
    store.record_decisions([(listing, decision)])
    return decision_puid(listing.id, listing.version, MODEL)


def label(
    store: SqlStore, listing: Listing, verdict: str, *, reviewer: str = "ann", queue: str = "counterfeit"
) -> int:
    item = store.claim_next(queue, username=reviewer, ttl=TTL)
    assert item is not None and item.listing_id == listing.id, item
    return store.record_label(item.id, reviewer=reviewer, label=verdict).label.id


# ------------------------------------------------------------------------------------ listing versions
def test_an_edit_keeps_the_version_that_was_judged(sql_store: SqlStore) -> None:
    v1 = make_listing("L1", 1, title="LV bag super copy")
    hide(sql_store, v1)
    v2 = make_listing("L1", 2, title="Plain canvas bag")
    sql_store.record_decisions([(v2, make_decision(v2))])
    judged = sql_store.listing_version("L1", 1)
    assert judged is not None and judged.title == "LV bag super copy"
    current = sql_store.get_listing("L1")
    assert (
        current is not None and current.listing.version == 2 and current.listing.title == "Plain canvas bag"
    )
    assert sql_store.listing_version("L1", 2) == v2


def test_labels_on_an_edited_listing_keep_their_text_for_training(sql_store: SqlStore) -> None:
    v1 = make_listing("L1", 1, title="LV bag super copy")
    hide(sql_store, v1)
    label(sql_store, v1, "counterfeit")
    v2 = make_listing("L1", 2, title="Plain canvas bag")
    sql_store.record_decisions([(v2, make_decision(v2))])
    rows = sql_store.labels_for_training()
    assert [(r.label.listing_version, r.listing.title if r.listing else None) for r in rows] == [
        (1, "LV bag super copy")
    ]


# ------------------------------------------------------------------------------------ statements
def test_a_hide_yields_one_statement_with_every_required_field(sql_store: SqlStore) -> None:
    listing = make_listing("L1")
    puid = hide(sql_store, listing)
    hide(sql_store, listing)  # a redelivery decides nothing new and issues nothing new
    [st] = sql_store.statements_for("L1")
    assert st.puid == puid and st.kind == "restriction" and st.decision_id is not None
    assert (st.automated_detection, st.automated_decision, st.source) == (True, "fully", "own_initiative")
    record = st.record
    assert record["restriction"]["type"] == "visibility"
    assert record["ground"]["reference"] and record["ground"]["explanation"]
    assert record["redress"]["internal_complaint"]["until"] > T0.isoformat()
    assert record["redress"]["out_of_court_settlement"] and record["redress"]["judicial_redress"]
    assert st.language == "ja" and "異議" in st.text  # the listing's locale is ja-JP
    assert st.tdb is not None and st.tdb_state == "pending"
    api = TdbStatement.model_validate(st.tdb)  # valid against the export schema
    assert api.puid == puid and api.content_type[0] == "CONTENT_TYPE_PRODUCT"
    assert st.tdb["decision_ground"] == "DECISION_GROUND_INCOMPATIBLE_CONTENT"
    assert st.tdb["automated_decision"] == "AUTOMATED_DECISION_FULLY"
    assert st.tdb["source_type"] == "SOURCE_VOLUNTARY"
    assert "S1" not in str(st.tdb) and listing.title not in str(st.tdb)  # no personal data, no listing text


def test_reports_and_allows_issue_no_statement(sql_store: SqlStore) -> None:
    a, r = make_listing("A"), make_listing("R")
    sql_store.record_decisions(
        [(a, make_decision(a)), (r, make_decision(r, Action.REPORT, category="cash", score=0.6))]
    )
    assert sql_store.statements_for("A") == [] and sql_store.statements_for("R") == []


def test_a_cs_restore_issues_a_new_statement_that_supersedes_the_hide(sql_store: SqlStore) -> None:
    listing = make_listing("L1", title="Plain leather bag")
    puid = hide(sql_store, listing)
    label(sql_store, listing, "no_violation")
    hide_st, restore = sql_store.statements_for("L1")
    assert hide_st.puid == puid and restore.kind == "restore" and restore.supersedes == puid
    assert restore.tdb is None and restore.tdb_state == "not_applicable"
    assert restore.label_id is not None
    assert hide_st == sql_store.get_statement(puid)  # immutable: the hide's statement is untouched


def test_a_cs_hide_on_a_report_is_partly_automated(sql_store: SqlStore) -> None:
    listing = make_listing("L1")
    sql_store.record_decisions([(listing, make_decision(listing, Action.REPORT, category="cash", score=0.6))])
    label(sql_store, listing, "cash", queue="cash")
    [st] = sql_store.statements_for("L1")
    assert (st.kind, st.automated_decision, st.automated_detection, st.category) == (
        "restriction",
        "partially",
        True,
        "cash",
    )
    assert st.tdb is not None and st.tdb["automated_decision"] == "AUTOMATED_DECISION_PARTIALLY"


# ------------------------------------------------------------------------------------ appeals
def test_an_appeal_past_the_window_is_refused(sql_store: SqlStore) -> None:
    puid = hide(sql_store, make_listing("L1"))
    made = sql_store.get_statement(puid)
    assert made is not None
    late = made.created_at + timedelta(days=31 * 6 + 1)
    with pytest.raises(RefusedError) as err:
        sql_store.create_appeal(
            appellant="seller", text="not fake", submitted_by="mp", statement_puid=puid, now=late
        )
    assert err.value.code == "appeal_window_closed" and "accepted until" in str(err.value)
    just_in_time = made.created_at + timedelta(days=31 * 5)
    appeal, created = sql_store.create_appeal(
        appellant="seller", text="not fake", submitted_by="mp", statement_puid=puid, now=just_in_time
    )
    assert created and appeal.status == "open" and appeal.original_decider == f"worker:{MODEL}"


def test_the_original_reviewer_cannot_decide_an_appeal_on_their_own_decision(sql_store: SqlStore) -> None:
    listing = make_listing("L1")
    sql_store.record_decisions([(listing, make_decision(listing, Action.REPORT, category="cash", score=0.6))])
    label(sql_store, listing, "cash", reviewer="ann", queue="cash")
    appeal, _ = sql_store.create_appeal(
        appellant="seller", text="it is a gift box", submitted_by="mp", listing_id="L1", listing_version=1
    )
    assert appeal.original_decider == "ann"
    assert sql_store.claim_next_appeal("ann") is None  # the queue never offers it to her
    with pytest.raises(RefusedError) as err:
        sql_store.decide_appeal(appeal.id, staff="ann", outcome="overturned", reason="fine")
    assert err.value.code == "own_decision"
    claimed = sql_store.claim_next_appeal("lead-bo")
    assert claimed is not None and claimed.id == appeal.id
    with pytest.raises(ConflictError):
        sql_store.decide_appeal(appeal.id, staff="cy", outcome="upheld", reason="claimed by bo")
    decided, _ = sql_store.decide_appeal(appeal.id, staff="lead-bo", outcome="upheld", reason="sells cash")
    assert decided.outcome == "upheld" and decided.decided_by == "lead-bo"


def test_an_overturn_restores_issues_a_statement_and_supersedes_the_label(sql_store: SqlStore) -> None:
    listing = make_listing("L1", title="Vintage leather bag")
    puid = hide(sql_store, listing)
    original = label(sql_store, listing, "counterfeit", reviewer="ann")
    assert sql_store.get_listing("L1").status == "hidden"  # type: ignore[union-attr]
    appeal, _ = sql_store.create_appeal(
        appellant="seller", text="receipt attached", submitted_by="mp", statement_puid=puid, external_id="c-1"
    )
    again, created = sql_store.create_appeal(
        appellant="seller", text="receipt attached", submitted_by="mp", statement_puid=puid, external_id="c-1"
    )
    assert not created and again.id == appeal.id  # the marketplace's retry is idempotent
    decided, outbox = sql_store.decide_appeal(
        appeal.id, staff="lead-bo", outcome="overturned", reason="genuine"
    )
    assert sql_store.get_listing("L1").status == "visible"  # type: ignore[union-attr]
    assert len(outbox) == 1
    [pending] = [a for a in sql_store.pending_actions() if a.id == outbox[0]]
    assert pending.action == "restore" and pending.payload["statement_puid"] == decided.statement_out_puid
    restore = sql_store.get_statement(decided.statement_out_puid or "")
    assert restore is not None and restore.kind == "restore" and restore.supersedes == puid
    assert restore.appeal_id == appeal.id
    labels = {lab.id: lab for lab in sql_store.labels_for_listing("L1")}
    assert labels[original].superseded_by == decided.label_id
    assert labels[decided.label_id].label == "no_violation"  # type: ignore[index]
    assert decided.original_model_version == MODEL
    with pytest.raises(RefusedError) as err:  # the restriction is lifted: nothing left to appeal
        sql_store.create_appeal(appellant="seller", text="again", submitted_by="mp", statement_puid=puid)
    assert err.value.code == "already_reversed"


# ------------------------------------------------------------------------------------ strikes
def test_strikes_come_from_confirmed_violations_and_expire(sql_store: SqlStore) -> None:
    policy = DsaPolicy(strike_days=30, account_action_threshold=5.0)
    sql_store.dsa = policy
    first, second = make_listing("L1"), make_listing("L2")
    hide(sql_store, first)
    hide(sql_store, second)
    assert sql_store.seller_strikes("S1").weight == 0  # automated hides alone are no strikes
    label(sql_store, first, "counterfeit")
    label(sql_store, second, "counterfeit")
    strikes = sql_store.seller_strikes("S1")
    assert strikes.weight == 6.0 and strikes.over_threshold and len(strikes.active) == 2
    [recommended] = sql_store.list_account_actions(status="recommended")
    assert recommended.seller_id == "S1" and recommended.strike_weight == 6.0
    later = strikes.active[-1].expires_at + timedelta(seconds=1)
    assert sql_store.seller_strikes("S1", now=later).weight == 0
    with pytest.raises(RefusedError):
        sql_store.decide_account_action(recommended.id, staff="lead-bo", confirm=True, reason=" ")
    confirmed = sql_store.decide_account_action(
        recommended.id, staff="lead-bo", confirm=True, reason="repeat fakes"
    )
    assert confirmed.status == "confirmed" and confirmed.payload is not None
    assert [a.id for a in sql_store.pending_account_actions()] == [recommended.id]


def test_an_overturned_label_stops_counting_as_a_strike(sql_store: SqlStore) -> None:
    listing = make_listing("L1")
    puid = hide(sql_store, listing)
    label(sql_store, listing, "counterfeit")
    assert sql_store.seller_strikes("S1").weight == 3.0
    appeal, _ = sql_store.create_appeal(
        appellant="seller", text="genuine", submitted_by="mp", statement_puid=puid
    )
    sql_store.decide_appeal(appeal.id, staff="lead-bo", outcome="overturned", reason="genuine")
    assert sql_store.seller_strikes("S1").weight == 0


def test_the_numbers_count_restrictions_automation_and_appeals(sql_store: SqlStore) -> None:
    puid = hide(sql_store, make_listing("L1"))
    hide(sql_store, make_listing("L2"), category="cash")
    appeal, _ = sql_store.create_appeal(
        appellant="seller", text="genuine", submitted_by="mp", statement_puid=puid
    )
    sql_store.decide_appeal(appeal.id, staff="lead-bo", outcome="overturned", reason="genuine")
    day = sql_store.get_statement(puid).created_at  # type: ignore[union-attr]
    rows = sql_store.enforcement_report(day - timedelta(days=1), day + timedelta(days=1))
    by_cat = {r["category"]: r for r in rows}
    assert by_cat["counterfeit"]["restrictions"] == 1 and by_cat["counterfeit"]["automated_share"] == 1.0
    assert by_cat["counterfeit"]["appeals"] == 1 and by_cat["counterfeit"]["overturned_share"] == 1.0
    assert by_cat["counterfeit"]["median_hours_to_decide"] is not None
    assert by_cat["cash"]["restrictions"] == 1 and by_cat["cash"]["appeals"] == 0


def test_an_overturn_restores_a_listing_edited_since_the_hide(sql_store: SqlStore) -> None:
    v1 = make_listing("L1", 1, title="Vintage leather bag")
    puid = hide(sql_store, v1)
    v2 = make_listing("L1", 2, title="Vintage leather bag, receipt attached")
    sql_store.record_decisions([(v2, make_decision(v2))])
    assert sql_store.get_listing("L1").status == "hidden"  # type: ignore[union-attr]  # the hide carries over
    appeal, _ = sql_store.create_appeal(
        appellant="seller", text="genuine", submitted_by="mp", statement_puid=puid
    )
    _, outbox = sql_store.decide_appeal(appeal.id, staff="lead-bo", outcome="overturned", reason="genuine")
    assert sql_store.get_listing("L1").status == "visible" and len(outbox) == 1  # type: ignore[union-attr]


def test_a_notifier_contests_a_decision_not_to_act(sql_store: SqlStore) -> None:
    listing = make_listing("L1", title="Gift box")
    sql_store.record_decisions([(listing, make_decision(listing))])
    with pytest.raises(NotFoundError):  # nobody reported it: nothing a notifier could contest
        sql_store.create_appeal(
            appellant="notifier", text="it sells codes", submitted_by="mp", listing_id="L1", listing_version=1
        )
    sql_store.add_user_report(listing_id="L1", reporter_id="buyer-1", reason="codes", actor="token:mp")
    with pytest.raises(RefusedError) as err:
        sql_store.create_appeal(
            appellant="notifier", text="it sells codes", submitted_by="mp", listing_id="L1", listing_version=1
        )
    assert err.value.code == "not_decided"
    label(sql_store, listing, "no_violation", reviewer="ann", queue="user_reports")
    appeal, _ = sql_store.create_appeal(
        appellant="notifier", text="it sells codes", submitted_by="mp", listing_id="L1", listing_version=1
    )
    assert (appeal.contested, appeal.original_decider, appeal.statement_puid) == ("no_action", "ann", None)
    with pytest.raises(RefusedError) as err:
        sql_store.decide_appeal(appeal.id, staff="lead-bo", outcome="overturned", reason="codes inside")
    assert err.value.code == "category_required"
    decided, outbox = sql_store.decide_appeal(
        appeal.id, staff="lead-bo", outcome="overturned", reason="codes inside", category="cash"
    )
    assert sql_store.get_listing("L1").status == "hidden" and len(outbox) == 1  # type: ignore[union-attr]
    st = sql_store.get_statement(decided.statement_out_puid or "")
    assert st is not None and (st.kind, st.source, st.automated_decision, st.category) == (
        "restriction",
        "notice",
        "not",
        "cash",
    )
    assert st.tdb is not None and st.tdb["source_type"] == "SOURCE_ARTICLE_16"
