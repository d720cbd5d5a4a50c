"""A JupyterLab server on loopback and a headless Chromium driving one notebook in it.

``LabServer`` runs ``python -m jupyterlab`` from this interpreter on a free loopback port with
a token, a temporary root folder, and its own settings, workspace, config, data, runtime and
IPython folders, so nothing from the machine's Jupyter setup takes part and nothing is left
behind. ``LabPage`` is the notebook as a person meets it: cells are appended and run through
JupyterLab's own commands (exposed with ``--LabApp.expose_app_in_browser``); what is checked
is the page's DOM, and what is pressed is pressed with real clicks and keys.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,1000",
)
"""Headless, no network of its own (no updates, sync or QUIC), a fixed window size."""

# JupyterLab asks whether to fetch news and check for updates; both would reach the network.
_NO_NEWS = {"fetchNews": "false", "checkForUpdates": False}


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LabServer:
    """JupyterLab serving ``root / "notebooks"`` on loopback until ``stop()``."""

    def __init__(self, root: Path, *, startup_timeout: float = 90.0) -> None:
        self.root = root
        self.notebooks = root / "notebooks"
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.log_path = root / "jupyterlab.log"
        folders = {name: root / name for name in ("settings", "workspaces", "config", "data")}
        for folder in (self.notebooks, *folders.values(), root / "runtime", root / "ipython"):
            folder.mkdir(parents=True, exist_ok=True)
        notification = folders["settings"] / "@jupyterlab" / "apputils-extension"
        notification.mkdir(parents=True)
        (notification / "notification.jupyterlab-settings").write_text(json.dumps(_NO_NEWS))
        env = {k: v for k, v in os.environ.items() if not k.startswith("GRAPH_MAGIC_")}
        env.update(
            JUPYTERLAB_SETTINGS_DIR=str(folders["settings"]),
            JUPYTERLAB_WORKSPACES_DIR=str(folders["workspaces"]),
            JUPYTER_CONFIG_DIR=str(folders["config"]),
            JUPYTER_DATA_DIR=str(folders["data"]),
            JUPYTER_RUNTIME_DIR=str(root / "runtime"),
            IPYTHONDIR=str(root / "ipython"),
        )
        command = [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.notebooks}",
            "--ServerApp.allow_root=True",  # CI runs as root
            "--ServerApp.terminals_enabled=False",
            "--LabApp.extension_manager=readonly",  # no PyPI queries
            "--LabApp.expose_app_in_browser=True",
        ]
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            command, env=env, stdout=self._log, stderr=subprocess.STDOUT, cwd=root
        )
        self._wait_until_up(startup_timeout)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        """``path`` on the server, with the token."""
        return f"{self.base_url}/{path.lstrip('/')}?token={self.token}"

    def _wait_until_up(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited; see {self.log_path}")
            try:
                with urllib.request.urlopen(self.url("api/status"), timeout=2):
                    return
            except OSError:
                time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"JupyterLab did not answer in {timeout:.0f} s; see {self.log_path}")

    def stop(self) -> None:
        """Stop the server (and so its kernels)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


def start_chromium(chromium: str, chromedriver: str, profile: Path) -> webdriver.Chrome:
    """Headless Chromium through chromedriver, both given by path (nothing is downloaded)."""
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)


def notebook_json(*sources: str) -> str:
    """An nbformat 4 notebook with these code cells and the python3 kernel."""
    cells = [
        {"cell_type": "code", "id": f"cell-{n}", "metadata": {}, "source": source}
        | {"outputs": [], "execution_count": None}
        for n, source in enumerate(sources)
    ]
    kernel = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook = {"cells": cells, "metadata": {"kernelspec": kernel}}
    return json.dumps(notebook | {"nbformat": 4, "nbformat_minor": 5}, indent=1)


