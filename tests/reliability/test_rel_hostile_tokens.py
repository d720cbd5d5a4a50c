"""Token refresh under concurrency: one token request per wave, a failure shared and not kept."""

from __future__ import annotations

import pytest

from graph_magic.errors import GraphAuthError
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
