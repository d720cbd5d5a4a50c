"""Hostile inputs and what leaves graph-magic, family by family (see ``hostile_inputs`` and
``hostile_outputs``): system YAML, config errors, secrets in logs and errors, cell headers on
the wire, CSV cells. The same cases make rows of ``scripts/reliability_report.py``."""

from __future__ import annotations

import logging

import pytest
from IPython.core.interactiveshell import InteractiveShell

from graph_magic.connector.masking import mask_text
from tests.reliability import hostile_inputs, hostile_outputs
from tests.reliability.hostile_kit import Case, by_name, family_params, run_case
from tests.reliability.reliability_security import run_cell

FAMILIES = {
    "yaml": hostile_inputs.YAML_CASES,
    "config": hostile_inputs.CONFIG_CASES,
    "secret": hostile_outputs.SECRET_CASES,
    "cell header": hostile_outputs.HEADER_CASES,
    "csv": hostile_outputs.CSV_CASES,
}
CASES = family_params(FAMILIES)


@pytest.mark.parametrize("case", CASES)
async def test_the_user_gets_what_the_readme_promises(case: Case) -> None:
    result = await run_case(case)
    assert result.problems == []


async def test_a_key_written_twice_is_refused_where_the_second_stands() -> None:
    result = await run_case(by_name(hostile_inputs.YAML_CASES)["a key written twice"])
    assert "line 2, column 1: the key 'token' is written twice" in str(result.error)
    assert hostile_inputs.SECRET not in str(result.error)


def test_httpx_request_lines_reach_the_root_logger_masked(caplog: pytest.LogCaptureFixture) -> None:
    import graph_magic.connector.telemetry  # noqa: F401 - installs the library filters

    caplog.set_level(logging.INFO)
    logging.getLogger("httpx").info(
        'HTTP Request: GET https://graph.microsoft.com/v1.0/r?sig=S3cr3tSig&se=1 "HTTP/1.1 200 OK"'
    )
    assert "S3cr3tSig" not in caplog.text
    assert "sig=***&se=1" in caplog.text


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("see https://host.example/x?sig=abc123&sv=2020", "sv=2020"),
        ("https://u:pw123@graph.microsoft.com/v1.0/me", "graph.microsoft.com/v1.0/me"),
    ],
)
def test_urls_inside_text_lose_their_credentials(text: str, kept: str) -> None:
    assert "abc123" not in mask_text(text) and "pw123" not in mask_text(text)
    assert kept in mask_text(text)


def test_a_pasted_cell_with_every_connection_header_keeps_none(shell: InteractiveShell) -> None:
    """Through the magic: the dry run (the very request the cell would send) drops them all."""
    headers = "\n".join(f"{name}: {value}" for name, value in hostile_outputs.CELL_HEADERS.items())
    failed, text = run_cell(shell, f'%%graph --dry-run\nPOST /users\n{headers}\n\n{{"a": 1}}')
    assert not failed
    names = ", ".join(hostile_outputs.CELL_HEADERS)
    assert f"(not sent: {names}; the HTTP client sets framing headers itself)" in text
    for name, value in hostile_outputs.CELL_HEADERS.items():
        assert f"{name}: {value}" not in text
