"""Fuzzing inputs and checks for the cell grammar and the system YAML (suite and report).

``cell_texts`` and ``system_texts`` are hypothesis strategies mixing free text with lines that
look right; ``check_cell`` and ``check_system`` accept a text when it parses or is refused with
a location, and raise AssertionError otherwise. ``fuzz`` runs both for the report and counts.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph_magic.connector.config import SystemConfig, load_system
from graph_magic.errors import GraphConfigError, GraphSyntaxError
from graph_magic.notebook.cell import RequestSpec, parse_cell

NAMESPACE: dict[str, Any] = {
    "uid": "adele@contoso.com",
    "n": 5,
    "names": ["a", "b'c"],
    "cfg": {"key": "v/1"},
    "none": None,
    "obj": type("Obj", (), {"attr": "x&y"})(),
}
LINES = [
    "GET /users",
    "POST /users",
    "get users",
    "PATCH /users/{{uid}}",
    "DELETE /users/x",
    "PUT /x",
    "GET https://graph.microsoft.com/beta/me",
    "GET https://evil.example.com/v1.0/me",
    "GET /users?$top=5&$select=id",
    "GET /users/{{uid}}/memberOf HTTP/1.1",
    "/me",
    "FETCH /x",
    "$top: 5",
    "$filter: displayName eq '{{uid}}'",
    "$select=id,mail",
    '$search: "x:y"',
    "$top: {{n}}",
    "?a=1&b=%2F",
    "&c={{names[1]}}",
    "ConsistencyLevel: eventual",
    "Authorization: Bearer x",
    "X-A: {{cfg['key']}}",
    "X-B: {{obj.attr}}",
    "Bad Header: x",
    "",
    "",
    "#comment",
    "### one",
    "### two after one",
    "### 3 after nope",
    "###",
    '{"a": 1}',
    '{"a": {{n}}, "b": "{{uid}}"}',
    "{",
    "}",
    "a: 1",
    "- x",
    "{{missing}}",
    "{{ uid }}",
    "{{uid",
    "}}",
    "{{names[9]}}",
    "{{obj.__class__}}",
    "{{1+1}}",
    '"x": [1,',
    "  indented: true",
    "\t",
    "é",
    "$",
    "$: x",
    "$top",
    ":",
    "GET",
    "GET  ",
]

cell_texts = st.one_of(
    st.text(max_size=300),
    st.lists(st.sampled_from(LINES), max_size=12).map("\n".join),
    st.lists(st.one_of(st.sampled_from(LINES), st.text(max_size=30)), max_size=10).map("\n".join),
)


KEYS = [
    "base_url",
    "auth_type",
    "token",
    "credentials",
    "scopes",
    "token_cache",
    "default_content_type",
    "max_concurrent_requests",
    "rate_limit_key",
    "timeouts",
    "retry",
    "logging",
    "auto_paginate",
    "advanced_query",
    "transport",
    "sandbox",
    "unknown_key",
    "client_id",
    "client_secret",
    "tenant_id",
    "max_attempts",
    "retry_on_status",
    "enabled",
    "format",
    "read",
    "faults",
    "users",
    "rate_429",
    "authority",
    "resource",
]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-5, max_value=10_000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(
        [
            "https://graph.microsoft.com/v1.0",
            "http://127.0.0.1:8765/v1.0",
            "ftp://x",
            "azure",
            "bearer",
            "device_code",
            "credential",
            "sandbox",
            "http",
            "detailed",
            "auto",
            "never",
            "${HOME}",
            "${MISSING_VAR}",
            "tok",
            "",
            "contoso.onmicrosoft.com",
        ]
    ),
    st.text(max_size=20),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(KEYS), inner, max_size=4),
    ),
    max_leaves=12,
)
system_texts = st.one_of(
    st.dictionaries(st.sampled_from(KEYS), values, max_size=6).map(
        lambda d: yaml.safe_dump(d, allow_unicode=True)
    ),
    # a valid bearer system with a few keys changed, so some texts do load
    st.dictionaries(st.sampled_from(KEYS[:16]), scalars, max_size=2).map(
        lambda d: yaml.safe_dump({"token": "t", **d}, allow_unicode=True)
    ),
    st.text(alphabet=st.characters(exclude_categories=["Cc", "Cs"]), max_size=200),
    st.lists(
        st.sampled_from(
            [
                "base_url: https://graph.microsoft.com/v1.0",
                "auth_type: azure",
                "token: x",
                "credentials:",
                "  client_id: a",
                "  tenant_id: t",
                "  client_secret: s",
                "retry: {max_attempts: 0}",
                "retry: [1]",
                "timeouts: 5",
                "timeouts: -1",
                "logging: true",
                "sandbox: {users: x}",
                "sandbox: {faults: {bad: 1}}",
                "  - x",
                "key: [unclosed",
                "\t- tab",
                ": :",
                "a: b: c",
                "!!python/object:os.system x",
                "&a [*a]",
                "*undefined",
                "%YAML 9.9",
                "---",
                "...",
                "transport: sandbox",
            ]
        ),
        max_size=8,
    ).map("\n".join),
)


def check_cell(text: str) -> str:
    """``parsed`` or ``refused`` (with a location inside the cell); AssertionError otherwise."""
    try:
        specs = parse_cell(text, NAMESPACE)
    except GraphSyntaxError as exc:
        line_count = max(1, len(text.splitlines()) + 1)
        assert 1 <= exc.line <= line_count, (exc.line, text)
        assert exc.column >= 1
        assert exc.message and f"line {exc.line}" in str(exc)
        return "refused"
    assert isinstance(specs, list) and specs
    for spec in specs:
        assert isinstance(spec, RequestSpec)
        assert spec.method in {"GET", "POST", "PATCH", "PUT", "DELETE"}
        assert spec.path.startswith("/") and "?" not in spec.path and "#" not in spec.path
    return "parsed"


def check_system(text: str) -> str:
    """``loaded`` or ``refused`` (naming the file and the key or YAML line); else AssertionError."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            system = load_system(path, environ={"HOME": "/home/fuzz"})
        except GraphConfigError as exc:
            assert exc.file == str(path), (exc, text)
            located = exc.key or " at line " in exc.message or "mapping of keys" in exc.message
            assert located, (str(exc), text)
            assert str(path) in str(exc)
            return "refused"
    assert isinstance(system, SystemConfig)
    return "loaded"


def fuzz(examples: int) -> dict[str, Counter[str]]:
    """Run both checks over ``examples`` generated texts each; outcomes counted per check.

    A failing check raises (hypothesis shrinks it to the smallest failing text first).
    """
    counts: dict[str, Counter[str]] = {"cell": Counter(), "system": Counter()}
    options = settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,  # the same examples on every run, so the report's counts are stable
        suppress_health_check=list(HealthCheck),
    )

    @options
    @given(cell_texts)
    def cells(text: str) -> None:
        counts["cell"][check_cell(text)] += 1

    @options
    @given(system_texts)
    def systems(text: str) -> None:
        counts["system"][check_system(text)] += 1

    cells()
    systems()
    return counts
