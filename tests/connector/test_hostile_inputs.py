"""Hostile system files and secrets: alias bombs, user info in base_url, secrets by name, the cache.

Each case builds the file or answer an attacker (or a careless paste) would, and asserts the
refusal: a GraphConfigError naming the key and file, a mask, a 0600 file. An alias bomb is
judged by the memory its refusal took (deterministic), not by a timing.
"""

from __future__ import annotations

import io
import logging
import os
import stat
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import msal
import pytest
import respx

from graph_magic.connector.auth import _cache, make_token_provider
from graph_magic.connector.client import GraphConnector
from graph_magic.connector.config import LoggingSettings, load_system
from graph_magic.connector.masking import mask_text
from graph_magic.connector.system_files import ALIAS_BUDGET, MAX_NESTING
from graph_magic.connector.telemetry import configure_logging
from graph_magic.errors import GraphConfigError
from tests.connector.auth.auth_kit import azure
from tests.connector.auth.identity_platform import FakeIdentityPlatform
from tests.connector.connector_kit import GRAPH, make_system
from tests.support.fakes import FakeTokenProvider

WriteSystem = Callable[[Path, str, str], Path]

# Seven levels, each aliasing the one before nine times: 9**7 = 4.8 million leaves from 330 bytes.
LAUGHS = "token: t\nscopes:\n" + "".join(
    f"- &{level} [{','.join([f'*{prev}'] * 9) if prev else ','.join(['lol'] * 9)}]\n"
    for prev, level in zip(["", *"abcdef"], "abcdefg", strict=True)
)
# The same growth through YAML merge keys instead of sequences.
MERGE_LAUGHS = "token: t\nsandbox:\n  x0: &a0 {k0: lol, k1: lol, k2: lol, k3: lol}\n" + "".join(
    f"  x{n}: &a{n} {{{', '.join(f'm{i}: *a{n - 1}' for i in range(9))}}}\n" for n in range(1, 8)
)


def _refusal(path: Path) -> tuple[GraphConfigError, int]:
    """The error loading ``path`` raises, and the peak memory (bytes) the refusal took."""
    tracemalloc.start()
    try:
        with pytest.raises(GraphConfigError) as info:
            load_system(path, environ={})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return info.value, peak


# ---- 1. YAML aliases are bounded ------------------------------------------------------------


def test_the_billion_laughs_system_file_is_refused_at_the_alias(
    tmp_path: Path, write_system: WriteSystem
) -> None:
    assert len(LAUGHS) < 400
    path = write_system(tmp_path, "laughs", LAUGHS)
    error, peak = _refusal(path)
    assert error.file == str(path)
    # Level e's first alias is the one that passes the budget: line 7, the '*d' at column 7.
    assert "invalid YAML at line 7, column 7" in str(error)
    assert f"YAML aliases repeat more than {ALIAS_BUDGET:,} nodes" in str(error)
    assert str(path) in str(error)
    assert peak < 2_000_000  # the unbounded load took 240 MB


def test_merge_key_laughs_are_refused_too(tmp_path: Path, write_system: WriteSystem) -> None:
    path = write_system(tmp_path, "merge", MERGE_LAUGHS)
    error, peak = _refusal(path)
    assert error.file == str(path)
    assert "aliases repeat more than" in str(error)
    assert peak < 2_000_000


def test_an_alias_inside_its_own_anchor_is_refused(
    tmp_path: Path, write_system: WriteSystem
) -> None:
    path = write_system(tmp_path, "loop", "token: t\nscopes: &s [a, *s]\n")
    error, _ = _refusal(path)
    assert "line 2, column 16" in str(error)
    assert "inside its own anchor" in str(error)


def test_flow_nesting_is_refused_at_the_bracket_past_the_bound(
    tmp_path: Path, write_system: WriteSystem
) -> None:
    text = "token: t\nscopes: " + "[" * 30_000 + "]" * 30_000  # under the 64 KiB file cap
    path = write_system(tmp_path, "deep", text)
    error, peak = _refusal(path)
    assert error.file == str(path)
    column = len("scopes: ") + MAX_NESTING + 1  # the first bracket too many
    assert f"line 2, column {column}: YAML nests deeper than {MAX_NESTING}" in str(error)
    assert peak < 2_000_000


def test_block_nesting_is_bounded_too(tmp_path: Path, write_system: WriteSystem) -> None:
    lines = [f"{' ' * level}k{level}:" for level in range(MAX_NESTING + 5)]
    path = write_system(tmp_path, "blocks", "token: t\nsandbox:\n" + "\n".join(lines) + " x\n")
    error, _ = _refusal(path)
    assert f"YAML nests deeper than {MAX_NESTING} levels" in str(error)


