"""The sandbox's managed identity endpoints, called as a host's workload calls them."""

from __future__ import annotations

import httpx
import pytest

from graph_magic.sandbox import create_app
from graph_magic.sandbox.entra.apps import MANAGED_IDENTITIES
from graph_magic.sandbox.entra.managed_identity import APP_SERVICE_PATH, IDENTITY_HEADER, IMDS_PATH

IMDS = "http://169.254.169.254"
GRAPH = "https://graph.microsoft.com"


@pytest.fixture
async def host() -> httpx.AsyncClient:
    app = create_app({"users": 5, "groups": 1, "devices": 1, "sign_ins": 1})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=IMDS) as client:
        client.app = app  # type: ignore[attr-defined]
        yield client


async def test_imds_hands_out_a_graph_token_for_the_hosts_identity(host: httpx.AsyncClient) -> None:
    answer = await host.get(
        IMDS_PATH,
        params={"api-version": "2018-02-01", "resource": GRAPH},
        headers={"Metadata": "true"},
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["token_type"] == "Bearer" and body["resource"] == GRAPH
    assert body["client_id"] == MANAGED_IDENTITIES[0].client_id
    assert int(body["expires_on"]) - int(body["not_before"]) == int(body["expires_in"])
    principal = host.app.state.tokens.verify(f"Bearer {body['access_token']}")  # type: ignore[attr-defined]
    assert principal.client_id == MANAGED_IDENTITIES[0].client_id


@pytest.mark.parametrize(
    ("params", "headers", "error", "text"),
    [
        ({"resource": GRAPH}, {}, "invalid_request", "Required metadata header not specified"),
        (
            {"resource": "https://vault.azure.net"},
            {"Metadata": "true"},
            "invalid_resource",
            "AADSTS500011",
        ),
        (
            {"resource": GRAPH, "client_id": "x"},
            {"Metadata": "true"},
            "invalid_request",
            "Identity not found",
        ),
    ],
)
async def test_imds_refuses_as_azure_does(
    host: httpx.AsyncClient, params: dict, headers: dict, error: str, text: str
) -> None:
    answer = await host.get(
        IMDS_PATH, params={"api-version": "2018-02-01", **params}, headers=headers
    )
    assert answer.status_code == 400
    assert answer.json()["error"] == error and text in answer.json()["error_description"]


async def test_app_service_needs_its_identity_header(host: httpx.AsyncClient) -> None:
    params = {"api-version": "2019-08-01", "resource": GRAPH}
    refused = await host.get(APP_SERVICE_PATH, params=params)
    assert refused.status_code == 401 and "X-IDENTITY-HEADER" in refused.json()["message"]
    answer = await host.get(
        APP_SERVICE_PATH, params=params, headers={"X-IDENTITY-HEADER": IDENTITY_HEADER}
    )
    assert answer.status_code == 200 and answer.json()["access_token"]
