"""auth.py: msal against a respx-faked identity platform; what is sent, refresh, cache, secrets."""

from __future__ import annotations

import asyncio
import base64
import datetime
import hashlib
import json
import os
import stat
import sys
import types
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import pytest

from graph_magic.connector import auth
from graph_magic.connector.auth import (
    BearerTokenProvider,
    ClientCredentialsProvider,
    CredentialProvider,
    DeviceCodePrompt,
    DeviceCodeProvider,
    TokenProvider,
    make_token_provider,
)
from graph_magic.connector.config import SystemConfig, load_system
from graph_magic.errors import GraphAuthError
from tests.foundation.foundation_kit import FakeIdentityPlatform, make_jwt

SECRET = "s3cr3t-Value~1234"
TENANT = "contoso.onmicrosoft.com"


class Clock:
    """An injectable clock that starts now and moves only when told."""

    def __init__(self) -> None:
        import time

        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def azure(**overrides: Any) -> SystemConfig:
    data: dict[str, Any] = {
        "auth_type": "azure",
        "token_cache": False,
        "credentials": {"tenant_id": TENANT, "client_id": "app-id", "client_secret": SECRET},
    }
    data.update(overrides)
    return load_system(data, environ={})


def device(**overrides: Any) -> SystemConfig:
    data: dict[str, Any] = {
        "auth_type": "device_code",
        "token_cache": False,
        "credentials": {"tenant_id": TENANT, "client_id": "public-app"},
        "scopes": ["User.Read", "Group.Read.All"],
    }
    data.update(overrides)
    return load_system(data, environ={})


# --------------------------------------------------------------------------- client credentials


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
    original = auth._HttpxForMsal.post

    def spy(self: Any, *args: Any, **kwargs: Any) -> httpx.Response:
        seen.append(threading.current_thread().name)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(auth._HttpxForMsal, "post", spy)
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
    now = datetime.datetime.now(datetime.timezone.utc)
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


# --------------------------------------------------------------------------- token cache file


async def test_cache_file_is_private_and_reused(aad: FakeIdentityPlatform, tmp_path: Path) -> None:
    cache = tmp_path / "cache-dir" / "msal.json"
    system = azure(token_cache=str(cache))
    assert await make_token_provider(system).get_token() == "access-token-1"

    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    assert stat.S_IMODE(cache.parent.stat().st_mode) == 0o700
    assert "access-token-1" in cache.read_text()  # msal's format, persisted

    auth._FILE_CACHES.clear()  # a new process: the token comes from the file
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


# --------------------------------------------------------------------------- device code


async def test_device_code_prompt_is_returned_not_printed(
    aad: FakeIdentityPlatform, capsys: pytest.CaptureFixture[str]
) -> None:
    provider = make_token_provider(device())
    assert isinstance(provider, DeviceCodeProvider)

    prompt = provider.start()

    assert prompt == DeviceCodePrompt(
        verification_uri="https://microsoft.com/devicelogin",
        user_code="ABCD-EFGH",
        message=prompt.message,
        expires_in=900,
    )
    assert "ABCD-EFGH" in prompt.message
    assert "ABCD-EFGH" in prompt._repr_html_()
    assert capsys.readouterr() == ("", "")
    form = aad.form(aad.devicecode.calls[0].request)
    assert form["client_id"] == "public-app"
    assert {"User.Read", "Group.Read.All"} <= set(form["scope"].split())

    assert await provider.complete() == "access-token-1"
    token_form = aad.forms()[0]
    assert token_form["grant_type"] == "urn:ietf:params:oauth:grant-type:device_code"
    assert token_form["device_code"] == "device-code-secret-123"
    info = provider.describe()
    assert info["account"] == "adele@contoso.com"
    assert info["auth_type"] == "device_code"
    assert capsys.readouterr() == ("", "")


async def test_device_code_start_async(aad: FakeIdentityPlatform) -> None:
    provider = make_token_provider(device())
    prompt = await provider.start_async()  # type: ignore[attr-defined]
    assert prompt.user_code == "ABCD-EFGH"


