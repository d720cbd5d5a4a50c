"""Device-code sign-in: the prompt, our polling loop, silent renewal, expiry and cancelling."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from graph_magic.connector.auth import (
    DeviceCodePrompt,
    DeviceCodeProvider,
    _cache,
    make_token_provider,
)
from graph_magic.errors import GraphAuthError
from tests.connector.auth.auth_kit import Clock, Sleeps, device
from tests.connector.auth.identity_platform import FakeIdentityPlatform


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


async def test_device_code_start_from_async_code_in_a_thread(aad: FakeIdentityPlatform) -> None:
    provider = make_token_provider(device())
    prompt = await asyncio.to_thread(provider.start)  # type: ignore[attr-defined]
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

    _cache._FILE_CACHES.clear()  # next session
    second = make_token_provider(system)
    assert await second.get_token() == "access-token-1"  # from the persisted cache
    assert second.describe()["account"] == "adele@contoso.com"


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
