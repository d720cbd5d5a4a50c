"""The token goes to the configured Graph host and nowhere else.

A nextLink, a $batch request or answer, or a redirect that points at another host never receives
the Authorization header. Served on loopback, "another host" is the same server under its other
name (127.0.0.1 vs localhost), so a leak would be seen by the server itself.
"""

from __future__ import annotations

import json

import httpx
import pytest

from graph_magic.connector.client import GraphConnector
from graph_magic.errors import GraphSecurityError
from graph_magic.sandbox import create_app
from tests.reliability.reliability_kit import (
    Outcome,
    Recorder,
    RecordingSleep,
    app_token,
    bearer_system,
    in_process,
    options,
    served,
)
from tests.reliability.reliability_security import REPORT, ForeignLinks, foreign_hosts


def _graph_requests(recorder: Recorder, host: str) -> list[tuple[str, str, str, bool]]:
    return [seen for seen in recorder.seen if seen[1].split(":")[0] == host]


async def test_served_nextlink_to_another_host_name_is_refused() -> None:
    app = create_app(options(users=30))
    inner = Recorder(app)
    with served(ForeignLinks(inner, "//127.0.0.1:", "//localhost:")) as server:
        system = bearer_system(app_token(app), server.url())
        async with GraphConnector(system, sleep=RecordingSleep()) as conn:
            with pytest.raises(GraphSecurityError) as info:
                await conn.perform_action(
                    "user", "list", None, {"method": "GET", "endpoint": "/users?$top=10"}
                )
    assert "localhost" in info.value.url
    assert len(inner.seen) == 1 and inner.seen[0][1] == f"127.0.0.1:{server.port}"
    assert _graph_requests(inner, "localhost") == []


@pytest.mark.parametrize(
    "link",
    [
        "https://evil.example.com/v1.0/users?$skiptoken=x",
        "https://graph.microsoft.com:8443/v1.0/users?$skiptoken=x",
        "http://graph.microsoft.com/v1.0/users?$skiptoken=x",
        "https://graph.microsoft.com.evil.example.com/v1.0/users?$skiptoken=x",
        "https://user@evil.example.com/v1.0/users",
    ],
)
async def test_nextlink_off_the_graph_origin_is_never_requested(link: str) -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"value": [{"id": "1"}], "@odata.nextLink": link})

    conn = GraphConnector(
        bearer_system("secret-token"), sleep=RecordingSleep(), transport=httpx.MockTransport(answer)
    )
    async with conn:
        with pytest.raises(GraphSecurityError):
            await conn.perform_action("u", "l", None, {"method": "GET", "endpoint": "/users"})
        pages = []
        with pytest.raises(GraphSecurityError):
            async for page in conn.iter_pages("/users"):
                pages.append(page)
    assert len(pages) == 1  # the first page was handed over before the link was refused
    assert [r.url.host for r in seen] == ["graph.microsoft.com", "graph.microsoft.com"]


async def test_redirect_to_the_report_host_drops_authorization_in_process(
    sleeper: RecordingSleep,
) -> None:
    app = create_app(options(users=30))
    recorder = Recorder(app)
    async with in_process(recorder, bearer_system(app_token(app)), sleeper) as conn:
        out = await conn.perform_action("r", "get", None, {"method": "GET", "endpoint": REPORT})
    assert out["response"]["status_code"] == 200
    assert b"Report Refresh Date" in out["response"]["data"]
    hosts = [(host, auth) for _, host, _, auth in recorder.seen]
    assert hosts == [("graph.microsoft.com", True), ("reportsncu.office.com", False)]


async def test_redirect_to_the_other_loopback_name_drops_authorization_served() -> None:
    app = create_app(options(users=30))
    recorder = Recorder(app)
    with served(recorder) as server:
        system = bearer_system(app_token(app), server.url())
        async with GraphConnector(system, sleep=RecordingSleep()) as conn:
            out = await conn.perform_action("r", "get", None, {"method": "GET", "endpoint": REPORT})
    assert out["response"]["status_code"] == 200
    hosts = [(host, auth) for _, host, _, auth in recorder.seen]
    assert hosts == [(f"127.0.0.1:{server.port}", True), (f"localhost:{server.port}", False)]


async def test_redirect_on_the_same_host_keeps_authorization() -> None:
    """The control: the token is dropped because the host changed, not on every redirect."""
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path.endswith("/old"):
            return httpx.Response(302, headers={"Location": "/v1.0/new"})
        return httpx.Response(200, json={"id": "x"})

    conn = GraphConnector(
        bearer_system("secret-token"), sleep=RecordingSleep(), transport=httpx.MockTransport(answer)
    )
    async with conn:
        await conn.perform_action("u", "g", None, {"method": "GET", "endpoint": "/old"})
    assert [r.headers.get("authorization") for r in seen] == ["Bearer secret-token"] * 2


async def test_batch_request_for_another_host_is_refused_before_sending(
    sleeper: RecordingSleep,
) -> None:
    app = create_app(options(users=30))
    recorder = Recorder(app)
    async with in_process(recorder, bearer_system(app_token(app)), sleeper) as conn:
        with pytest.raises(GraphSecurityError):
            await conn.perform_batch(
                [
                    {"method": "GET", "url": "/users"},
                    {"method": "GET", "url": "https://evil.example.com/v1.0/users"},
                ]
            )
    assert recorder.seen == []


async def test_links_inside_a_batch_answer_are_not_followed() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        wire = json.loads(request.content)["requests"]
        return httpx.Response(
            200,
            json={
                "responses": [
                    {
                        "id": item["id"],
                        "status": 302 if item["id"] == "1" else 200,
                        "headers": {"Location": "https://evil.example.com/steal"},
                        "body": {
                            "value": [],
                            "@odata.nextLink": "https://evil.example.com/v1.0/users?x=1",
                        },
                    }
                    for item in wire
                ]
            },
        )

    conn = GraphConnector(
        bearer_system("secret-token"), sleep=RecordingSleep(), transport=httpx.MockTransport(answer)
    )
    async with conn:
        out = await conn.perform_batch(
            [{"method": "GET", "url": "/users"}, {"method": "GET", "url": "/groups"}],
            continue_on_error=True,
        )
    assert [d["status"] for d in out["response"]["data"]] == [302, 200]
    assert [r.url.host for r in seen] == ["graph.microsoft.com"]


async def test_no_foreign_host_ever_got_the_token() -> None:
    outcome: Outcome = await foreign_hosts()
    assert outcome.figures.leaks == 0
    assert outcome.extra["refused"] == 2 and outcome.extra["redirected"] == 2
    assert outcome.figures.ok


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://evil.example.com/v1.0/users",
        "http://graph.microsoft.com/v1.0/users",
        "https://graph.microsoft.com:444/v1.0/users",
    ],
)
async def test_a_full_url_on_another_origin_is_refused_before_sending(endpoint: str) -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"value": []})

    conn = GraphConnector(
        bearer_system("secret-token"), sleep=RecordingSleep(), transport=httpx.MockTransport(answer)
    )
    async with conn:
        for method in ("GET", "POST", "DELETE"):
            config = {"method": method, "endpoint": endpoint}
            if method == "POST":
                config["body"] = {"x": 1}
            with pytest.raises(GraphSecurityError):
                await conn.perform_action("u", "x", None, config)
        with pytest.raises(GraphSecurityError):
            async for _ in conn.iter_pages(endpoint):
                pass
    assert seen == []
