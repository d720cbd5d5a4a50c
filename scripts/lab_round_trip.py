"""Open the guides in a real JupyterLab, in headless Chromium, as someone who was sent them would.

    python scripts/lab_round_trip.py                       # every notebooks/*.ipynb
    python scripts/lab_round_trip.py notebooks/01_quickstart.ipynb

For each notebook (a copy in a scratch folder, so the checkout is never written): open it, wait
until its kernel is idle and has reported its ``language_info``, and read from JupyterLab itself
whether the document is marked modified, whether its cells are trusted and which form each
output is drawn in; then save it and compare the file's bytes with what was opened. JupyterLab
runs on 127.0.0.1 with its own empty Jupyter data, settings and workspace folders, so no
notebook signature of this machine's user applies: the notebooks are "someone else's".

Needs the ``lab`` extra, Selenium, and Chromium with its driver (Debian: ``chromium``,
``chromium-driver``); paths can be given with ``CHROMIUM`` and ``CHROMEDRIVER``. Exits 1 if a
notebook was marked modified on open or a save changed its bytes.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
TOKEN = "lab-round-trip"

# Runs in the page: open state, trust and output forms, then a save. `window.jupyterapp` is
# there because the lab is started with expose_app_in_browser.
_INSPECT_AND_SAVE = """
const [name, done] = [arguments[0], arguments[arguments.length - 1]];
const pause = ms => new Promise(resolve => setTimeout(resolve, ms));
(async () => {
  for (let i = 0; i < 600 && !window.jupyterapp; i++) await pause(100);
  const app = window.jupyterapp;
  await app.restored;
  let panel;
  for (let i = 0; i < 600; i++) {
    panel = app.shell.currentWidget;
    if (panel && panel.context && panel.context.path.endsWith(name)) break;
    await pause(100);
  }
  await panel.context.ready;
  await panel.sessionContext.ready;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  if (kernel) await kernel.info;
  for (let i = 0; i < 600 && panel.sessionContext.kernelDisplayStatus !== 'idle'; i++) {
    await pause(100);
  }
  await pause(2000);  // let every metadata update the kernel's info causes land
  const cells = panel.content.widgets.filter(cell => cell.model.type === 'code').map(cell => ({
    trusted: cell.model.trusted,
    forms: [...cell.node.querySelectorAll('.jp-OutputArea-output')].map(
      node => node.getAttribute('data-mime-type') || 'widget'),
  }));
  const modifiedOnOpen = panel.context.model.dirty;
  await app.commands.execute('docmanager:save');
  await pause(1000);
  await app.commands.execute('kernelmenu:shutdown').catch(() => {});
  await app.commands.execute('application:close-all');
  done({modifiedOnOpen, cells});
})().catch(error => done({error: String(error)}));
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _jupyterlab(folder: Path, scratch: Path) -> Iterator[str]:
    """JupyterLab serving ``folder`` on loopback; yields its base URL."""
    port = _free_port()
    env = {
        **os.environ,
        "JUPYTER_DATA_DIR": str(scratch / "data"),
        "JUPYTER_RUNTIME_DIR": str(scratch / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(scratch / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(scratch / "workspaces"),
    }
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
        "--ip=127.0.0.1", f"--port={port}", f"--IdentityProvider.token={TOKEN}",
        f"--ServerApp.root_dir={folder}", "--LabApp.expose_app_in_browser=True",
        "--KernelManager.transport_encryption=auto",  # no "TCP without encryption" warning
    ]  # fmt: skip
    with open(scratch / "jupyterlab.log", "w", encoding="utf-8") as log:
        server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_for(port, server)
            yield f"http://127.0.0.1:{port}"
        finally:
            server.terminate()
            server.wait(timeout=30)


def _wait_for(port: int, server: subprocess.Popen[Any], seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with status {server.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"JupyterLab did not listen on port {port} within {seconds:.0f} s")


def _browser() -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    for argument in ("--headless=new", "--no-sandbox", "--window-size=1400,1000"):
        options.add_argument(argument)
    options.binary_location = CHROMIUM
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_script_timeout(180)
    return driver


def round_trip(notebooks: Sequence[Path]) -> list[dict[str, Any]]:
    """Open, inspect and save copies of ``notebooks`` in JupyterLab; one finding per notebook."""
    findings = []
    with tempfile.TemporaryDirectory(prefix="lab-round-trip-") as name:
        scratch = Path(name)
        folder = scratch / "notebooks"
        folder.mkdir()
        for path in notebooks:
            shutil.copy(path, folder / path.name)
        with _jupyterlab(folder, scratch) as base:
            driver = _browser()
            try:
                for path in notebooks:
                    driver.get(f"{base}/lab/tree/{path.name}?token={TOKEN}")
                    seen = driver.execute_async_script(_INSPECT_AND_SAVE, path.name)
                    saved = (folder / path.name).read_bytes()
                    seen.update(notebook=path.name, same_bytes=saved == path.read_bytes())
                    findings.append(seen)
            finally:
                driver.quit()
    return findings


def _line(finding: dict[str, Any]) -> str:
    if "error" in finding:
        return f"{finding['notebook']}: JupyterLab could not be driven: {finding['error']}"
    cells = finding["cells"]
    trusted = sum(cell["trusted"] for cell in cells)
    forms = sorted({form for cell in cells for form in cell["forms"]})
    return (
        f"{finding['notebook']}: modified on open {finding['modifiedOnOpen']}, "
        f"same bytes after a save {finding['same_bytes']}, "
        f"{trusted} of {len(cells)} code cells trusted, outputs drawn as {', '.join(forms)}"
    )


def main(argv: list[str] | None = None) -> int:
    """Print one line per notebook; 1 if any was modified on open or changed by a save."""
    paths = [Path(arg) for arg in (argv if argv is not None else sys.argv[1:])]
    findings = round_trip(paths or sorted((ROOT / "notebooks").glob("*.ipynb")))
    for finding in findings:
        print(_line(finding))
    bad = [f for f in findings if "error" in f or f["modifiedOnOpen"] or not f["same_bytes"]]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