def test_nesting_within_the_bound_loads(tmp_path: Path, write_system: WriteSystem) -> None:
    depth = MAX_NESTING - 2  # the document's mapping and scopes' list are two levels
    text = "token: t\nscopes: " + "[" * depth + "x" + "]" * depth + "\n"
    with pytest.raises(GraphConfigError, match="expected a list of strings"):
        load_system(write_system(tmp_path, "deep-ok", text), environ={})


def test_a_few_aliases_still_load(tmp_path: Path, write_system: WriteSystem) -> None:
    text = "token: t\nscopes: [&s 'https://graph.microsoft.com/User.Read', *s, *s]\n"
    system = load_system(write_system(tmp_path, "ok", text), environ={})
    assert system.scopes == ("https://graph.microsoft.com/User.Read",) * 3


# ---- 2. base_url: no user info, a valid port; no secret echoed by a config error ----------


@pytest.mark.parametrize(
    "url",
    [
        "https://user:hunter2-pass@graph.microsoft.com/v1.0",
        "https://:hunter2-pass@graph.microsoft.com/v1.0",
        "https://hunter2-pass@graph.microsoft.com/v1.0",
        "https://user:hunter2-pass@graph.microsoft.com:99999/v1.0",
        "https://user:hunter2-pass@[graph.microsoft.com/v1.0",
    ],
)
def test_user_info_in_base_url_is_refused_without_echoing_it(
    tmp_path: Path, write_system: WriteSystem, url: str
) -> None:
    path = write_system(tmp_path, "userinfo", f"token: t\nbase_url: {url}\n")
    with pytest.raises(GraphConfigError) as info:
        load_system(path, environ={})
    assert (info.value.key, info.value.file) == ("base_url", str(path))
    assert "hunter2-pass" not in str(info.value)
    assert "hunter2-pass" not in repr(info.value)
    assert "***@" in str(info.value)


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("https://graph.microsoft.com:0/v1.0", "port 0"),
        ("https://graph.microsoft.com:99999/v1.0", "Port out of range"),
        ("https://graph.microsoft.com:https/v1.0", "not a valid URL"),
        ("https://[graph.microsoft.com/v1.0", "Invalid IPv6 URL"),
    ],
)
def test_an_invalid_port_or_host_in_base_url_is_a_config_error(
    tmp_path: Path, write_system: WriteSystem, url: str, fragment: str
) -> None:
    path = write_system(tmp_path, "port", f"token: t\nbase_url: '{url}'\n")
    with pytest.raises(GraphConfigError) as info:
        load_system(path, environ={})
    assert (info.value.key, info.value.file) == ("base_url", str(path))
    assert fragment in str(info.value)


def test_a_valid_port_is_kept() -> None:
    system = load_system({"base_url": "https://graph.example:8443/v1.0", "token": "t"}, environ={})
    assert system.graph_origin == "https://graph.example:8443"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (
            "auth_type: azure\n"
            "credentials: {tenant_id: t, client_id: c, client_secret: 123456789012}",
            "credentials.client_secret",
        ),
        ("token: 123456789012", "token"),
        ("token: [123456789012]", "token"),
    ],
)
def test_a_config_error_never_echoes_a_secret_value(
    tmp_path: Path, write_system: WriteSystem, text: str, key: str
) -> None:
    path = write_system(tmp_path, "secret", text + "\n")
    with pytest.raises(GraphConfigError) as info:
        load_system(path, environ={})
    assert info.value.key == key
    assert "123456789012" not in str(info.value)
    assert "value not shown" in str(info.value)


# ---- 3. secrets masked by name: in DEBUG logs of request and response bodies ---------------

NEW_SECRET = "Qx9~newly-minted-client-secret.value_1"
CERT = "MIIDBTCCAe2gAwIBAgIQN33ROaIJ6bJBWDCxtmJEbjANBgkqhkiG9w0BAQsFADAt" * 3
SYNC_TOKEN = "sync-secret-token-value"