async def test_device_code_refreshes_silently_with_the_refresh_token(
    aad: FakeIdentityPlatform,
) -> None:
    clock = Clock()
    provider = make_token_provider(device(), clock=clock)
    provider.start()  # type: ignore[attr-defined]
    await provider.complete()  # type: ignore[attr-defined]
    assert await provider.get_token() == "access-token-1"

    clock.now += 3600 - 200
    assert await provider.get_token() == "access-token-2"
    refresh = aad.forms()[-1]
    assert refresh["grant_type"] == "refresh_token"
    assert refresh["refresh_token"] == "refresh-token-1"


async def test_device_code_without_sign_in_says_how(aad: FakeIdentityPlatform) -> None:
    provider = make_token_provider(device())
    with pytest.raises(GraphAuthError, match="--device-code"):
        await provider.get_token()
    with pytest.raises(GraphAuthError, match="start"):
        await provider.complete()  # type: ignore[attr-defined]


async def test_device_code_sign_in_is_remembered_in_the_cache_file(
    aad: FakeIdentityPlatform, tmp_path: Path
) -> None:
    system = device(token_cache=str(tmp_path / "msal.json"))
    first = make_token_provider(system)
    first.start()  # type: ignore[attr-defined]
    await first.complete()  # type: ignore[attr-defined]

    auth._FILE_CACHES.clear()  # next session
    second = make_token_provider(system)
    assert await second.get_token() == "access-token-1"  # from the persisted cache
    assert second.describe()["account"] == "adele@contoso.com"


# --------------------------------------------------------------------------- bearer


async def test_bearer_static_token_and_describe() -> None:
    token = make_jwt({"upn": "adele@contoso.com", "tid": "t", "exp": 2_000_000_000})
    provider = make_token_provider(load_system({"token": token}, environ={}))
    assert isinstance(provider, BearerTokenProvider)
    assert await provider.get_token() == token
    info = provider.describe()
    assert info == {
        "system": "custom",
        "auth_type": "bearer",
        "signed_in": True,
        "expires_on": 2_000_000_000,
        "account": "adele@contoso.com",
        "app": None,
        "tenant": "t",
    }
    assert token not in repr(info) + repr(provider)


async def test_bearer_force_refresh_rereads_graph_token(monkeypatch: pytest.MonkeyPatch) -> None:
    system = load_system({}, environ={"GRAPH_TOKEN": "old-token"})
    provider = make_token_provider(system)
    assert await provider.get_token() == "old-token"
    monkeypatch.setenv("GRAPH_TOKEN", "new-token")
    assert await provider.get_token() == "old-token"
    assert await provider.get_token(force_refresh=True) == "new-token"


# --------------------------------------------------------------------------- azure-core credential


class AccessToken(NamedTuple):
    token: str
    expires_on: int


class SyncCredential:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.calls: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str) -> AccessToken:
        self.calls.append(scopes)
        return AccessToken(f"cred-token-{len(self.calls)}", int(self.clock.now) + 3600)


class AsyncCredential(SyncCredential):
    async def get_token(self, *scopes: str) -> AccessToken:  # type: ignore[override]
        return SyncCredential.get_token(self, *scopes)


@pytest.mark.parametrize("kind", [SyncCredential, AsyncCredential])
async def test_credential_provider(kind: type[SyncCredential]) -> None:
    clock = Clock()
    credential = kind(clock)
    system = load_system({"auth_type": "credential", "credential": credential})
    provider = make_token_provider(system, clock=clock)
    assert isinstance(provider, CredentialProvider)

    assert await provider.get_token() == "cred-token-1"
    assert credential.calls == [("https://graph.microsoft.com/.default",)]
    assert await provider.get_token() == "cred-token-1"
    clock.now += 3600 - 100
    assert await provider.get_token() == "cred-token-2"
    assert provider.describe()["credential"] == kind.__name__
    assert "cred-token" not in repr(provider.describe())


async def test_credential_failure_is_an_auth_error() -> None:
    class Broken:
        def get_token(self, *scopes: str) -> AccessToken:
            raise RuntimeError("no az login")

    provider = make_token_provider(load_system({"auth_type": "credential", "credential": Broken()}))
    with pytest.raises(GraphAuthError, match=r"Broken.get_token failed.*no az login"):
        await provider.get_token()


