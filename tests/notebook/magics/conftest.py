"""Running cells in the real InteractiveShell (the ``shell`` fixture of tests/conftest.py).

``run`` runs a cell and keeps what it showed; ``sandbox`` is ``run`` once ``%graph connect
sandbox`` succeeded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from IPython.core.interactiveshell import ExecutionResult, InteractiveShell
from IPython.utils.capture import capture_output


@dataclass
class Ran:
    """One cell's run: IPython's result plus what it displayed and printed."""

    result: ExecutionResult
    outputs: list[Any] = field(default_factory=list)
    stdout: str = ""
    stderr: str = ""

    @property
    def failed(self) -> bool:
        return self.result.error_in_exec is not None or self.result.error_before_exec is not None

    @property
    def error(self) -> BaseException | None:
        return self.result.error_in_exec

    def texts(self) -> list[str]:
        return [out.data.get("text/plain", "") for out in self.outputs]

    def htmls(self) -> list[str]:
        return [out.data.get("text/html", "") for out in self.outputs]

    @property
    def text(self) -> str:
        return "\n".join(self.texts())

    @property
    def everything(self) -> str:
        """Every byte the user could see: display data of every kind, stdout, stderr."""
        shown = [str(value) for out in self.outputs for value in out.data.values()]
        return "\n".join([*shown, self.stdout, self.stderr])


@pytest.fixture
def run(shell: InteractiveShell) -> Any:
    """``run(cell)`` runs a cell and returns what it showed (a :class:`Ran`)."""

    def _run(cell: str) -> Ran:
        with capture_output() as captured:
            result = shell.run_cell(cell, store_history=False)
        return Ran(result, list(captured.outputs), captured.stdout, captured.stderr)

    return _run


@pytest.fixture
def magic(shell: InteractiveShell) -> Any:
    """The loaded GraphMagic instance."""
    return shell.magics_manager.registry["GraphMagic"]


@pytest.fixture
def sandbox(run: Any) -> Any:
    """``run`` after ``%graph connect sandbox`` succeeded."""
    ran = run("%graph connect sandbox")
    assert not ran.failed, ran.everything
    return run
