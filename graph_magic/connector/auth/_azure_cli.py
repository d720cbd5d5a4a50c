"""``auth_type: azure_cli``: the token of the account an analyst signed in to with ``az login``.

The Azure CLI keeps its own sign-in (and refreshes it), so a notebook on an analyst's machine
needs no app registration: ``az account get-access-token`` hands out a Graph token for the
signed-in user. The CLI is a separate program, so what can go wrong is said in its terms: not
installed, not signed in, signed in to another tenant, too slow to answer. The token is read
from the CLI's JSON on standard output and never logged; its error text is masked before it is
shown.
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import json
import shutil
import subprocess
from collections.abc import Callable, Sequence
from typing import Any

from graph_magic.connector.auth._base import Clock, _Provider, _scrub, _token_identity
from graph_magic.connector.config import SystemConfig
from graph_magic.errors import GraphAuthError

#: How long ``az`` may take: it may refresh its own token first, which is a network call.
AZ_TIMEOUT_SECONDS = 60.0

#: Runs the CLI: (argv, timeout) -> the finished process; injectable for tests.
RunCli = Callable[[Sequence[str], float], "subprocess.CompletedProcess[str]"]


def _run(argv: Sequence[str], timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout, check=False)


class AzureCliProvider(_Provider):
    """Tokens from ``az account get-access-token`` for the system's cloud resource (and tenant)."""

    auth_type = "azure_cli"

    def __init__(
        self, system: SystemConfig, *, clock: Clock, run: RunCli = _run, which: Any = shutil.which
    ) -> None:
        super().__init__(system, clock=clock)
        self._run_cli = run
        self._which = which

    def argv(self, az: str) -> list[str]:
        """The command line: the cloud's Graph resource, the system's tenant when it names one."""
        argv = [az, "account", "get-access-token", "--output", "json"]
        argv += ["--resource", self.system.credentials.resource]
        if self.system.credentials.tenant_id:
            argv += ["--tenant", self.system.credentials.tenant_id]
        return argv

    async def _acquire(self, *, force: bool) -> tuple[str, float | None]:
        return await asyncio.to_thread(self._ask_cli)

    def _ask_cli(self) -> tuple[str, float | None]:
        az = self._which("az")
        if az is None:
            raise GraphAuthError(
                "auth_type azure_cli needs the Azure CLI, and 'az' is not on PATH: install it "
                "(https://aka.ms/azure-cli), run 'az login', then run the cell again"
            )
        try:
            done = self._run_cli(self.argv(az), AZ_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            raise GraphAuthError(
                f"'az account get-access-token' did not answer within {AZ_TIMEOUT_SECONDS:.0f} s; "
                "run it in a terminal to see what it waits for (a sign-in prompt, the network)"
            ) from None
        except OSError as exc:
            raise GraphAuthError(f"the Azure CLI could not be started: {exc}") from None
        if done.returncode != 0:
            raise self._cli_error(done.stderr or done.stdout)
        return self._read(done.stdout)

    def _cli_error(self, output: str) -> GraphAuthError:
        text = _scrub(output.strip(), (self._token,))
        first = next((line for line in text.splitlines() if line.strip()), "no message")
        tenant = self.system.credentials.tenant_id
        login = f"az login --tenant {tenant}" if tenant else "az login"
        if "az login" in text or "AADSTS" in text or "expired" in text.lower():
            hint = f"the Azure CLI is not signed in (or its sign-in expired): run '{login}'"
        else:
            hint = "run 'az account get-access-token' in a terminal to see the whole message"
        return GraphAuthError(
            f"the Azure CLI gave no token: {first.removeprefix('ERROR: ')}; {hint}",
            detail={"error": text},
        )

    def _read(self, stdout: str) -> tuple[str, float | None]:
        try:
            answer = json.loads(stdout)
            token = answer["accessToken"]
        except (ValueError, KeyError, TypeError):
            raise GraphAuthError(
                "the Azure CLI answered without a token (expected JSON with 'accessToken'); "
                "update it with 'az upgrade'"
            ) from None
        return token, _expiry(answer)

    def _identity(self) -> dict[str, Any]:
        return {"credential": "Azure CLI", **_token_identity(self._token)}


def _expiry(answer: dict[str, Any]) -> float | None:
    """The expiry as a POSIX time: ``expires_on`` (CLI 2.54+), else ``expiresOn`` (local time)."""
    epoch = answer.get("expires_on")
    if isinstance(epoch, int | float) or (isinstance(epoch, str) and epoch.isdigit()):
        return float(epoch)
    local = answer.get("expiresOn")
    if isinstance(local, str):
        try:
            return _dt.datetime.fromisoformat(local).timestamp()  # naive: the machine's zone
        except ValueError:
            return None
    return None
