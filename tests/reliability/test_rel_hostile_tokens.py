"""Token refresh under concurrency: one token request per wave, a failure shared and not kept."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
import respx

from graph_magic.connector.auth import make_token_provider
from graph_magic.errors import GraphAuthError
from tests.connector.auth.auth_kit import azure
from tests.connector.auth.identity_platform import FakeIdentityPlatform
from tests.reliability.hostile_kit import Case, by_name, run_case
from tests.reliability.hostile_tokens import CALLERS, CASES, OUTAGES, wave


@pytest.mark.parametrize("case", list(by_name(CASES).values()), ids=list(by_name(CASES)))
async def test_each_wave_makes_one_token_request(case: Case) -> None:
    result = await run_case(case)
    assert result.problems == []


async def test_sixteen_callers_meeting_an_expired_token_share_one_refresh() -> None:
    seen = await wave(expire_by="client")
    assert seen["refreshes"] == 1
    assert all(isinstance(o, dict) for o in seen["outcomes"])
    assert len(seen["outcomes"]) == CALLERS


async def test_a_failed_refresh_fails_every_waiter_with_an_auth_error_then_is_retried() -> None:
    seen = await wave(down=OUTAGES["400 invalid_client"])
    errors = seen["outcomes"]
    assert seen["refreshes"] == 1
    assert [type(e) for e in errors] == [GraphAuthError] * CALLERS
    assert all("AADSTS7000215: Invalid client secret provided." in str(e) for e in errors)
    assert all(e.detail["error"] == "invalid_client" for e in errors)
    assert "sandbox-secret" not in " ".join(map(str, errors))
    # msal would replay that 400 for a minute from its throttle cache; the next request asks
    assert seen["next_refreshes"] == 1
    assert seen["next"]["response"]["status_code"] == 200


async def test_an_unreachable_identity_platform_is_an_auth_error_naming_the_cause() -> None:
    seen = await wave(down=OUTAGES["unreachable"])
    assert seen["refreshes"] == 1
    assert {str(e) for e in seen["outcomes"]} == {
        "client credentials sign-in failed: ConnectError: identity platform unreachable"
    }
    assert seen["next_refreshes"] == 1


class _SyncDrip(httpx.SyncByteStream):
    """A token answer one byte per 50 ms: 3.7 s for the whole, every read well in time."""

    served = 0

    def __iter__(self) -> Iterator[bytes]:
        for byte in b'{"token_type": "Bearer", "expires_in": 3600, "access_token": "late-token"}':
            time.sleep(0.05)  # at most a few of these: the deadline ends the exchange
            _SyncDrip.served += 1
            yield bytes([byte])


async def test_an_identity_platform_dripping_its_answer_is_cut_at_the_deadline() -> None:
    system = azure(timeouts={"connect": 0.1, "write": 0.1, "read": 0.2})  # 0.4 s whole
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as mock:
        platform = FakeIdentityPlatform(mock)
        platform.token.mock(
            side_effect=lambda request, tenant: httpx.Response(200, stream=_SyncDrip())
        )
        provider = make_token_provider(system)
        with pytest.raises(GraphAuthError) as info:
            await provider.get_token()
    assert "ReadTimeout: no complete answer from login.microsoftonline.com within 0.4 s" in str(
        info.value
    )
    assert _SyncDrip.served <= 9  # of 74 bytes: 0.4 s of 50 ms drips, then the exchange ended
