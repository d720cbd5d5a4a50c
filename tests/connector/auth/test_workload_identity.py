"""``auth_type: workload_identity``: the platform's token file as the client assertion."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import pytest

from graph_magic import GraphConnector, load_system
from graph_magic.connector.auth import make_token_provider
from graph_magic.connector.auth._base import _jwt_claims
from graph_magic.errors import GraphAuthError, GraphConfigError
from graph_magic.sandbox.entra.federation import WorkloadIssuer
from tests.support.fakes import Clock

ENV = {"AZURE_CLIENT_ID": "sandbox-workload", "AZURE_TENANT_ID": "contoso.onmicrosoft.com"}


def _issuer() -> WorkloadIssuer:
    """The sandbox platform's issuer for seed 42, on the machine's clock (as the sandbox's)."""
    return WorkloadIssuer(42, time.time)


def _system(token_file: Path, **keys: Any) -> Any:
    env = {**ENV, "AZURE_FEDERATED_TOKEN_FILE": str(token_file)}
    data = {"auth_type": "workload_identity", "transport": "sandbox", "token_cache": False}
    return load_system({**data, **keys}, environ=env)


async def test_the_workload_signs_in_as_its_app_and_reads_graph(tmp_path: Path) -> None:
    token_file = tmp_path / "azure-identity-token"
    token_file.write_text(_issuer().issue())
    system = _system(token_file)
    assert system.credentials.client_id == "sandbox-workload"
    assert system.credentials.federated_token_file == str(token_file)
    async with GraphConnector(system) as graph:
        out = await graph.perform_action(
            "groups", "list", {}, {"method": "GET", "endpoint": "/groups", "params": {}}
        )
        described = graph.token_provider.describe()
    assert out["response"]["status_code"] == 200 and len(out["response"]["data"]["value"]) == 40
    assert described["credential"] == "workload identity (federated)"
    assert described["app"] == "sandbox-workload"


async def test_the_file_is_read_again_for_each_sign_in(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(_issuer().issue())
    provider = make_token_provider(_system(token_file))
    first = await provider.get_token()
    token_file.write_text("rotated-by-the-platform-but-not-a-jwt")
    with pytest.raises(GraphAuthError, match="AADSTS50027"):
        await provider.get_token(force_refresh=True)
    token_file.write_text(_issuer().issue(lifetime=7200))
    assert _jwt_claims(await provider.get_token(force_refresh=True))["appid"] == "sandbox-workload"
    assert first


@pytest.mark.parametrize(
    ("assertion", "code", "text"),
    [
        (dict(lifetime=-10), "AADSTS700024", "not within its valid time range"),
        (dict(subject="system:serviceaccount:other:app"), "AADSTS70021", "No matching federated"),
        (dict(issuer="https://token.actions.example"), "AADSTS700211", "assertion issuer"),
        (dict(audience="api://other"), "AADSTS700212", "assertion audience"),
    ],
)
async def test_an_assertion_entra_would_refuse_is_a_clear_error(
    tmp_path: Path, assertion: dict[str, Any], code: str, text: str
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(_issuer().issue(**assertion))
    with pytest.raises(GraphAuthError) as info:
        await make_token_provider(_system(token_file)).get_token()
    assert code in str(info.value) and text in str(info.value)


async def test_a_forged_assertion_is_refused(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(WorkloadIssuer(7, Clock(_issuer().clock())).issue())  # another key
    with pytest.raises(GraphAuthError, match="AADSTS700027"):
        await make_token_provider(_system(token_file)).get_token()


def test_a_missing_token_file_fails_at_load_naming_the_key_and_variable(tmp_path: Path) -> None:
    with pytest.raises(GraphConfigError) as info:
        _system(tmp_path / "absent")
    assert info.value.key == "credentials.federated_token_file"
    with pytest.raises(GraphConfigError) as info:
        load_system({"auth_type": "workload_identity"}, environ={})
    assert info.value.key == "credentials.tenant_id"
    assert "$AZURE_TENANT_ID" in str(info.value)


async def test_a_token_file_gone_after_loading_says_so(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(_issuer().issue())
    system = _system(token_file)
    token_file.unlink()
    with pytest.raises(GraphAuthError, match="cannot read the federated token file"):
        await make_token_provider(system).get_token()


async def test_the_assertion_never_reaches_a_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    assertion = _issuer().issue()
    token_file = tmp_path / "token"
    token_file.write_text(assertion)
    system = _system(token_file, logging={"enabled": True, "auth": True, "format": "detailed"})
    caplog.set_level(logging.DEBUG)
    provider = make_token_provider(system)
    token = await provider.get_token()
    shown = caplog.text + repr(provider) + str(provider.describe())
    assert assertion not in shown and token not in shown