class LabPage:
    """One open notebook in JupyterLab, driven the way a person drives it."""

    def __init__(self, driver: webdriver.Chrome, artifacts: Path, timeout: float = 60) -> None:
        self.driver = driver
        self.artifacts = artifacts
        self.timeout = timeout
        self.shots = 0
        self.home = ""
        """The notebook first opened: the suite's own."""

    def wait(self, condition: Callable[[Any], Any], timeout: float | None = None) -> Any:
        """Poll ``condition(driver)`` until it is truthy; its value."""
        return WebDriverWait(self.driver, timeout or self.timeout, 0.1).until(condition)

    def js(self, script: str, *args: Any) -> Any:
        return self.driver.execute_script(script, *args)

    def open(self, server: LabServer, name: str) -> None:
        """Open ``name`` (in the server's root) and wait for its cells and the app."""
        self.driver.get(server.url(f"lab/tree/{name}"))
        self.wait(lambda _d: self.js("return !!(window.jupyterapp && window.jupyterapp.shell)"))
        self._wait_ready(name)
        self.js("window.jupyterapp.commands.execute('application:toggle-left-area')")
        self.home = self.home or name

    def switch_to(self, name: str) -> None:
        """Open (or bring forward) the notebook ``name`` in the running app, as File > Open does."""
        self.js("window.jupyterapp.commands.execute('docmanager:open', {path: arguments[0]})", name)
        self._wait_ready(name)

    def _wait_ready(self, name: str) -> None:
        """Until ``name`` is the current tab, its cells drawn and its kernel idle."""
        ready = """
            const panel = window.jupyterapp.shell.currentWidget;
            return panel?.context?.path === arguments[0] && panel.content.widgets.length > 0
                && panel.sessionContext.session?.kernel?.status === 'idle';"""
        self.wait(lambda _d: self.js(ready, name))

    def run_all(self) -> list[WebElement]:
        """Run every cell (Run > Run All Cells) and wait until each has run; the code cells."""
        self.js("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        code = _NOTEBOOK_JS + (
            "return nb().widgets.map((c, i) => [c.model.type, i])"
            ".filter(([t, _i]) => t === 'code').map(([_t, i]) => i);"
        )
        indexes = self.js(code)
        for index in indexes:
            self._wait_ran(index)
        return [self.cell(index) for index in indexes]

    def add_cell(self, source: str) -> int:
        """Append a code cell holding ``source`` and make it the active cell; its index."""
        return self.js(
            _NOTEBOOK_JS
            + """
            const model = nb().model.sharedModel;
            model.insertCell(model.cells.length, {cell_type: 'code', source: arguments[0]});
            nb().activeCellIndex = model.cells.length - 1;
            return model.cells.length - 1;""",
            source,
        )

    def run(self, source: str, *, wait: bool = True) -> WebElement:
        """Append ``source`` as a cell and run it (Shift+Enter's command); the cell's node."""
        index = self.add_cell(source)
        self.js("window.jupyterapp.commands.execute('notebook:run-cell')")
        if wait:
            self._wait_ran(index)
        return self.cell(index)

    def cell(self, index: int) -> WebElement:
        return self.js(_NOTEBOOK_JS + "return nb().widgets[arguments[0]].node", index)

    def _wait_ran(self, index: int) -> None:
        """Until the cell's prompt shows an execution count: ``[3]:``, not ``[*]:``."""
        prompt = _NOTEBOOK_JS + (
            "const p = nb().widgets[arguments[0]].node.querySelector('.jp-InputArea-prompt');"
            "return /\\[\\d+\\]/.test(p.textContent);"
        )
        self.wait(lambda _d: self.js(prompt, index))

    def find(self, element: WebElement, css: str) -> list[WebElement]:
        """The elements under ``element`` matching the CSS selector ``css``."""
        return element.find_elements(By.CSS_SELECTOR, css)

    def widget(self, cell: WebElement, css: str) -> WebElement:
        """The first element matching ``css`` in the cell's output, once a widget drew it."""
        return self.wait(lambda _d: next(iter(self.find(cell, css)), None))

    def button(self, cell: WebElement, label: str) -> WebElement:
        """The widget button in the cell's output whose text is ``label``."""
        xpath = f".//button[normalize-space(.)='{label}']"
        return self.wait(lambda _d: next(iter(cell.find_elements(By.XPATH, xpath)), None))

    def choose(self, cell: WebElement, value: str) -> None:
        """Pick ``value`` in the cell's (first) dropdown, as a person does with the mouse."""
        Select(self.widget(cell, "select")).select_by_visible_text(value)

    def complete(self, cell: WebElement) -> list[str]:
        """Put the cursor at the end of the cell's editor, press Tab; the completer's items."""
        self.find(cell, ".cm-content")[0].click()
        ActionChains(self.driver).key_down(Keys.CONTROL).send_keys(Keys.END).key_up(
            Keys.CONTROL
        ).send_keys(Keys.TAB).perform()
        items = ".jp-Completer:not(.lm-mod-hidden) .jp-Completer-item"
        shown = self.wait(lambda _d: self.driver.find_elements(By.CSS_SELECTOR, items))
        return [item.get_attribute("data-value") or item.text for item in shown]

    def press_enter(self) -> None:
        ActionChains(self.driver).send_keys(Keys.ENTER).perform()

    def output_text(self, cell: WebElement) -> str:
        """The text of a cell's outputs, once there is some."""
        return self.wait(lambda _d: _outputs(cell))

    def screenshot(self, name: str, element: WebElement | None = None) -> Path:
        """Save the window (``element`` scrolled into view first) as the next numbered PNG."""
        if element is not None:
            self.js("arguments[0].scrollIntoView({block: 'start'})", element)
        self.shots += 1
        path = self.artifacts / f"{self.shots:02d}-{name}.png"
        self.driver.save_screenshot(str(path))
        return path

    def console_errors(self) -> list[str]:
        """The browser console's errors since the last call."""
        return [
            entry["message"]
            for entry in self.driver.get_log("browser")
            if entry.get("level") == "SEVERE"
        ]


_NOTEBOOK_JS = "const nb = () => window.jupyterapp.shell.currentWidget?.content;\n"


def _outputs(cell: WebElement) -> str:
    outputs = cell.find_elements(By.CSS_SELECTOR, ".jp-OutputArea-output")
    return "\n".join(output.text for output in outputs).strip()
