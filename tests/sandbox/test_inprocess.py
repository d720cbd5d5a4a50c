"""Through the real sandbox app (core's tenant with auth and faults), in-process and served."""

from __future__ import annotations

import threading
import time

import httpx
import msal

from graph_magic.sandbox import (
    LoopbackHttpClient,
    SandboxOptions,
    approve_device_code,
    asgi_transport,
    create_app,
    make_server,
    msal_http_client,
)
from tests.sandbox.sandbox_kit import AUTHORITY, GRAPH_SCOPE
from tests.support.graph import GRAPH_HOST

GRAPH = GRAPH_HOST  # the sandbox serves every version under the host
SMALL = {"users": 30, "groups": 5, "devices": 5, "sign_ins": 20, "directory_audits": 10}


def _app_token(client_id: str, secret: str, options: object, app: object = None) -> str:
    cca = msal.ConfidentialClientApplication(
        client_id,
        client_credential=secret,
        authority=AUTHORITY,
        http_client=msal_http_client(options, app=app),
    )
    return cca.acquire_token_for_client(GRAPH_SCOPE)["access_token"]


async def test_shared_app_answers_msal_and_graph() -> None:
    options = {"seed": 4242, **SMALL}
    token = _app_token("sandbox-app", "sandbox-secret", options)
    async with httpx.AsyncClient(transport=asgi_transport(options), base_url=GRAPH) as client:
        response = await client.get(
            "/v1.0/users", params={"$top": "3"}, headers={"Authorization": f"Bearer {token}"}
        )
    assert response.status_code == 200
    assert len(response.json()["value"]) == 3


async def test_permissions_in_the_token_decide_403() -> None:
    app = create_app(SMALL)
    full = _app_token("sandbox-app", "sandbox-secret", None, app)
    limited = _app_token("sandbox-limited", "sandbox-limited-secret", None, app)
    async with httpx.AsyncClient(transport=asgi_transport(None, app=app), base_url=GRAPH) as c:
        allowed = await c.get(
            "/v1.0/auditLogs/signIns", headers={"Authorization": f"Bearer {full}"}
        )
        denied = await c.get(
            "/v1.0/auditLogs/signIns", headers={"Authorization": f"Bearer {limited}"}
        )
    assert allowed.status_code == 200
    assert denied.status_code == 403
    assert denied.json()["error"]["code"] == "Authorization_RequestDenied"


async def test_expired_token_gets_graphs_401() -> None:
    app = create_app(SMALL)
    token = _app_token("sandbox-app", "sandbox-secret", None, app)
    app.state.tokens.clock = lambda: time.time() + 3601
    async with httpx.AsyncClient(transport=asgi_transport(None, app=app), base_url=GRAPH) as c:
        response = await c.get("/v1.0/users", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "InvalidAuthenticationToken"
    assert error["message"] == "Access token has expired or is not yet valid."


async def test_device_code_user_reads_me() -> None:
    app = create_app(SMALL)
    user = app.state.tenant.users[0]
    pca = msal.PublicClientApplication(
        "sandbox-public", authority=AUTHORITY, http_client=msal_http_client(None, app=app)
    )
    flow = pca.initiate_device_flow(scopes=["User.Read"])
    approve_device_code(None, flow["user_code"], user["userPrincipalName"], app=app)
    result = pca.acquire_token_by_device_flow(flow)
    async with httpx.AsyncClient(transport=asgi_transport(None, app=app), base_url=GRAPH) as c:
        me = await c.get("/v1.0/me", headers={"Authorization": f"Bearer {result['access_token']}"})
    assert me.status_code == 200
    assert me.json()["id"] == user["id"]


async def test_faults_through_the_real_app() -> None:
    app = create_app({**SMALL, "faults": {"every_nth_429": 2, "retry_after": 7}})
    token = _app_token("sandbox-app", "sandbox-secret", None, app)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(transport=asgi_transport(None, app=app), base_url=GRAPH) as c:
        first = await c.get("/v1.0/users", headers=headers)
        second = await c.get("/v1.0/users", headers=headers)
    assert (first.status_code, second.status_code) == (200, 429)
    assert second.headers["retry-after"] == "7"
    assert app.counters.as_dict()["faults"] == {"429": 1}


async def test_batch_items_get_their_own_429() -> None:
    app = create_app({**SMALL, "faults": {"batch_item_429_rate": 1.0, "retry_after": 3}})
    token = _app_token("sandbox-app", "sandbox-secret", None, app)
    body = {"requests": [{"id": "1", "method": "GET", "url": "/users?$top=1"}]}
    async with httpx.AsyncClient(transport=asgi_transport(None, app=app), base_url=GRAPH) as c:
        response = await c.post(
            "/v1.0/$batch", json=body, headers={"Authorization": f"Bearer {token}"}
        )
    assert response.status_code == 200
    [item] = response.json()["responses"]
    assert item["status"] == 429
    assert item["headers"]["Retry-After"] == "3"
    assert item["body"]["error"]["code"] == "TooManyRequests"


def test_served_tenant_with_msal_over_loopback() -> None:
    server = make_server(SandboxOptions.from_dict(SMALL), 0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.01)  # startup, not a Retry-After wait
        port = server.servers[0].sockets[0].getsockname()[1]
        http_client = LoopbackHttpClient(port)
        cca = msal.ConfidentialClientApplication(
            "sandbox-app",
            client_credential="sandbox-secret",
            authority=AUTHORITY,
            http_client=http_client,
        )
        token = cca.acquire_token_for_client(GRAPH_SCOPE)["access_token"]
        http_client.close()
        response = httpx.get(
            f"http://127.0.0.1:{port}/v1.0/users",
            params={"$top": "2"},
            headers={"Authorization": f"Bearer {token}"},
        )
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert response.status_code == 200
    assert len(response.headers.get_list("date")) == 1
    assert len(response.json()["value"]) == 2
    assert response.json()["@odata.nextLink"].startswith(f"http://127.0.0.1:{port}/v1.0/users?")