async def test_secrets_in_bodies_never_reach_a_log_record_at_debug(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    system = make_system(logging={"enabled": True, "format": "detailed"})
    stream = io.StringIO()
    configure_logging(system.logging, stream=stream)
    answers = {
        "addPassword": {"secretText": NEW_SECRET, "hint": "Qx9", "keyId": "k1"},
        "keys": {
            "keyCredentials": [{"key": CERT, "type": "AsymmetricX509Cert", "usage": "Verify"}]
        },
        "secrets": {
            "value": [
                {"key": "BaseAddress", "value": "https://scim.example"},
                {"key": "SecretToken", "value": SYNC_TOKEN},
            ]
        },
    }
    connector = GraphConnector(system, token_provider=FakeTokenProvider())
    try:
        with respx.mock(assert_all_called=True) as router:
            for name, answer in answers.items():
                router.post(f"{GRAPH}/applications/a1/{name}").respond(200, json=answer)
                await connector.perform_action(
                    None,
                    None,
                    None,
                    {"method": "POST", "endpoint": f"/applications/a1/{name}", "body": answer},
                )
    finally:
        await connector.close()
        configure_logging(LoggingSettings())
    texts = [record.getMessage() for record in caplog.records] + [stream.getvalue()]
    joined = "\n".join(texts)
    assert "addPassword" in joined and '"hint": "Qx9"' in joined  # the bodies were logged...
    assert "https://scim.example" in joined
    for secret in (NEW_SECRET, CERT[:40], SYNC_TOKEN):  # ...with the secrets masked
        assert secret not in joined
    assert '"secretText": "***"' in joined


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ('{"secretText": "S3cr3t~x"}', "S3cr3t~x"),
        ('{"passwordCredential": {"secretText": "S3cr3t~x", "hint": "S3c"}}', "S3cr3t~x"),
        ('{"passwordProfile": {"password": "S3cr3t~x", "forceChange": true}}', "S3cr3t~x"),
        ('{"newPassword": "S3cr3t~x", "currentPassword": "0ld~pw"}', "S3cr3t~x"),
        ('{"clientSecret": "S3cr3t~x"}', "S3cr3t~x"),
        ('{"privateKey": "S3cr3t~x"}', "S3cr3t~x"),
        ('{"sasToken": "S3cr3t~x"}', "S3cr3t~x"),
        (f'{{"keyCredentials": [{{"key": "{CERT}"}}]}}', CERT[:40]),
        ('[{"key": "ClientSecret", "value": "S3cr3t~x"}]', "S3cr3t~x"),
        ('{"fieldId": "param_password", "value": "S3cr3t~x", "type": "password"}', "S3cr3t~x"),
        ("client_secret=S3cr3t~x&grant_type=client_credentials", "S3cr3t~x"),
    ],
)
def test_secret_shapes_graph_uses_are_masked(text: str, secret: str) -> None:
    assert secret not in mask_text(text)


@pytest.mark.parametrize(
    "text",
    [
        '{"key": "department", "value": "Sales"}',
        '{"keyId": "f0b0b335-1d71-4883-8f98-567911bfdca6", "hint": "Qx9"}',
        '{"displayName": "Password reset", "passwordPolicies": "None"}',
        '{"@odata.nextLink": "https://graph.microsoft.com/v1.0/users?$skiptoken=abc"}',
    ],
)
def test_what_is_not_a_secret_stays_readable(text: str) -> None:
    assert mask_text(text) == text


# ---- 4. the msal cache file is private even when it was not ----------------------------------


async def test_a_world_readable_cache_is_made_0600_when_opened_without_a_write(
    aad: FakeIdentityPlatform, tmp_path: Path
) -> None:
    cache = tmp_path / "msal.json"
    system = azure(token_cache=str(cache))
    await make_token_provider(system).get_token()  # writes the token into the file
    cache.chmod(0o644)
    _cache._FILE_CACHES.clear()  # a new process: the token comes from the file, nothing written
    assert await make_token_provider(system).get_token() == "access-token-1"
    assert aad.token.call_count == 1
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600


def test_opening_a_precreated_0644_cache_makes_it_0600(tmp_path: Path) -> None:
    cache = tmp_path / "msal.json"
    cache.write_text("{}")
    cache.chmod(0o644)
    _cache.open_cache(str(cache))
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600


def test_the_cache_folder_we_create_is_0700_whatever_the_umask(tmp_path: Path) -> None:
    cache = msal.SerializableTokenCache()
    cache.has_state_changed = True
    old = os.umask(0)
    try:
        _cache.save_cache(cache, str(tmp_path / "made" / "by-us" / "msal.json"))
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "made" / "by-us").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "made" / "by-us" / "msal.json").stat().st_mode) == 0o600


def test_an_existing_cache_folder_keeps_its_mode(tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    cache = msal.SerializableTokenCache()
    cache.has_state_changed = True
    _cache.save_cache(cache, str(folder / "msal.json"))
    assert stat.S_IMODE(folder.stat().st_mode) == 0o755
    assert stat.S_IMODE((folder / "msal.json").stat().st_mode) == 0o600


def test_aliases_cannot_stack_nesting_past_the_bound(
    tmp_path: Path, write_system: WriteSystem
) -> None:
    deep = "[" * 60 + "x" + "]" * 60
    wrapped = "[" * 40 + "*a" + "]" * 40  # 60 + 40 + the document's 2 levels > 100
    text = f"token: t\nscopes:\n- &a {deep}\n- {wrapped}\n"
    error, _ = _refusal(write_system(tmp_path, "stacked", text))
    assert "line 4" in str(error)
    assert f"YAML nests deeper than {MAX_NESTING} levels" in str(error)
