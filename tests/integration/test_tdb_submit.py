"""``TransparencyDbClient`` against a local Transparency Database over real HTTP
(``tests/support/tdb_server.py``: the API's endpoints, status codes and error bodies)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from lovemachine.adapters.transparency_db import (
    EXISTING_PATH,
    STORE_MANY_PATH,
    STORE_PATH,
    OutcomeStatus,
    TransparencyDbAuthError,
    TransparencyDbClient,
    TransparencyDbConfigError,
    TransparencyDbUnavailableError,
)
from lovemachine.dsa.tdb import TdbStatement
from tests.support.tdb_server import TdbServer, running_tdb_server

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

TOKEN = "tdb-test-token"
FAST: dict[str, Any] = {"attempts": 4, "backoff_base_s": 0.002, "backoff_max_s": 0.02, "timeout_s": 2}


def statement(i: int, **overrides: Any) -> TdbStatement:
    data: dict[str, Any] = {
        "decision_visibility": ["DECISION_VISIBILITY_CONTENT_DISABLED"],
        "decision_ground": "DECISION_GROUND_INCOMPATIBLE_CONTENT",
        "incompatible_content_ground": "Terms of sale, section 4.2: prohibited items",
        "incompatible_content_explanation": "The listing offers an item the terms prohibit.",
        "category": "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS",
        "category_specification": ["KEYWORD_PROHIBITED_PRODUCTS"],
        "content_date": "2025-07-01",
        "application_date": "2025-07-02",
        "decision_facts": "Hidden automatically by the prohibited-items classifier.",
        "source_type": "SOURCE_VOLUNTARY",
        "automated_detection": "Yes",
        "automated_decision": "AUTOMATED_DECISION_FULLY",
        "puid": f"lm-{i:05d}",
    }
    data.update(overrides)
    return TdbStatement.for_listing(**data)


def statements(n: int, start: int = 0) -> list[TdbStatement]:
    return [statement(i) for i in range(start, start + n)]


@pytest.fixture
def tdb() -> Iterator[TdbServer]:
    with running_tdb_server(token=TOKEN) as server:
        yield server


@pytest.fixture
def client(tdb: TdbServer) -> Iterator[TransparencyDbClient]:
    with TransparencyDbClient(tdb.url, TOKEN, **FAST) as c:
        yield c


def batch_sizes(tdb: TdbServer) -> list[int]:
    return [len(r.puids) for r in tdb.calls("POST", STORE_MANY_PATH)]


# -- the happy path ---------------------------------------------------------------------------------


def test_250_statements_go_in_three_batches_and_are_all_stored(
    tdb: TdbServer, client: TransparencyDbClient
) -> None:
    sent = statements(250)
    report = client.submit(sent)

    assert report.submitted == 250 and report.total == 250
    assert report.counts[OutcomeStatus.SUBMITTED] == 250
    assert batch_sizes(tdb) == [100, 100, 50]
    assert all(r.status == 201 for r in tdb.store_calls)
    assert set(tdb.statements) == {s.puid for s in sent}
    stored = tdb.statements["lm-00007"]
    assert {k: stored[k] for k in sent[7].to_api()} == sent[7].to_api()
    assert stored["content_type"] == ["CONTENT_TYPE_PRODUCT"]
    assert len(tdb.calls("GET")) == 250  # one existing-puid check each


def test_resubmitting_finds_them_all_present_and_posts_nothing(
    tdb: TdbServer, client: TransparencyDbClient
) -> None:
    sent = statements(250)
    client.submit(sent)
    posts = len(tdb.store_calls)

    again = client.submit(sent)

    assert again.already_present == 250 and again.submitted == 0
    assert len(tdb.store_calls) == posts
    assert len(tdb.statements) == 250


def test_duplicate_puids_in_the_input_are_sent_once(tdb: TdbServer, client: TransparencyDbClient) -> None:
    report = client.submit([statement(1), statement(2), statement(1)])
    assert [o.puid for o in report.outcomes] == ["lm-00001", "lm-00002"]
    assert report.submitted == 2
    assert batch_sizes(tdb) == [2]


def test_existing(tdb: TdbServer, client: TransparencyDbClient) -> None:
    tdb.insert_existing("lm-webform-1")
    assert client.existing("lm-webform-1") is True
    assert client.existing("lm-never") is False
    assert [r.status for r in tdb.calls("GET")] == [302, 404]


def test_nothing_to_send_sends_nothing(tdb: TdbServer, client: TransparencyDbClient) -> None:
    report = client.submit([])
    assert report.total == 0 and tdb.requests == []


# -- transient failures -----------------------------------------------------------------------------


def test_two_503s_then_ok_submits_everything(tdb: TdbServer, client: TransparencyDbClient) -> None:
    tdb.fail_next(2, 503, method="POST")
    report = client.submit(statements(30))

    assert report.submitted == 30
    assert [r.status for r in tdb.store_calls] == [503, 503, 201]
    assert len(tdb.statements) == 30


def test_endpoint_that_keeps_failing_loses_nothing(tdb: TdbServer, client: TransparencyDbClient) -> None:
    sent = statements(150)
    tdb.fail_next(1000, 503, method="POST")

    report = client.submit(sent)

    assert report.failed == 150 and report.total == 150
    assert tdb.statements == {}
    first = report.by_puid["lm-00000"]
    assert first.status is OutcomeStatus.FAILED and first.last_error == "HTTP 503"
    later = report.by_puid["lm-00120"]  # second batch: not tried once the TDB was seen down
    assert later.last_error is not None and "HTTP 503" in later.last_error
    assert len(tdb.store_calls) == FAST["attempts"]

    tdb.clear_failures()
    retry = client.submit(sent)
    assert retry.submitted == 150
    assert set(tdb.statements) == {s.puid for s in sent}


def test_429_retry_after_is_honoured(tdb: TdbServer, client: TransparencyDbClient) -> None:
    tdb.fail_next_with_retry_after(1, 0.3, method="POST")

    report = client.submit(statements(5))

    assert report.submitted == 5
    throttled, accepted = tdb.store_calls
    assert (throttled.status, accepted.status) == (429, 201)
    assert accepted.at - throttled.at >= 0.3  # not the ~2 ms backoff


def test_retry_after_longer_than_the_cap_gives_up_at_once(
    tdb: TdbServer, client: TransparencyDbClient
) -> None:
    tdb.fail_next_with_retry_after(1, 3600, method="POST")

    started = time.monotonic()
    report = client.submit(statements(3))

    assert time.monotonic() - started < 5
    assert report.failed == 3
    assert "Retry-After 3600" in (report.by_puid["lm-00000"].last_error or "")
    assert len(tdb.store_calls) == 1


def test_timeouts_are_retried(tdb: TdbServer) -> None:
    tdb.slow_next(2, 0.5, method="GET")
    with TransparencyDbClient(tdb.url, TOKEN, **{**FAST, "timeout_s": 0.15}) as c:
        report = c.submit(statements(3))
    assert report.submitted == 3
    assert len(tdb.statements) == 3


def test_a_store_that_timed_out_after_storing_is_not_stored_twice(tdb: TdbServer) -> None:
    tdb.slow_next(1, 0.5, method="POST")
    with TransparencyDbClient(tdb.url, TOKEN, **{**FAST, "timeout_s": 0.15}) as c:
        report = c.submit(statements(20))
        time.sleep(0.5)  # let the slow call finish on the server
        again = c.submit(statements(20))
    assert report.failed == 0 and report.rejected == 0
    assert {o.status for o in report.outcomes} <= {OutcomeStatus.SUBMITTED, OutcomeStatus.ALREADY_PRESENT}
    assert again.already_present == 20
    assert len(tdb.statements) == 20


def test_connection_refused_is_transient_and_reported_failed() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with TransparencyDbClient(f"http://127.0.0.1:{port}", TOKEN, **FAST) as c:
        report = c.submit(statements(3))
        with pytest.raises(TransparencyDbUnavailableError):
            c.existing("lm-00000")
    assert report.failed == 3
    assert "connection error" in (report.by_puid["lm-00002"].last_error or "")


# -- what the API refuses ---------------------------------------------------------------------------


def test_invalid_statements_are_rejected_with_the_api_error_and_the_rest_submitted(
    tdb: TdbServer, client: TransparencyDbClient
) -> None:
    sent = statements(150)
    # statements the API refuses although they passed here (model_copy skips validation), in both batches
    for i in (7, 120):
        sent[i] = sent[i].model_copy(update={"decision_facts": "x" * 5001})

    report = client.submit(sent)

    assert report.rejected == 2 and report.submitted == 148
    bad = report.by_puid["lm-00120"]
    assert bad.status is OutcomeStatus.REJECTED
    assert bad.errors == ("The decision facts field must not be greater than 5000 characters.",)
    assert report.by_puid["lm-00007"].errors == bad.errors
    assert set(tdb.statements) == {s.puid for s in sent} - {"lm-00007", "lm-00120"}
    assert [(r.status, len(r.puids)) for r in tdb.calls("POST", STORE_MANY_PATH)] == [
        (422, 100),
        (201, 99),
        (422, 50),
        (201, 49),
    ]


def test_a_puid_that_arrived_meanwhile_is_rechecked_and_found(
    tdb: TdbServer, client: TransparencyDbClient
) -> None:
    tdb.insert_existing("lm-00003", before_next_store=True)  # after the checks, before the POST

    report = client.submit(statements(10))

    assert report.by_puid["lm-00003"].status is OutcomeStatus.ALREADY_PRESENT
    assert report.submitted == 9
    assert [r.status for r in tdb.calls("POST", STORE_MANY_PATH)] == [422, 201]
    assert [r.status for r in tdb.calls("GET", EXISTING_PATH.format(puid="lm-00003"))] == [404, 302]


def test_an_unattributable_refusal_falls_back_to_one_call_each(tdb: TdbServer) -> None:
    """A 422 that names no statement: each is sent alone to the single endpoint."""

    class NoIndex(httpx.BaseTransport):
        def __init__(self) -> None:
            self.inner = httpx.HTTPTransport()

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            if request.url.path == STORE_MANY_PATH:
                return httpx.Response(422, json={"message": "The statements field is invalid."})
            return self.inner.handle_request(request)

    sent = statements(3)
    sent[1] = sent[1].model_copy(update={"decision_facts": "x" * 5001})
    with (
        httpx.Client(transport=NoIndex()) as http,
        TransparencyDbClient(tdb.url, TOKEN, http=http, **FAST) as c,
    ):
        report = c.submit(sent)

    assert [o.status for o in report.outcomes] == [
        OutcomeStatus.SUBMITTED,
        OutcomeStatus.REJECTED,
        OutcomeStatus.SUBMITTED,
    ]
    assert report.by_puid["lm-00001"].errors == (
        "The decision facts field must not be greater than 5000 characters.",
    )
    assert [r.status for r in tdb.calls("POST", STORE_PATH)] == [201, 422, 201]


# -- configuration errors ---------------------------------------------------------------------------


def test_wrong_token_is_a_clear_error(tdb: TdbServer) -> None:
    with (
        TransparencyDbClient(tdb.url, "not-the-token", **FAST) as c,
        pytest.raises(TransparencyDbAuthError, match="token refused") as info,
    ):
        c.submit(statements(3))
    assert "not-the-token" not in str(info.value)
    assert tdb.statements == {}
    assert [r.status for r in tdb.requests] == [401]  # not retried


def test_wrong_token_on_store_is_a_clear_error(tdb: TdbServer) -> None:
    class StoreOnlyAuth(httpx.BaseTransport):
        """The checks pass with the right token; the store gets the wrong one."""

        def __init__(self) -> None:
            self.inner = httpx.HTTPTransport()

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            if request.method == "GET":
                request.headers["Authorization"] = f"Bearer {TOKEN}"
            return self.inner.handle_request(request)

    with (
        httpx.Client(transport=StoreOnlyAuth()) as http,
        TransparencyDbClient(tdb.url, "revoked", http=http, **FAST) as c,
        pytest.raises(TransparencyDbAuthError, match="token refused"),
    ):
        c.submit(statements(2))


@pytest.mark.parametrize("url", ["not a url", "ftp://tdb.example", "http://", "/api/v1", ""])
def test_bad_url_is_a_clear_error(url: str) -> None:
    with pytest.raises(TransparencyDbConfigError, match="URL"):
        TransparencyDbClient(url, TOKEN)


def test_empty_token_is_a_clear_error() -> None:
    with pytest.raises(TransparencyDbConfigError, match="token"):
        TransparencyDbClient("https://tdb.example", "")


def test_wrong_path_is_a_clear_error(tdb: TdbServer) -> None:
    with (
        TransparencyDbClient(tdb.url + "/not-the-api", TOKEN, **FAST) as c,
        pytest.raises(TransparencyDbConfigError, match="base URL"),
    ):
        c.submit(statements(1))


def test_the_token_never_shows(tdb: TdbServer) -> None:
    c = TransparencyDbClient(tdb.url, TOKEN, **FAST)
    assert TOKEN not in repr(c)
    c.close()


# -- the local server keeps the API's contract ------------------------------------------------------


def test_server_speaks_the_api_contract(tdb: TdbServer) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}
    with httpx.Client(base_url=tdb.url, headers=auth) as http:
        assert httpx.post(tdb.url + STORE_PATH, json={}).json() == {"message": "Unauthenticated."}

        r = http.post(STORE_PATH, json={"puid": "bad puid"})
        assert r.status_code == 422
        assert r.json()["message"].endswith("more errors)")
        assert r.json()["errors"]["puid"] == ["The puid field format is invalid."]

        good = statement(1).to_api()
        assert http.post(STORE_PATH, json=good).status_code == 201
        dup = http.post(STORE_PATH, json=good)
        assert dup.status_code == 422
        assert dup.json() == {
            "message": "The identifier given is not unique within this platform.",
            "errors": {"puid": ["The identifier given is not unique within this platform."]},
            "existing": {"puid": "lm-00001"},
        }

        many = http.post(STORE_MANY_PATH, json={"statements": [statement(2).to_api(), good]})
        assert many.status_code == 422
        assert many.json()["errors"]["existing_puids"] == ["lm-00001"]
        assert "lm-00002" not in tdb.statements  # a refused call stores nothing

        too_many = http.post(STORE_MANY_PATH, json={"statements": [good] * 101})
        assert too_many.json()["errors"] == {
            "statements": ["The statements field must have between 1 and 100 items."]
        }
        assert http.post(STORE_MANY_PATH, json={"statements": []}).json()["errors"] == {
            "statements": ["The statements field is required."]
        }

        found = http.get(EXISTING_PATH.format(puid="lm-00001"))
        assert (found.status_code, found.headers.get("location")) == (302, None)
        assert http.get(EXISTING_PATH.format(puid="lm-00002")).status_code == 404
