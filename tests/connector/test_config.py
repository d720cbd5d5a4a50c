"""config.py: defaults, discovery order, ${VAR} interpolation and every validation error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from graph_magic.connector.config import (
    Credentials,
    LoggingSettings,
    RetrySettings,
    SystemConfig,
    Timeouts,
    find_systems,
    load_system,
)
from graph_magic.errors import GraphConfigError
from graph_magic.sandbox.options import SandboxOptions

AZURE = {
    "auth_type": "azure",
    "credentials": {"tenant_id": "t", "client_id": "c", "client_secret": "s3cr3t-value"},
}


def test_defaults_for_a_bearer_system() -> None:
    system = load_system({"token": "tok"}, environ={})
    assert system.base_url == "https://graph.microsoft.com/v1.0"
    assert system.auth_type == "bearer"
    assert system.token == "tok"
    assert system.credentials == Credentials()
    assert system.credentials.resource == "https://graph.microsoft.com"
    assert system.credentials.authority == "https://login.microsoftonline.com"
    assert system.scopes == ("https://graph.microsoft.com/.default",)
    assert system.token_cache == str(Path("~/.cache/graph-magic/msal.json").expanduser())
    assert system.default_content_type == "application/json"
    assert system.max_concurrent_requests == 4
    assert system.rate_limit_key == "https://graph.microsoft.com/v1.0"
    assert system.timeouts == Timeouts(5.0, 5.0, 5.0, 5.0)
    assert system.retry == RetrySettings()
    assert system.retry.max_attempts == 4
    assert system.retry.retry_on_status == (408, 429, 500, 502, 503, 504)
    assert system.retry.retry_after_header_names == (
        "retry-after",
        "x-ms-retry-after-ms",
        "retry-after-ms",
    )
    assert system.retry.max_total_seconds == 300.0
    assert system.logging == LoggingSettings(enabled=False)
    assert system.auto_paginate is True
    assert system.advanced_query == "auto"
    assert system.transport == "http"
    assert system.sandbox is None
    assert system.graph_origin == "https://graph.microsoft.com"
    assert system.version == "v1.0"


def test_values_are_normalised_once() -> None:
    system = load_system(
        {
            "base_url": "https://graph.microsoft.com/beta/",
            "token": "t",
            "scopes": "User.Read Mail.Read",
            "token_cache": False,
            "timeouts": 30,
            "logging": True,
            "retry": {"retry_after_header_names": ["Retry-After"], "retry_on_status": [429]},
            "credentials": {"resource": "https://graph.microsoft.us/"},
        },
        environ={},
    )
    assert system.base_url == "https://graph.microsoft.com/beta"
    assert system.version == "beta"
    assert system.scopes == ("User.Read", "Mail.Read")
    assert system.token_cache is None
    assert system.timeouts == Timeouts(30.0, 30.0, 30.0, 30.0)
    assert system.logging.enabled is True
    assert system.retry.retry_after_header_names == ("retry-after",)
    assert system.retry.retry_on_status == (429,)
    assert system.credentials.resource == "https://graph.microsoft.us"
    with pytest.raises(AttributeError):
        system.base_url = "x"  # type: ignore[misc]


def test_scopes_default_follows_the_resource() -> None:
    system = load_system(
        {
            **AZURE,
            "credentials": {**AZURE["credentials"], "resource": "https://graph.microsoft.us"},
        },
        environ={},
    )
    assert system.scopes == ("https://graph.microsoft.us/.default",)


def test_loopback_http_base_url_and_its_origin() -> None:
    system = load_system({"base_url": "http://127.0.0.1:8765/v1.0", "token": "t"}, environ={})
    assert system.graph_origin == "http://127.0.0.1:8765"
    assert system.rate_limit_key == "http://127.0.0.1:8765/v1.0"


def test_token_cache_path_is_expanded(isolated: Path) -> None:
    system = load_system({"token": "t", "token_cache": "~/c/msal.json"}, environ={})
    assert system.token_cache == str(isolated / "home" / "c" / "msal.json")


def test_bearer_token_from_graph_token_at_load_time() -> None:
    system = load_system({}, environ={"GRAPH_TOKEN": "from-env"})
    assert system.token == "from-env"


def test_secrets_stay_out_of_the_repr() -> None:
    system = load_system({**AZURE, "token": "tok-123456"}, environ={})
    assert "s3cr3t-value" not in repr(system)
    assert "tok-123456" not in repr(system)


def test_a_system_config_is_returned_as_is() -> None:
    system = SystemConfig(token="t")
    assert load_system(system) is system


# --------------------------------------------------------------------------- interpolation


def test_env_interpolation_in_nested_values(tmp_path: Path, write_system: Any) -> None:
    path = write_system(
        tmp_path,
        "app",
        "auth_type: azure\n"
        "base_url: https://${HOST}/v1.0\n"
        "credentials:\n"
        "  tenant_id: ${TENANT}\n"
        "  client_id: ${CLIENT}\n"
        "  client_secret: ${SECRET}\n",
    )
    env = {"HOST": "graph.microsoft.com", "TENANT": "t1", "CLIENT": "c1", "SECRET": "s1"}
    system = load_system(path, environ=env)
    assert system.name == "app"
    assert system.source == str(path)
    assert system.base_url == "https://graph.microsoft.com/v1.0"
    assert system.credentials == Credentials(client_id="c1", client_secret="s1", tenant_id="t1")


def test_missing_env_variable_names_variable_key_and_file(
    tmp_path: Path, write_system: Any
) -> None:
    path = write_system(
        tmp_path,
        "app",
        "auth_type: azure\ncredentials:\n  tenant_id: t\n  client_id: c\n"
        "  client_secret: ${GRAPH_CLIENT_SECRET}\n",
    )
    with pytest.raises(GraphConfigError) as info:
        load_system(path, environ={})
    assert info.value.key == "credentials.client_secret"
    assert info.value.file == str(path)
    assert "GRAPH_CLIENT_SECRET" in str(info.value)


def test_shipped_graph_system_reads_the_documented_variables(isolated: Path) -> None:
    env = {"GRAPH_TENANT_ID": "t", "GRAPH_CLIENT_ID": "c", "GRAPH_CLIENT_SECRET": "s"}
    system = load_system("graph", environ=env)
    assert system.auth_type == "azure"
    assert system.credentials.client_id == "c"
    with pytest.raises(GraphConfigError, match="GRAPH_TENANT_ID"):
        load_system("graph", environ={})


# --------------------------------------------------------------------------- discovery


def test_discovery_order(
    isolated: Path, monkeypatch: pytest.MonkeyPatch, write_system: Any
) -> None:
    env_dir = isolated / "env-systems"
    cwd_dir = isolated / "work" / "systems"
    home_dir = isolated / "home" / ".config" / "graph-magic" / "systems"
    write_system(env_dir, "one", "token: from-env-dir\n")
    write_system(cwd_dir, "one", "token: from-cwd\n")
    write_system(cwd_dir, "two", "token: from-cwd\n")
    write_system(home_dir, "two", "token: from-home\n")
    write_system(home_dir, "three", "token: from-home\n")
    write_system(home_dir, "sandbox", "token: shadowing-the-package\n")
    environ = {"GRAPH_MAGIC_SYSTEMS": str(env_dir)}

    found = find_systems(environ)
    assert found["one"] == env_dir / "one.yaml"
    assert found["two"] == cwd_dir / "two.yaml"
    assert found["three"] == home_dir / "three.yaml"
    assert found["sandbox"] == home_dir / "sandbox.yaml"
    package_dir = Path(__file__).resolve().parents[2] / "graph_magic" / "systems"
    assert found["graph-beta"] == package_dir / "graph-beta.yaml"

    assert load_system("one", environ=environ).token == "from-env-dir"
    assert load_system("two", environ=environ).token == "from-cwd"
    assert load_system("three", environ=environ).token == "from-home"
    monkeypatch.setenv("GRAPH_MAGIC_SYSTEMS", str(env_dir))
    assert load_system("one").token == "from-env-dir"


def test_package_systems_are_found_last(isolated: Path) -> None:
    found = find_systems({})
    assert {"graph", "graph-beta", "device-code", "sandbox", "sandbox-limited"} <= set(found)
    assert all(
        p.parent.name == "systems" and p.parent.parent.name == "graph_magic" for p in found.values()
    )
    sandbox = load_system("sandbox", environ={})
    assert sandbox.transport == "sandbox"
    assert sandbox.token_cache is None
    assert sandbox.sandbox == SandboxOptions(seed=42)


def test_unknown_system_lists_the_known_ones(isolated: Path) -> None:
    with pytest.raises(GraphConfigError, match=r"unknown system 'nope'.*sandbox"):
        load_system("nope", environ={})


def test_missing_file_path(tmp_path: Path) -> None:
    with pytest.raises(GraphConfigError) as info:
        load_system(tmp_path / "absent.yaml", environ={})
    assert info.value.file == str(tmp_path / "absent.yaml")


# --------------------------------------------------------------------------- validation errors


@pytest.mark.parametrize(
    ("text", "key", "fragment"),
    [
        ("token: t\nbase_urll: x\n", "base_urll", "unknown key"),
        ("token: t\nretry:\n  max_atempts: 3\n", "retry.max_atempts", "unknown key"),
        ("token: t\nlogging:\n  formatt: basic\n", "logging.formatt", "unknown key"),
        ("token: t\ntimeouts:\n  connnect: 1\n", "timeouts.connnect", "unknown key"),
        ("token: t\ncredentials:\n  secret: x\n", "credentials.secret", "unknown key"),
        ("token: t\nmax_concurrent_requests: four\n", "max_concurrent_requests", "integer"),
        ("token: t\nmax_concurrent_requests: 0\n", "max_concurrent_requests", "at least 1"),
        ("token: t\nmax_concurrent_requests: true\n", "max_concurrent_requests", "integer"),
        ("token: t\nauto_paginate: 'yes'\n", "auto_paginate", "true or false"),
        ("token: t\nretry:\n  backoff_base: fast\n", "retry.backoff_base", "number"),
        ("token: t\nretry:\n  max_attempts: 0\n", "retry.max_attempts", "at least 1"),
        ("token: t\nretry:\n  retry_on_status: [429, 'x']\n", "retry.retry_on_status", "status"),
        ("token: t\ntimeouts:\n  read: -1\n", "timeouts.read", "negative"),
        ("token: t\nscopes: 5\n", "scopes", "list of strings"),
        ("token: t\ncredentials: [a]\n", "credentials", "mapping"),
        ("token: t\nauth_type: password\n", "auth_type", "bearer, azure, device_code"),
        ("token: t\nadvanced_query: sometimes\n", "advanced_query", "auto, always, never"),
        ("token: t\ntransport: smtp\n", "transport", "http, sandbox"),
        ("token: t\nlogging:\n  format: fancy\n", "logging.format", "basic, detailed"),
        ("token: t\nlogging:\n  enabled: 1\n", "logging.enabled", "true or false"),
        ("token: t\nbase_url: http://graph.microsoft.com/v1.0\n", "base_url", "https"),
        ("token: t\nbase_url: graph.microsoft.com/v1.0\n", "base_url", "absolute URL"),
        ("token: t\ntoken_cache: 3\n", "token_cache", "string"),
        ("token: t\nsandbox:\n  sed: 1\n", "sandbox.sed", "unknown sandbox option"),
        ("token: t\nsandbox:\n  faults:\n    rate_430: 1\n", "sandbox.faults.rate_430", "fault"),
        ("token: t\nsandbox: 7\n", "sandbox", "mapping"),
        ("auth_type: bearer\n", "token", "GRAPH_TOKEN"),
        (
            "auth_type: azure\ncredentials:\n  client_id: c\n  client_secret: s\n",
            "credentials.tenant_id",
            "tenant_id",
        ),
        (
            "auth_type: azure\ncredentials:\n  tenant_id: t\n  client_secret: s\n",
            "credentials.client_id",
            "client_id",
        ),
        (
            "auth_type: azure\ncredentials:\n  tenant_id: t\n  client_id: c\n",
            "credentials.client_secret",
            "certificate_path",
        ),
        (
            "auth_type: azure\ncredentials:\n  tenant_id: t\n  client_id: c\n"
            "  certificate_path: /nonexistent/cert.pem\n",
            "credentials.certificate_path",
            "not found",
        ),
        (
            "auth_type: device_code\ncredentials:\n  client_id: c\n",
            "credentials.tenant_id",
            "tenant_id",
        ),
        (
            "auth_type: device_code\ncredentials:\n  tenant_id: t\n",
            "credentials.client_id",
            "client_id",
        ),
        ("auth_type: credential\n", "credential", "get_token"),
        ("auth_type: credential\ncredential: DefaultAzureCredential\n", "credential", "get_token"),
    ],
)
def test_invalid_config_names_key_and_file(
    tmp_path: Path, text: str, key: str, fragment: str, write_system: Any
) -> None:
    path = write_system(tmp_path, "bad", text)
    with pytest.raises(GraphConfigError) as info:
        load_system(path, environ={})
    assert info.value.key == key
    assert info.value.file == str(path)
    assert fragment in str(info.value)
    assert str(path) in str(info.value)


def test_structure_errors_come_before_credential_errors(tmp_path: Path, write_system: Any) -> None:
    path = write_system(tmp_path, "bad", "auth_type: azure\nretry:\n  max_atempts: 3\n")
    with pytest.raises(GraphConfigError) as info:
        load_system(path, environ={})
    assert info.value.key == "retry.max_atempts"
    assert "did you mean 'max_attempts'?" in str(info.value)


def test_yaml_syntax_error_names_file_and_line(tmp_path: Path, write_system: Any) -> None:
    path = write_system(tmp_path, "broken", "token: t\nretry:\n  max_attempts: [1, 2\n")
    with pytest.raises(GraphConfigError) as info:
        load_system(path, environ={})
    assert info.value.file == str(path)
    assert "invalid YAML at line" in str(info.value)


def test_yaml_tags_are_not_executed(tmp_path: Path, write_system: Any) -> None:
    path = write_system(tmp_path, "evil", "token: !!python/object/apply:os.getcwd []\n")
    with pytest.raises(GraphConfigError, match="invalid YAML"):
        load_system(path, environ={})


def test_top_level_must_be_a_mapping(tmp_path: Path, write_system: Any) -> None:
    path = write_system(tmp_path, "list", "- a\n- b\n")
    with pytest.raises(GraphConfigError, match="mapping") as info:
        load_system(path, environ={})
    assert info.value.file == str(path)


def test_empty_file_is_all_defaults(tmp_path: Path, write_system: Any) -> None:
    path = write_system(tmp_path, "empty", "")
    assert load_system(path, environ={"GRAPH_TOKEN": "x"}).base_url.endswith("/v1.0")


def test_dict_errors_name_the_dict() -> None:
    with pytest.raises(GraphConfigError) as info:
        load_system({"token": "t", "retry": {"jitterr": 1}}, environ={})
    assert info.value.key == "retry.jitterr"
    assert info.value.file == "<dict>"


def test_credential_object_in_a_dict() -> None:
    class Cred:
        def get_token(self, *scopes: str) -> None:
            return None

    cred = Cred()
    system = load_system({"auth_type": "credential", "credential": cred, "name": "mine"})
    assert system.credential is cred
    assert system.name == "mine"


def test_certificate_path_is_expanded(isolated: Path) -> None:
    cert = isolated / "home" / "app.pem"
    cert.write_text("x")
    system = load_system(
        {
            "auth_type": "azure",
            "credentials": {"tenant_id": "t", "client_id": "c", "certificate_path": "~/app.pem"},
        },
        environ={},
    )
    assert system.credentials.certificate_path == str(cert)
