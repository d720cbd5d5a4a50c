"""Client credentials over msal against a fake identity platform: what is sent, refresh, secrets."""

from __future__ import annotations

import asyncio
import base64
import datetime
import hashlib
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from graph_magic.connector.auth import (
    ClientCredentialsProvider,
    TokenProvider,
    _http,
    make_token_provider,
)
from graph_magic.errors import GraphAuthError
from tests.connector.auth.auth_kit import SECRET, TENANT, Clock, azure
from tests.connector.auth.identity_platform import FakeIdentityPlatform


async def test_client_secret_flow_sends_the_documented_form(aad: FakeIdentityPlatform) -> None:
    provider = make_token_provider(azure())
    assert isinstance(provider, ClientCredentialsProvider)
    assert isinstance(provider, TokenProvider)

    assert await provider.get_token() == "access-token-1"

    (call,) = aad.token.calls
    assert str(call.request.url) == f"https://login.microsoftonline.com/{TENANT}/oauth2/v2.0/token"
    form = aad.form(call.request)
    assert form["grant_type"] == "client_credentials"
    assert form["client_id"] == "app-id"
    assert form["client_secret"] == SECRET
    assert form["scope"] == "https://graph.microsoft.com/.default"


async def test_sovereign_cloud_authority_and_resource(aad: FakeIdentityPlatform) -> None:
    # Only login.microsoftonline.com is faked: use it as the "sovereign" authority host path
    # while changing the resource, and check both reach the wire.
    system = azure(
        credentials={
            "tenant_id": "gov-tenant",
            "client_id": "app-id",
            "client_secret": SECRET,
            "resource": "https://graph.microsoft.us",
        }
    )
    await make_token_provider(system).get_token()
    (call,) = aad.token.calls
    assert call.request.url.path == "/gov-tenant/oauth2/v2.0/token"
    assert aad.form(call.request)["scope"] == "https://graph.microsoft.us/.default"


async def test_token_is_reused_until_five_minutes_before_expiry(
    aad: FakeIdentityPlatform,
) -> None:
    clock = Clock()
    provider = make_token_provider(azure(), clock=clock)
    assert await provider.get_token() == "access-token-1"

    clock.now += 3600 - 301  # 5 min 1 s left: still good
    assert await provider.get_token() == "access-token-1"
    assert aad.token.call_count == 1

    clock.now += 2  # 4 min 59 s left: refreshed before use
    assert await provider.get_token() == "access-token-2"
    assert aad.token.call_count == 2
    assert provider.describe()["expires_on"] == int(clock.now + 3600)


async def test_force_refresh_gets_a_new_token(aad: FakeIdentityPlatform) -> None:
    provider = make_token_provider(azure())
    assert await provider.get_token() == "access-token-1"
    assert await provider.get_token(force_refresh=True) == "access-token-2"
    assert [f["grant_type"] for f in aad.forms()] == ["client_credentials"] * 2


async def test_concurrent_callers_share_one_refresh(aad: FakeIdentityPlatform) -> None:
    provider = make_token_provider(azure())
    tokens = await asyncio.gather(*(provider.get_token() for _ in range(10)))
    assert set(tokens) == {"access-token-1"}
    assert aad.token.call_count == 1

    # Ten requests answered 401 at once: one forced refresh serves them all.
    tokens = await asyncio.gather(*(provider.get_token(force_refresh=True) for _ in range(10)))
    assert set(tokens) == {"access-token-2"}
    assert aad.token.call_count == 2


async def test_msal_runs_off_the_event_loop(
    aad: FakeIdentityPlatform, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    seen: list[str] = []
    original = _http._HttpxForMsal.post

    def spy(self: Any, *args: Any, **kwargs: Any) -> httpx.Response:
        seen.append(threading.current_thread().name)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(_http._HttpxForMsal, "post", spy)
    await make_token_provider(azure()).get_token()
    assert seen
    assert threading.current_thread().name not in seen


def _certificate(path: Path) -> bytes:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "graph-magic-test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    der = cert.public_bytes(serialization.Encoding.DER)
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
        + cert.public_bytes(serialization.Encoding.PEM)
    )
    return hashlib.sha1(der).digest()


def _jwt_header(token: str) -> dict[str, Any]:
    head = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))


async def test_certificate_flow_signs_a_client_assertion(
    aad: FakeIdentityPlatform, tmp_path: Path
) -> None:
    pem = tmp_path / "app.pem"
    sha1 = _certificate(pem)
    system = azure(
        credentials={"tenant_id": TENANT, "client_id": "app-id", "certificate_path": str(pem)}
    )
    assert await make_token_provider(system).get_token() == "access-token-1"

    form = aad.forms()[0]
    assert "client_secret" not in form
    assert form["client_assertion_type"] == (
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    )
    header = _jwt_header(form["client_assertion"])
    assert header["alg"] == "RS256"
    assert base64.urlsafe_b64decode(header["x5t"] + "=" * (-len(header["x5t"]) % 4)) == sha1


async def test_unreadable_certificate_is_an_auth_error(
    aad: FakeIdentityPlatform, tmp_path: Path
) -> None:
    pem = tmp_path / "app.pem"
    pem.write_text("not a pem")
    system = azure(
        credentials={"tenant_id": TENANT, "client_id": "app-id", "certificate_path": str(pem)}
    )
    with pytest.raises(GraphAuthError, match="certificate file"):
        await make_token_provider(system).get_token()


async def test_identity_platform_error_keeps_aadsts_and_masks_the_secret(
    aad: FakeIdentityPlatform,
) -> None:
    aad.token_errors.append(
        {
            "error": "invalid_client",
            "error_description": "AADSTS7000215: Invalid client secret provided. Ensure the "
            f"secret being sent in the request is the client secret value ({SECRET}).\r\n"
            "Trace ID: 0000\r\nCorrelation ID: 1111",
            "error_codes": [7000215],
            "correlation_id": "1111",
        }
    )
    provider = make_token_provider(azure())
    with pytest.raises(GraphAuthError) as info:
        await provider.get_token()
    error = info.value
    assert "AADSTS7000215: Invalid client secret provided" in str(error)
    assert error.detail["error"] == "invalid_client"
    assert error.detail["error_codes"] == [7000215]
    assert SECRET not in str(error)
    assert SECRET not in repr(error.detail)


async def test_transport_failure_is_an_auth_error(aad: FakeIdentityPlatform) -> None:
    aad.token.side_effect = httpx.ConnectError("connection refused")
    with pytest.raises(GraphAuthError, match="ConnectError"):
        await make_token_provider(azure()).get_token()


async def test_describe_and_repr_never_show_the_token_or_secret(
    aad: FakeIdentityPlatform,
) -> None:
    provider = make_token_provider(azure())
    token = await provider.get_token()
    info = provider.describe()
    assert info["auth_type"] == "azure"
    assert info["app"] == "app-id"
    assert info["tenant"] == TENANT
    assert info["signed_in"] is True
    assert isinstance(info["expires_on"], int)
    for text in (repr(info), repr(provider), repr(provider.system)):
        assert token not in text
        assert SECRET not in text
