"""Microsoft's own Python SDK against the served sandbox: the sandbox speaks Graph to any client.

msgraph-sdk (Kiota models, its default middleware) with msgraph-core's PageIterator lists every
user of the tenant through the sandbox's nextLinks, authenticated by a token that real msal got
from the sandbox's token endpoint.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import msal
import pytest

from graph_magic.sandbox import (
    LoopbackHttpClient,
    SandboxOptions,
    create_app,
    msgraph_sdk_client,
)
from tests.support.served import ServedSandbox

pytest.importorskip("msgraph", reason="msgraph-sdk is a test-only dependency")

AUTHORITY = "https://login.microsoftonline.com/contoso.onmicrosoft.com"
SCOPE = "https://graph.microsoft.com/.default"


@pytest.fixture
def served() -> Iterator[tuple[Any, int]]:
    """The default tenant served by uvicorn on 127.0.0.1 at a free port, in a thread."""
    app = create_app(SandboxOptions())
    with ServedSandbox(app=app) as server:
        yield app, server.port


async def test_msgraph_sdk_page_iterator_lists_every_user(served: tuple[Any, int]) -> None:
    from kiota_abstractions.base_request_configuration import RequestConfiguration
    from msgraph_core.tasks.page_iterator import PageIterator

    app, port = served
    loopback = LoopbackHttpClient(port)
    msal_app = msal.ConfidentialClientApplication(
        "sandbox-app", client_credential="sandbox-secret", authority=AUTHORITY,
        http_client=loopback,
    )  # fmt: skip
    token = msal_app.acquire_token_for_client([SCOPE])["access_token"]
    loopback.close()

    client, adapter, http = msgraph_sdk_client(f"http://127.0.0.1:{port}/v1.0", token)
    config = RequestConfiguration()
    config.query_parameters = client.users.UsersRequestBuilderGetQueryParameters(
        top=100, select=["id", "displayName", "userPrincipalName"]
    )
    first = await client.users.get(config)
    seen: list[Any] = []

    def keep(user: Any) -> bool:
        seen.append(user)
        return True  # go on to the next item

    await PageIterator(first, adapter).iterate(keep)

    expected = [user["id"] for user in app.state.tenant.users]
    assert [user.id for user in seen] == expected  # every user, once, in the tenant's order
    assert len(seen) == len(expected) == 250
    upns = [user["userPrincipalName"] for user in app.state.tenant.users]
    assert [user.user_principal_name for user in seen] == upns  # Kiota models, not just ids
    await http.aclose()
