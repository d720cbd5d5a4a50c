"""National clouds: what ``cloud:`` sets, what it refuses, and a token that stays in its cloud."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from graph_magic import GraphConnector, load_system
from graph_magic.connector.auth import make_token_provider
from graph_magic.connector.sandbox_transport import asgi_transport
from graph_magic.errors import GraphConfigError
from tests.connector.auth.identity_platform import FakeIdentityPlatform

#: (cloud, Graph host, sign-in host), as Microsoft documents its national cloud deployments.
CLOUDS = [
    ("global", "graph.microsoft.com", "login.microsoftonline.com"),
    ("usgov", "graph.microsoft.us", "login.microsoftonline.us"),
    ("usgovdod", "dod-graph.microsoft.us", "login.microsoftonline.us"),
    ("china", "microsoftgraph.chinacloudapi.cn", "login.chinacloudapi.cn"),
]
APP = {"tenant_id": "contoso.onmicrosoft.com", "client_id": "app", "client_secret": "s3cret"}


def _app_system(**keys: Any) -> Any:
    return load_system({"auth_type": "azure", "token_cache": False, "credentials": APP, **keys})


@pytest.mark.parametrize(("cloud", "graph", "login"), CLOUDS)
def test_a_cloud_sets_host_authority_resource_and_scope(cloud: str, graph: str, login: str) -> None:
    system = _app_system(cloud=cloud)
    assert system.cloud == cloud
    assert system.base_url == f"https://{graph}/v1.0"
    assert system.graph_origin == f"https://{graph}"
    assert system.credentials.authority == f"https://{login}"
    assert system.credentials.resource == f"https://{graph}"
    assert system.scopes == (f"https://{graph}/.default",)
    assert system.rate_limit_key == f"https://{graph}/v1.0"


@pytest.mark.parametrize(("cloud", "graph", "login"), CLOUDS)
def test_the_cloud_is_read_from_a_base_url_on_its_graph_host(
    cloud: str, graph: str, login: str
) -> None:
    system = _app_system(base_url=f"https://{graph}/beta")
    assert (system.cloud, system.version) == (cloud, "beta")
    assert system.credentials.authority == f"https://{login}"


def test_a_host_of_no_cloud_signs_in_globally_and_gets_no_cloud() -> None:
    system = _app_system(base_url="http://127.0.0.1:8765/v1.0")
    assert system.cloud is None
    assert system.credentials.authority == "https://login.microsoftonline.com"
    assert system.scopes == ("https://graph.microsoft.com/.default",)


def test_explicit_authority_and_resource_win_over_the_cloud() -> None:
    credentials = {**APP, "authority": "https://login.example.test/", "resource": "api://x"}
    system = load_system(
        {"cloud": "china", "auth_type": "azure", "token_cache": False, "credentials": credentials}
    )
    assert system.credentials.authority == "https://login.example.test"
    assert system.credentials.resource == "api://x"
    assert system.base_url == "https://microsoftgraph.chinacloudapi.cn/v1.0"


def test_a_base_url_of_another_cloud_is_refused_naming_both(tmp_path: Path) -> None:
    path = tmp_path / "gov.yaml"
    path.write_text(
        "cloud: usgov\nbase_url: https://graph.microsoft.com/v1.0\nauth_type: azure\n"
        "credentials:\n  tenant_id: t\n  client_id: c\n  client_secret: hunter2-secret\n"
    )
    with pytest.raises(GraphConfigError) as info:
        load_system(path, environ={})
    assert (info.value.key, info.value.file) == ("base_url", str(path))
    message = str(info.value)
    assert "global cloud's Graph" in message and "https://graph.microsoft.us" in message
    assert "hunter2" not in message


def test_an_unknown_cloud_is_refused_listing_the_known_ones() -> None:
    with pytest.raises(GraphConfigError) as info:
        _app_system(cloud="azuregermany")
    assert info.value.key == "cloud"
    assert "global, usgov, usgovdod, china" in str(info.value)


@pytest.mark.parametrize(("cloud", "graph", "login"), CLOUDS[1:])
async def test_msal_signs_in_at_the_clouds_authority_for_its_resource(
    cloud: str, graph: str, login: str
) -> None:
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as mock:
        platform = FakeIdentityPlatform(mock, login=f"https://{login}")
        token = await make_token_provider(_app_system(cloud=cloud)).get_token()
        hosts = {call.request.url.host for call in mock.calls}
        (call,) = platform.token.calls
    assert token == "access-token-1"
    assert call.request.url.host == login
    assert call.request.url.path == "/contoso.onmicrosoft.com/oauth2/v2.0/token"
    assert platform.form(call.request)["scope"] == f"https://{graph}/.default"
    assert hosts == {login}  # no other sign-in host was asked


class _Recording(httpx.AsyncBaseTransport):
    """The sandbox's transport, keeping each request's URL."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.urls: list[httpx.URL] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.urls.append(request.url)
        return await self.inner.handle_async_request(request)


@pytest.mark.parametrize(("cloud", "graph", "login"), CLOUDS)
async def test_the_sandbox_stands_in_for_each_cloud(cloud: str, graph: str, login: str) -> None:
    system = load_system(
        {
            "cloud": cloud,
            "transport": "sandbox",
            "auth_type": "azure",
            "token_cache": False,
            "credentials": {**APP, "client_id": "sandbox-app", "client_secret": "sandbox-secret"},
            "sandbox": {"users": 30, "seed": 5},
        }
    )
    assert system.sandbox is not None and system.sandbox.cloud == cloud
    recording = _Recording(asgi_transport(system.sandbox))
    async with GraphConnector(system, transport=recording) as graph_client:
        out = await graph_client.perform_action(
            "users", "list", {}, {"method": "GET", "endpoint": "/users", "params": {"$top": "10"}}
        )
    response = out["response"]
    assert response["status_code"] == 200 and len(response["data"]["value"]) == 30
    assert response["pages"] == 3  # the sandbox's nextLinks stay on the cloud's host
    assert {url.host for url in recording.urls} == {graph}


def test_the_shipped_usgov_sandbox_system_stands_in_for_that_cloud(isolated: Path) -> None:
    system = load_system("sandbox-usgov", environ={})
    assert (system.cloud, system.base_url) == ("usgov", "https://graph.microsoft.us/v1.0")
    assert system.sandbox is not None and system.sandbox.cloud == "usgov"


@pytest.mark.parametrize("cloud", ["usgov", "usgovdod", "china"])
def test_each_cloud_has_a_shipped_system(isolated: Path, cloud: str) -> None:
    env = {"GRAPH_TENANT_ID": "t", "GRAPH_CLIENT_ID": "c", "GRAPH_CLIENT_SECRET": "s"}
    system = load_system(f"graph-{cloud}", environ=env)
    assert system.cloud == cloud and system.auth_type == "azure"


def test_a_sandbox_cloud_other_than_the_systems_is_refused() -> None:
    with pytest.raises(GraphConfigError) as info:
        load_system(
            {"cloud": "usgov", "transport": "sandbox", "token": "t", "sandbox": {"cloud": "china"}}
        )
    assert info.value.key == "sandbox.cloud"
    assert "usgov" in str(info.value)
