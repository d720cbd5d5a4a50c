"""The suite's own precondition: without a browser it says exactly what is missing."""

from __future__ import annotations

from tests.browser.needs import missing


def test_a_missing_browser_and_package_are_named(tmp_path):
    env = {
        "GRAPH_MAGIC_CHROMIUM": str(tmp_path / "no-chromium"),
        "GRAPH_MAGIC_CHROMEDRIVER": str(tmp_path / "no-chromedriver"),
    }
    reason = missing(env, modules=("pytest", "graph_magic_no_such_package"))
    assert reason.startswith(
        f"browser tests need {tmp_path / 'no-chromium'}, {tmp_path / 'no-chromedriver'}, "
        "graph_magic_no_such_package ("
    )
    assert "apt-get install chromium chromium-driver" in reason


def test_nothing_is_missing_when_every_piece_is_there(tmp_path):
    program = tmp_path / "program"
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    env = {"GRAPH_MAGIC_CHROMIUM": str(program), "GRAPH_MAGIC_CHROMEDRIVER": str(program)}
    assert missing(env, modules=("pytest",)) == ""
