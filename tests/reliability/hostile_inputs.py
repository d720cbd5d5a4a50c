"""Hostile inputs: system files, config values, secrets Graph sends back, cell headers, CSV cells.

YAML: expansions and constructs a system file must not get through (deep nesting without
aliases, many small aliases, merge-key chains, Python tags, a 10 MB value, a key written twice,
bytes that are not UTF-8), each refused with a GraphConfigError that names the file and, where
there is one, the line. Config: a secret of the wrong type or shape is refused without its value
in the message. Secrets: Graph's secret-bearing members and headers, in requests and answers,
never reach a DEBUG log or an error. Cell headers: framing and connection headers are never sent
as written. CSV: a hostile Graph's text that a spreadsheet would run is written as text.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from graph_magic.connector.config import load_system
from graph_magic.errors import GraphConfigError
from tests.reliability.hostile_kit import Case, CaseResult, Expect, check

SECRET = "Zq7-very-secret-value-123"


# --------------------------------------------------------------------------- system YAML


def yaml_case(name: str, text: str | bytes, expect: Expect) -> Case:
    """A system file holding ``text``; ``says`` is what the error must say (besides the file)."""

    async def run(result: CaseResult) -> None:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "hostile.yaml"
            data = text if isinstance(text, bytes) else text.encode("utf-8")
            path.write_bytes(data)
            try:
                outcome: Any = load_system(path, environ={})
            except Exception as exc:
                outcome = exc
            check(result, expect, outcome)
            if isinstance(outcome, GraphConfigError) and outcome.file != str(path):
                result.problems.append(f"the error names {outcome.file}, not the file")
            if SECRET in str(outcome):
                result.problems.append("the error shows the secret")

    return Case(name, run)


REFUSED = GraphConfigError
YAML_CASES = [
    yaml_case(
        "block nesting 200 deep, no aliases",
        "token: t\nsandbox:\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(200)),
        Expect(REFUSED, "nests deeper than 100 levels"),
    ),
    yaml_case(
        "12000 small aliases of one scalar",
        "token: t\nx: &a 1\nsandbox:\n  seed: [" + ", ".join(["*a"] * 12000) + "]\n",
        Expect(REFUSED, "aliases repeat more than 10,000 nodes"),
    ),
    yaml_case(
        "a chain of 200 merge keys",
        "token: t\na0: &a0 {k0: 1}\n"
        + "".join(f"a{i}: &a{i} {{<<: *a{i - 1}, k{i}: 1}}\n" for i in range(1, 200)),
        Expect(REFUSED, "aliases repeat more than 10,000 nodes"),
    ),
    yaml_case(
        "!!python/object/apply",
        "token: !!python/object/apply:os.system ['echo pwned']\n",
        Expect(REFUSED, "line 1, column 8"),
    ),
    yaml_case("!!python/name", "token: !!python/name:os.system\n", Expect(REFUSED, "line 1")),
    yaml_case("a custom tag", "token: !vault |\n  abc\n", Expect(REFUSED, "line 1")),
    yaml_case(
        "!!binary where a secret goes", "token: !!binary aGVsbG8=\n", Expect(REFUSED, "got bytes")
    ),
    yaml_case(
        "a 10 MB value", "token: " + "x" * 10_000_000 + "\n", Expect(REFUSED, "larger than 64 KiB")
    ),
    yaml_case(
        "a key written twice",
        f"token: {SECRET}\ntoken: t\n",
        Expect(REFUSED, "line 2, column 1: the key 'token' is written twice"),
    ),
    yaml_case(
        "a nested key written twice",
        "auth_type: azure\ncredentials:\n  client_id: a\n  client_id: b\n",
        Expect(REFUSED, "line 4"),
    ),
    yaml_case(
        "bytes that are not UTF-8",
        b"token: t\nsandbox: {seed: \xff}\n",
        Expect(REFUSED, "not UTF-8: byte 0xff at line 2, column 17"),
    ),
    yaml_case("two documents", "token: t\n---\ntoken: u\n", Expect(REFUSED, "line 2")),
    yaml_case(
        "a merge key used as meant still loads",
        "token: t\nlogging: {<<: {enabled: true}, format: detailed}\n",
        Expect(None),
    ),
]


# --------------------------------------------------------------------------- config echo


def config_case(name: str, text: str, key: str) -> Case:
    """A system whose ``key`` is wrong; the error names the key and never shows SECRET."""

    async def run(result: CaseResult) -> None:
        await yaml_case(name, text, Expect(REFUSED, f"key '{key}'")).run(result)

    return Case(name, run)


AZURE = "auth_type: azure\ncredentials: {tenant_id: t, client_id: c, client_secret: %s}\n"
CONFIG_CASES = [
    config_case("client_secret as a float", AZURE % "1234567.891", "credentials.client_secret"),
    config_case("client_secret as a bool", AZURE % "true", "credentials.client_secret"),
    config_case(
        "client_secret as a mapping", AZURE % f"{{v: {SECRET}}}", "credentials.client_secret"
    ),
    config_case("client_secret as a list", AZURE % f"[{SECRET}]", "credentials.client_secret"),
    config_case("token as a list", f"token: [{SECRET}]\n", "token"),
    config_case(
        "a misspelt secret key",
        AZURE.replace("client_secret:", f"client_secrt: {SECRET}, client_secret:") % "s",
        "credentials.client_secrt",
    ),
    config_case("a secret under an unknown key", f"token: t\npassword: {SECRET}\n", "password"),
    config_case(
        "a proxy URL with a password",
        f"token: t\nproxy: http://u:{SECRET}@proxy.example:8080\n",
        "proxy",
    ),
    config_case(
        "base_url with a password",
        f"token: t\nbase_url: https://u:{SECRET}@graph.microsoft.com/v1.0\n",
        "base_url",
    ),
    config_case(
        "base_url with a password and a bad port",
        f"token: t\nbase_url: https://u:{SECRET}@graph.microsoft.com:99999/v1.0\n",
        "base_url",
    ),
]
