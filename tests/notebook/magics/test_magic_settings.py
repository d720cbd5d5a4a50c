"""GraphMagic's settings through %config, and loading/unloading the extension."""

from __future__ import annotations

from typing import Any

import pytest
from traitlets.config import Config

from graph_magic.notebook import runtime
from graph_magic.notebook.errors import SettingRejected
from graph_magic.notebook.magic import GraphMagic
from graph_magic.notebook.session import GraphSession
from tests.notebook.magics.magics_fakes import FakeConnector, user_pages
from tests.support.fakes import FixedTokenProvider


def test_config_sets_a_setting_and_the_next_request_obeys_it(run: Any, magic: GraphMagic) -> None:
    made: list[FakeConnector] = []
    magic.session = GraphSession(
        connector_factory=lambda system, **_: (
            made.append(FakeConnector(system, user_pages(3, 2))) or made[-1]
        ),
        token_provider_factory=lambda system: FixedTokenProvider(),
    )
    ran = run("%config GraphMagic.auto_paginate = False")
    assert not ran.failed
    assert magic.auto_paginate is False

    run("%%graph -o users\nGET /users")
    assert len(run.__self__ if False else magic.shell.user_ns["users"]) == 2  # one page of two
    run("%%graph -o users --all\nGET /users")
    assert len(magic.shell.user_ns["users"]) == 6


def test_config_lists_every_setting_with_its_help(run: Any) -> None:
    ran = run("%config GraphMagic")
    for name in (
        "auto_paginate",
        "display_rows",
        "progress",
        "progress_delay",
        "default_system",
        "short_errors",
        "flatten_depth",
        "masked_headers",
        "history_size",
        "timeout",
    ):
        assert f"GraphMagic.{name}" in ran.stdout
    assert "offline" in ran.stdout  # default_system's help says why the sandbox is the default


@pytest.mark.parametrize(
    ("line", "complaint"),
    [
        ("GraphMagic.display_rows = -1", "display_rows must be at least 1"),
        ("GraphMagic.display_rows = 'many'", "display_rows"),
        ("GraphMagic.flatten_depth = -2", "flatten_depth must be at least 0"),
        ("GraphMagic.progress_delay = -0.5", "progress_delay"),
        ("GraphMagic.timeout = 0", "timeout must be a positive"),
        ("GraphMagic.history_size = -1", "history_size"),
        ("GraphMagic.default_system = 'no-such-system'", "known systems: "),
        ("GraphMagic.masked_headers = ['bad header']", "not HTTP header names"),
        ("GraphMagic.dispaly_rows = 10", "no setting 'dispaly_rows'"),
    ],
)
def test_a_bad_setting_fails_the_cell_and_changes_nothing(
    run: Any, magic: GraphMagic, line: str, complaint: str
) -> None:
    before = {name: getattr(magic, name) for name in magic.trait_names(config=True)}
    ran = run(f"%config {line}")
    assert isinstance(ran.error, SettingRejected)
    assert complaint in str(ran.error)
    assert ran.stdout.strip().startswith("SettingRejected:")
    assert "Traceback" not in ran.stdout
    assert {name: getattr(magic, name) for name in before} == before


def test_default_system_accepts_a_known_system(run: Any, magic: GraphMagic) -> None:
    assert not run("%config GraphMagic.default_system = 'sandbox-limited'").failed
    assert magic.default_system == "sandbox-limited"


def test_ipython_config_reaches_the_magic_when_loaded(shell: Any) -> None:
    shell.extension_manager.unload_extension("graph_magic")
    saved = shell.config
    config = Config(saved)
    config.GraphMagic.display_rows = 7
    shell.config = config
    try:
        shell.extension_manager.load_extension("graph_magic")
        assert shell.magics_manager.registry["GraphMagic"].display_rows == 7
    finally:
        shell.config = saved


def test_loading_registers_line_and_cell_magic_with_help(shell: Any) -> None:
    line = shell.find_line_magic("graph")
    cell = shell.find_cell_magic("graph")
    assert line is not None and cell is not None
    doc = line.__doc__
    for option in (
        "--out",
        "--raw",
        "--all",
        "--no-paginate",
        "--max-items",
        "--system",
        "--beta",
        "--csv",
        "--dry-run",
        "--quiet",
        "--timeout",
        "--expect",
    ):
        assert option in doc


def test_unload_closes_connectors_stops_the_loop_and_unregisters(shell: Any, run: Any) -> None:
    magic = shell.magics_manager.registry["GraphMagic"]
    made: list[FakeConnector] = []
    magic.session = GraphSession(
        connector_factory=lambda system, **_: (
            made.append(FakeConnector(system, user_pages(1, 1))) or made[-1]
        ),
        token_provider_factory=lambda system: FixedTokenProvider(),
    )
    run("%graph GET /users")
    run("%graph --beta GET /users")
    thread = runtime._loop_thread().thread
    assert len(made) == 2 and thread.is_alive()

    shell.extension_manager.unload_extension("graph_magic")

    assert all(connector.closed for connector in made)
    assert not thread.is_alive()
    assert shell.find_line_magic("graph") is None
    assert shell.find_cell_magic("graph") is None
    assert magic not in shell.configurables
    shell.extension_manager.load_extension("graph_magic")  # the fixture unloads again
    assert not run("%graph help").failed


def test_ipython_variable_expansion_is_off(run: Any, shell: Any) -> None:
    shell.user_ns["filter"] = "EXPANDED"
    shell.user_ns["top"] = "EXPANDED"
    ran = run("%graph --dry-run GET /users?$filter=startswith(displayName,'{top}')&$top=3")
    assert "EXPANDED" not in ran.text
    assert "$filter=startswith(displayName,'{top}')" in ran.text.replace("%7B", "{").replace(
        "%7D", "}"
    )


def test_reload_ext_gives_a_fresh_working_magic(shell: Any, run: Any) -> None:
    before = shell.magics_manager.registry["GraphMagic"]
    assert not run("%reload_ext graph_magic").failed
    after = shell.magics_manager.registry["GraphMagic"]
    assert after is not before
    assert shell.configurables.count(after) == 1 and before not in shell.configurables
    assert not run("%graph --dry-run GET /me").failed