# --------------------------------------------------------------------------- sandbox transport


async def test_sandbox_transport_hands_msal_the_sandbox_client(
    aad: FakeIdentityPlatform, monkeypatch: pytest.MonkeyPatch
) -> None:
    received: list[Any] = []

    def msal_http_client(options: Any) -> Any:
        received.append(options)
        return auth._HttpxForMsal(httpx.Client())  # answered by the respx routes

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


# --------------------------------------------------------------------------- device code polling


class Sleeps:
    """An injected sleep that records each wait and moves the clock instead of sleeping."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.clock.now += seconds


@pytest.mark.filterwarnings("ignore:Attempted too soon")  # msal's check uses the real clock
async def test_device_code_polls_while_pending_and_slows_down(aad: FakeIdentityPlatform) -> None:
    clock = Clock()
    sleeps = Sleeps(clock)
    provider = make_token_provider(device(), clock=clock, sleep=sleeps)
    provider.start()  # type: ignore[attr-defined]
    aad.token_errors += [
        {"error": "authorization_pending", "error_description": "AADSTS70016: pending"},
        {"error": "slow_down", "error_description": "slow down"},
        {"error": "authorization_pending", "error_description": "AADSTS70016: pending"},
    ]
    assert await provider.complete() == "access-token-1"  # type: ignore[attr-defined]
    assert sleeps.waits == [1.0, 6.0, 6.0]  # interval floored at 1 s, +5 s after slow_down
    assert aad.token.call_count == 4
    assert {f["device_code"] for f in aad.forms()} == {"device-code-secret-123"}


@pytest.mark.filterwarnings("ignore:Attempted too soon")
async def test_device_code_expiry_stops_polling(aad: FakeIdentityPlatform) -> None:
    clock = Clock()
    provider = make_token_provider(device(), clock=clock, sleep=Sleeps(clock))
    aad.device_expires_in = 30
    provider.start()  # type: ignore[attr-defined]
    aad.token_errors += [{"error": "authorization_pending"}] * 100
    with pytest.raises(GraphAuthError, match="expired"):
        await provider.complete()  # type: ignore[attr-defined]
    assert aad.token.call_count == 30  # one poll a second for the code's 30 s


async def test_device_code_declined_is_an_auth_error(aad: FakeIdentityPlatform) -> None:
    provider = make_token_provider(device(), sleep=Sleeps(Clock()))
    provider.start()  # type: ignore[attr-defined]
    aad.token_errors.append(
        {"error": "authorization_declined", "error_description": "AADSTS70000: declined"}
    )
    with pytest.raises(GraphAuthError, match="authorization_declined: AADSTS70000"):
        await provider.complete()  # type: ignore[attr-defined]


async def test_cancelling_complete_stops_polling(aad: FakeIdentityPlatform) -> None:
    waiting = asyncio.Event()

    async def forever(seconds: float) -> None:
        waiting.set()
        await asyncio.Event().wait()

    provider = make_token_provider(device(), sleep=forever)
    provider.start()  # type: ignore[attr-defined]
    aad.token_errors += [{"error": "authorization_pending"}] * 5
    task = asyncio.create_task(provider.complete())  # type: ignore[attr-defined]
    await waiting.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert aad.token.call_count == 1  # no worker thread left polling
    with pytest.raises(GraphAuthError, match="start"):
        await provider.complete()  # type: ignore[attr-defined]


async def test_device_code_against_the_sandbox(isolated: Path) -> None:
    inprocess = pytest.importorskip("graph_magic.sandbox.inprocess")
    from graph_magic.sandbox import SandboxOptions, Tenant

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
    prompt = await provider.start_async()  # type: ignore[attr-defined]
    inprocess.approve_device_code(SandboxOptions.from_dict(options), prompt.user_code, upn)
    token = await provider.complete()  # type: ignore[attr-defined]
    assert token
    assert provider.describe()["account"].lower() == upn.lower()
    assert await provider.get_token(force_refresh=True) != token  # the refresh-token grant
