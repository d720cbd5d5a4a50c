"""Secrets stay secret: the token cache file, and logs at DEBUG with ``format: detailed``.

Every token the sandbox issued during a busy session (paging, writes with passwords, $batch,
errors, a 401 and its refresh) and the client secrets are searched for in everything the
``graph_magic`` handler wrote, in every record of every logger at DEBUG, and in the reprs of
results and errors: zero hits.
"""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest

from graph_magic.connector.auth import make_token_provider
from graph_magic.connector.config import SystemConfig, load_system
from graph_magic.sandbox import create_app, msal_http_client
from tests.reliability.reliability_kit import count_leaks, options
from tests.reliability.reliability_security import log_scan


@pytest.fixture
def home(isolated: Path) -> Path:
    """The fresh HOME of ``isolated`` (whose working directory is a separate, empty one)."""
    return isolated / "home"


def _azure(extra: dict[str, Any]) -> SystemConfig:
    """The sandbox app over client credentials, with the default token cache unless changed."""
    data = {
        "auth_type": "azure",
        "credentials": {
            "client_id": "sandbox-app",
            "client_secret": "sandbox-secret",
            "tenant_id": "contoso.onmicrosoft.com",
        },
        "transport": "sandbox",
        **extra,
    }
    return load_system(data, environ={})


async def test_token_cache_is_0600_under_home_and_not_in_cwd(home: Path) -> None:
    app = create_app(options(users=20))
    system = _azure({})
    assert system.token_cache == str(home / ".cache" / "graph-magic" / "msal.json")
    provider = make_token_provider(system, http_client=msal_http_client(None, app=app))
    token = await provider.get_token()
    cache = Path(system.token_cache)
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    assert stat.S_IMODE(cache.parent.stat().st_mode) == 0o700
    assert list(Path.cwd().iterdir()) == []  # nothing written into the working directory
    text = cache.read_text()
    assert token in text  # it holds the token: that is why it is 0600
    assert "sandbox-secret" not in text


async def test_no_token_or_secret_in_debug_logs_or_reprs() -> None:
    outcome = await log_scan()
    lines = outcome.extra["lines"]
    assert any("--> GET" in line for line in lines)  # the logs really were detailed...
    assert any("headers:" in line and "Authorization" in line for line in lines)
    assert "auth: token acquired" in outcome.extra["stream"]
    assert "msal" in {name.split(".")[0] for name in outcome.extra["loggers"]}  # ...and wide
    assert len(set(outcome.extra["tokens"])) >= 2  # the 401 refresh happened
    assert outcome.extra["leaks"] == {}
    assert outcome.figures.leaks == 0


def test_the_leak_counter_finds_a_planted_token() -> None:
    """The scan can fail: a token pasted into a log line is found."""
    token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
    assert count_leaks([f"DEBUG graph_magic --> GET /users Bearer {token}"], [token]) != {}


async def test_a_cache_file_left_world_readable_becomes_0600(home: Path) -> None:
    cache = home / ".cache" / "graph-magic" / "msal.json"
    cache.parent.mkdir(parents=True)
    cache.write_text("{}")
    cache.chmod(0o644)
    app = create_app(options(users=20))
    system = _azure({"token_cache": str(cache)})
    provider = make_token_provider(system, http_client=msal_http_client(None, app=app))
    await provider.get_token()
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
