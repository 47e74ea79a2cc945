"""The OpenAPI document says what the API does (issue 10, "The API says what it does").

Every success body is described (no "any object"), every operation lists the error statuses the
server really sends in the body shape it really sends (checked against real error responses, not
against the document's own claims), the session cookie + CSRF header and the bearer token are
declared as security schemes per operation, and ``/docs`` loads nothing from another host.
"""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import jsonschema_rs
import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import Login

HTTP_METHODS = ("get", "put", "post", "delete", "patch")


def _operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if method in HTTP_METHODS
    ]


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        schema = doc["components"]["schemas"][name]
    return schema


def _validator(doc: dict[str, Any], schema: dict[str, Any]) -> Any:
    """A JSON Schema validator for ``schema`` with the document's components reachable by $ref."""
    full = {**schema, "components": doc["components"]}
    return jsonschema_rs.Draft202012Validator(full)


def _error_schema(doc: dict[str, Any], method: str, path: str, status: int) -> dict[str, Any]:
    op = doc["paths"][path][method.lower()]
    assert str(status) in op["responses"], f"{method} {path} does not declare {status}"
    return op["responses"][str(status)]["content"]["application/json"]["schema"]


@pytest.fixture
def doc(anon: TestClient) -> dict[str, Any]:
    r = anon.get("/openapi.json")
    assert r.status_code == 200
    body: dict[str, Any] = r.json()
    return body


def test_every_success_body_is_described(doc: dict[str, Any]) -> None:
    vague = []
    for method, path, op in _operations(doc):
        for status, response in op["responses"].items():
            if not status.startswith("2"):
                continue
            content = response.get("content")
            if status == "204":
                assert not content, f"{method} {path} 204 declares a body"
                continue
            assert content, f"{method} {path} {status} declares no content"
            for media, entry in content.items():
                if media != "application/json":
                    continue
                schema = _resolve(doc, entry.get("schema") or {})
                # every key the server sends is declared: it refuses to send one its model lacks
                if not schema.get("properties") or schema.get("additionalProperties") is not False:
                    vague.append(f"{method} {path} {status}")
    assert not vague, f"success bodies described as 'any object': {vague}"


