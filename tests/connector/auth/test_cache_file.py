"""msal's cache file: private (0600 in 0700), reused by the next process, forgotten on logout."""

from __future__ import annotations

import stat
from pathlib import Path

from graph_magic.connector.auth import (
    _cache,
    make_token_provider,
)
from graph_magic.connector.config import load_system
from tests.connector.auth.auth_kit import SECRET, TENANT, azure
from tests.connector.auth.identity_platform import FakeIdentityPlatform


async def test_cache_file_is_private_and_reused(aad: FakeIdentityPlatform, tmp_path: Path) -> None:
    cache = tmp_path / "cache-dir" / "msal.json"
    system = azure(token_cache=str(cache))
    assert await make_token_provider(system).get_token() == "access-token-1"

    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    assert stat.S_IMODE(cache.parent.stat().st_mode) == 0o700
    assert "access-token-1" in cache.read_text()  # msal's format, persisted

    _cache._FILE_CACHES.clear()  # a new process: the token comes from the file
    assert await make_token_provider(system).get_token() == "access-token-1"
    assert aad.token.call_count == 1


async def test_an_existing_cache_file_keeps_mode_0600(
    aad: FakeIdentityPlatform, tmp_path: Path
) -> None:
    cache = tmp_path / "msal.json"
    cache.write_text("{}")
    cache.chmod(0o644)
    await make_token_provider(azure(token_cache=str(cache))).get_token()
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600


async def test_in_memory_cache_writes_nothing(aad: FakeIdentityPlatform, isolated: Path) -> None:
    await make_token_provider(azure(token_cache=False)).get_token()
    assert list(Path.cwd().iterdir()) == []
    assert not (isolated / "home" / ".cache").exists()


async def test_default_cache_lives_under_home_not_cwd(
    aad: FakeIdentityPlatform, isolated: Path
) -> None:
    system = load_system(
        {
            "auth_type": "azure",
            "credentials": {"tenant_id": TENANT, "client_id": "app-id", "client_secret": SECRET},
        },
        environ={},
    )
    await make_token_provider(system).get_token()
    assert list(Path.cwd().iterdir()) == []
    cache = isolated / "home" / ".cache" / "graph-magic" / "msal.json"
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600


async def test_logout_forgets_the_token_and_the_cache_entries(
    aad: FakeIdentityPlatform, tmp_path: Path
) -> None:
    cache = tmp_path / "msal.json"
    provider = make_token_provider(azure(token_cache=str(cache)))
    await provider.get_token()
    await provider.logout()
    assert provider.describe()["signed_in"] is False
    assert "access-token-1" not in cache.read_text()
    assert await provider.get_token() == "access-token-2"
