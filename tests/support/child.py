"""Run Python in a fresh child process, as a new kernel would start, and read its JSON report.

For the tests that must see what a fresh interpreter imports (``sys.modules`` of this process
already holds everything the suite loaded).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


def run_child(code: str, *, bare_environment: bool = False) -> Any:
    """Run ``code`` in a fresh interpreter at the repository root; its last stdout line, as JSON.

    The packaged systems are the ones seen (a test's ``GRAPH_MAGIC_SYSTEMS`` is not passed on).
    ``bare_environment`` passes on nothing of this process's environment (no OpenTelemetry
    variable, say), only ``PYTHONPATH``.
    """
    env = {"PATH": ""} if bare_environment else dict(os.environ)
    env["PYTHONPATH"] = str(REPO)
    env.pop("GRAPH_MAGIC_SYSTEMS", None)
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])