def test_error_statuses_are_listed_with_the_one_error_body(doc: dict[str, Any]) -> None:
    assert "HTTPValidationError" not in doc["components"]["schemas"], "FastAPI's 422 shape is never sent"
    missing = []
    for method, path, op in _operations(doc):
        responses = op["responses"]
        if op.get("security"):
            missing += [f"{method} {path} {s}" for s in ("401", "403") if s not in responses]
        if "requestBody" in op or op.get("parameters"):
            missing += [f"{method} {path} 422"] if "422" not in responses else []
        if "{" in path and path != "/api/v1/queues/{queue}/next":
            # every path parameter names something that may not exist
            missing += [f"{method} {path} 404"] if "404" not in responses else []
        for status, response in responses.items():
            if status[0] in "45":
                ref = response["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith(("/ErrorOut", "/ValidationErrorOut")), (method, path, status, ref)
    assert not missing, f"undeclared error statuses: {missing}"
    expected = {
        ("POST", "/api/v1/session"): {"401", "422", "429"},
        ("POST", "/api/v1/items/{item_id}/label"): {"401", "403", "404", "409", "422"},
        ("POST", "/api/v1/items/{item_id}/claim"): {"401", "403", "404", "409", "422"},
        ("POST", "/api/v1/reports"): {"401", "403", "404", "422"},
        ("POST", "/api/v1/staff"): {"401", "403", "409", "422"},
        ("PATCH", "/api/v1/staff/{username}"): {"401", "403", "404", "409", "422"},
        ("POST", "/api/v1/models/promote"): {"401", "403", "409", "422"},
        ("GET", "/healthz"): {"503"},
    }
    for (method, path), statuses in expected.items():
        declared = set(doc["paths"][path][method.lower()]["responses"])
        assert statuses <= declared, f"{method} {path} lacks {statuses - declared}"


def test_declared_error_bodies_are_what_the_server_sends(
    doc: dict[str, Any], anon: TestClient, login: Login
) -> None:
    lead = login("lead")
    no_csrf = login("lead", csrf=False)
    sent = [
        ("POST", "/api/v1/session", 422, anon.post("/api/v1/session", json={"username": ""})),
        (
            "POST",
            "/api/v1/session",
            401,
            anon.post("/api/v1/session", json={"username": "x", "password": "y"}),
        ),
        ("GET", "/api/v1/queues", 401, anon.get("/api/v1/queues")),
        ("GET", "/api/v1/staff", 403, lead.get("/api/v1/staff")),
        ("GET", "/api/v1/items/{item_id}", 404, lead.get("/api/v1/items/999999")),
        ("GET", "/api/v1/items/{item_id}", 422, lead.get("/api/v1/items/abc")),
        ("GET", "/api/v1/rules", 422, lead.get("/api/v1/rules", params={"cursor": "not a cursor"})),
        (
            "POST",
            "/api/v1/rules",
            422,
            lead.post("/api/v1/rules", json={"pattern": "(", "kind": "regex", "category": "cash"}),
        ),
        ("POST", "/api/v1/rules", 403, no_csrf.post("/api/v1/rules", json={})),
    ]
    for method, path, status, response in sent:
        assert response.status_code == status, (method, path, response.text)
        validator = _validator(doc, _error_schema(doc, method, path, status))
        errors = [e.message for e in validator.iter_errors(response.json())]
        assert not errors, f"{method} {path} {status}: {response.json()} violates the document: {errors}"


def test_security_schemes_are_declared_per_operation(doc: dict[str, Any]) -> None:
    schemes = doc["components"]["securitySchemes"]
    by_type = {(s["type"], s.get("in"), s.get("name"), s.get("scheme")): k for k, s in schemes.items()}
    session = by_type[("apiKey", "cookie", "lm_session", None)]
    csrf = by_type[("apiKey", "header", "X-CSRF-Token", None)]
    bearer = by_type[("http", None, None, "bearer")]

    def security(method: str, path: str) -> list[dict[str, list[str]]]:
        return list(doc["paths"][path][method.lower()].get("security", []))

    # reads: the cookie alone (no CSRF on safe methods); tokens where a scope admits them
    assert security("GET", "/api/v1/queues") == [{session: ["agent"]}, {bearer: ["queues:read"]}]
    assert security("GET", "/api/v1/audit") == [{session: ["lead"]}, {bearer: ["audit:read"]}]
    assert security("GET", "/api/v1/staff") == [{session: ["admin"]}]
    # writes: cookie AND CSRF header; no token can label
    assert security("POST", "/api/v1/items/{item_id}/label") == [{session: ["agent"], csrf: []}]
    assert security("POST", "/api/v1/reports") == [
        {session: ["agent"], csrf: []},
        {bearer: ["reports:write"]},
    ]
    # open to anyone
    assert security("POST", "/api/v1/session") == []
    assert security("GET", "/healthz") == []
    for method, path, op in _operations(doc):
        for requirement in op.get("security", []):
            assert set(requirement) <= set(schemes), (method, path, requirement)


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.urls.append(value)
        self._in_script = tag == "script" and not any(n == "src" for n, _ in attrs)
        if self._in_script:
            self.inline_scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.inline_scripts[-1] += data


def test_docs_page_loads_nothing_from_another_host(anon: TestClient) -> None:
    page = anon.get("/docs")
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    refs = _Refs()
    refs.feed(page.text)
    assert refs.urls, "the page references no assets"
    base = "http://testserver/docs"
    for url in refs.urls:
        absolute = urljoin(base, url)
        assert urlsplit(absolute).netloc == "testserver", f"/docs loads {url} from another host"
        asset = anon.get(absolute)
        assert asset.status_code == 200, f"{url}: {asset.status_code}"
    assert not re.search(r"https?://", "".join(refs.inline_scripts)), "the page's script names a host"
    # the page's own policy admits its scripts (same origin + the hash of the inline one) and no host
    csp = page.headers["content-security-policy"]
    directives = {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}
    script_src = directives["script-src"]
    assert not [s for s in script_src if "://" in s or s in ("*", "'unsafe-inline'", "https:", "http:")]
    for script in refs.inline_scripts:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in script_src
    assert directives["connect-src"] == ["'self'"]
    assert anon.get("/openapi.json").status_code == 200
