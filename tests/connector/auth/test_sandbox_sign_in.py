"""Signing in against the in-process sandbox through the connector's sandbox seam."""

from __future__ import annotations

import asyncio
import os
import sys
import types
from pathlib import Path
from typing import Any

import httpx
import pytest

from graph_magic.connector.auth import (
    _http,
    make_token_provider,
)
from graph_magic.connector.config import load_system
from tests.connector.auth.auth_kit import TENANT, azure
from tests.connector.auth.identity_platform import FakeIdentityPlatform


async def test_sandbox_transport_hands_msal_the_sandbox_client(
    aad: FakeIdentityPlatform, monkeypatch: pytest.MonkeyPatch
) -> None:
    received: list[Any] = []

    def msal_http_client(options: Any) -> Any:
        received.append(options)
        return _http._HttpxForMsal(httpx.Client())  # answered by the respx routes

    fake = types.ModuleType("graph_magic.sandbox.inprocess")
    fake.msal_http_client = msal_http_client  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "graph_magic.sandbox.inprocess", fake)
    system = azure(transport="sandbox", sandbox={"seed": 7, "users": 10})

    assert await make_token_provider(system).get_token() == "access-token-1"
    (options,) = received
    assert (options.seed, options.users) == (7, 10)
    assert aad.mock["instance"].call_count == 0  # instance discovery off for the sandbox


async def test_sandbox_system_gets_a_real_token_in_process(isolated: Path) -> None:
    pytest.importorskip("graph_magic.sandbox.inprocess")
    provider = make_token_provider(load_system("sandbox", environ={}))
    token = await provider.get_token()
    assert token
    assert provider.describe()["app"] == "sandbox-app"
    assert list(Path.cwd().iterdir()) == []
    assert os.environ.get("GRAPH_TOKEN") is None


async def test_device_code_against_the_sandbox(isolated: Path) -> None:
    inprocess = pytest.importorskip("graph_magic.sandbox.inprocess")
    from graph_magic.sandbox import Tenant
    from graph_magic.sandbox.options import SandboxOptions

    options = {"users": 5, "groups": 1, "devices": 1, "sign_ins": 1, "directory_audits": 1}
    upn = Tenant(SandboxOptions.from_dict(options)).users[0]["userPrincipalName"]
    system = load_system(
        {
            "auth_type": "device_code",
            "transport": "sandbox",
            "token_cache": False,
            "sandbox": options,
            "scopes": ["User.Read"],
            "credentials": {"tenant_id": TENANT, "client_id": "sandbox-public"},
        },
        environ={},
    )
    provider = make_token_provider(system)
    prompt = await asyncio.to_thread(provider.start)  # type: ignore[attr-defined]
    inprocess.approve_device_code(SandboxOptions.from_dict(options), prompt.user_code, upn)
    token = await provider.complete()  # type: ignore[attr-defined]
    assert token
    assert provider.describe()["account"].lower() == upn.lower()
    assert await provider.get_token(force_refresh=True) != token  # the refresh-token grant
