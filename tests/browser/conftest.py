"""One JupyterLab and one headless Chromium for the whole browser suite, and its artifacts.

The suite needs Debian's ``chromium`` and ``chromium-driver`` and the ``jupyterlab`` and
``selenium`` packages (the ``test`` extra). Without them it is skipped, saying which is missing,
unless ``GRAPH_MAGIC_BROWSER_TESTS=required`` (``.ci/run`` sets it): then a missing piece fails.
Screenshots of every step go to ``browser-artifacts`` under pytest's temporary folder (or to
``$GRAPH_MAGIC_BROWSER_ARTIFACTS``); the run's summary prints where.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.needs import browser_paths, missing

REQUIRED = os.environ.get("GRAPH_MAGIC_BROWSER_TESTS", "").lower() == "required"
NOTEBOOK = "browser-suite.ipynb"

# A sandbox that answers every Graph request 250 ms late: a paging scan long enough to watch
# its progress bar come and go. The kernel runs in the notebooks folder, where ./systems/ is
# searched for system files.
SLOW_SANDBOX = """\
base_url: https://graph.microsoft.com/v1.0
auth_type: azure
transport: sandbox
token_cache: false
credentials:
  tenant_id: contoso.onmicrosoft.com
  client_id: sandbox-app
  client_secret: sandbox-secret
sandbox:
  seed: 42
  latency_ms: 250
"""


def _needs() -> None:
    """Skip, naming what is missing (or fail, when the browser tests are required)."""
    reason = missing()
    if reason and REQUIRED:
        pytest.fail(f"{reason}; GRAPH_MAGIC_BROWSER_TESTS=required", pytrace=False)
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: $GRAPH_MAGIC_BROWSER_ARTIFACTS, or pytest's temporary folder."""
    chosen = os.environ.get("GRAPH_MAGIC_BROWSER_ARTIFACTS")
    folder = Path(chosen) if chosen else tmp_path_factory.getbasetemp() / "browser-artifacts"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("[0-9][0-9]-*.png"):  # a reused folder shows this run only
        old.unlink()
    _ARTIFACTS.append(folder)
    return folder


_ARTIFACTS: list[Path] = []


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """JupyterLab on loopback for the session, its notebooks folder holding the suite's files."""
    _needs()
    from tests.browser.lab import LabServer, notebook_json

    root = tmp_path_factory.mktemp("jupyterlab")
    (root / "notebooks" / "systems").mkdir(parents=True)
    (root / "notebooks" / "systems" / "sandbox-slow.yaml").write_text(SLOW_SANDBOX)
    (root / "notebooks" / NOTEBOOK).write_text(notebook_json("%load_ext graph_magic"))
    server = LabServer(root)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def page(lab: Any, artifacts: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The suite's notebook open in headless Chromium with graph_magic loaded in its kernel."""
    from tests.browser.lab import LabPage, start_chromium

    chromium, chromedriver = browser_paths()
    driver = start_chromium(chromium, chromedriver, tmp_path_factory.mktemp("chromium-profile"))
    try:
        page = LabPage(driver, artifacts)
        page.open(lab, NOTEBOOK)
        (loaded,) = page.run_all()
        assert page.console_errors() == []
        page.screenshot("notebook-open", loaded)
        yield page
    finally:
        driver.quit()


@pytest.fixture(autouse=True)
def clean_console(request: pytest.FixtureRequest) -> Iterator[None]:
    """After each browser test: the browser console logged no error."""
    yield
    if "page" in request.fixturenames:
        errors = request.getfixturevalue("page").console_errors()
        assert errors == [], f"browser console errors: {errors}"


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for folder in _ARTIFACTS:
        terminalreporter.write_line(f"browser screenshots: {folder}")
