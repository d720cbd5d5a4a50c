"""Paging overhead of GraphConnector.perform_action versus a hand-written httpx loop.

Serves 20 precomputed pages of 999 users from a local uvicorn server on 127.0.0.1 and fetches
them all, alternately through ``perform_action`` (auto-pagination) and through the simplest
loop that follows ``@odata.nextLink`` with ``json.loads``. Prints each run, the medians and the
ratio (target: at most 1.10x). Run: ``python benchmarks/bench_connector.py [--runs 7]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import sys
import threading
import time
from pathlib import Path

import httpx
import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from graph_magic.connector.client import GraphConnector

PAGES = 20
PAGE_SIZE = 999
TOKEN = "bench-token"


def _user(n: int) -> dict:
    return {
        "id": f"{n:08d}-1111-2222-3333-444455556666",
        "displayName": f"User Number {n}",
        "givenName": "User",
        "surname": f"Number {n}",
        "userPrincipalName": f"user{n}@contoso.com",
        "mail": f"user{n}@contoso.com",
        "jobTitle": "Analyst",
        "department": "Finance",
        "officeLocation": "Building 1",
        "mobilePhone": None,
        "businessPhones": ["+1 425 555 0100"],
        "accountEnabled": True,
        "usageLocation": "US",
    }


def _pages(base: str) -> dict[str, bytes]:
    """The page bodies by $skiptoken ("" for the first page)."""
    bodies: dict[str, bytes] = {}
    for page in range(PAGES):
        users = [_user(page * PAGE_SIZE + i) for i in range(PAGE_SIZE)]
        body: dict = {"@odata.context": f"{base}/$metadata#users", "value": users}
        if page + 1 < PAGES:
            body["@odata.nextLink"] = f"{base}/users?$top={PAGE_SIZE}&$skiptoken=p{page + 1}"
        bodies["" if page == 0 else f"p{page}"] = json.dumps(body).encode()
    return bodies


def _make_app(bodies: dict[str, bytes]):
    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        query = scope["query_string"].decode()
        token = ""
        for part in query.split("&"):
            if part.startswith("$skiptoken="):
                token = part.split("=", 1)[1]
        body = bodies[token]
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"application/json;odata.metadata=minimal"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    return app


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(port: int, bodies: dict[str, bytes]) -> uvicorn.Server:
    config = uvicorn.Config(
        _make_app(bodies), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.01)
    return server


async def _hand_loop(client: httpx.AsyncClient, first: str) -> int:
    items: list = []
    url: str | None = first
    while url:
        response = await client.get(url, headers={"Authorization": f"Bearer {TOKEN}"})
        response.raise_for_status()
        data = json.loads(response.content)
        items.extend(data["value"])
        url = data.get("@odata.nextLink")
    return len(items)


async def _connector(conn: GraphConnector) -> int:
    out = await conn.perform_action(
        "user",
        "list",
        None,
        {"method": "GET", "endpoint": "/users", "params": {"$top": PAGE_SIZE}},
    )
    return len(out["response"]["data"]["value"])


async def main(runs: int) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}/v1.0"
    server = _serve(port, _pages(base))
    system = {
        "base_url": base,
        "auth_type": "bearer",
        "token": TOKEN,
        "name": "bench",
        "timeouts": {"read": 60},
    }
    conn = GraphConnector(system)
    client = httpx.AsyncClient(timeout=60)
    first = f"{base}/users?$top={PAGE_SIZE}"
    expected = PAGES * PAGE_SIZE
    # warm both paths (connections, imports, token)
    assert await _hand_loop(client, first) == expected
    assert await _connector(conn) == expected

    hand: list[float] = []
    ours: list[float] = []
    for run in range(runs):
        order = [("hand", _hand_loop(client, first)), ("connector", _connector(conn))]
        if run % 2:
            order.reverse()
        for name, coro in order:
            started = time.perf_counter()
            assert await coro == expected
            took = time.perf_counter() - started
            (hand if name == "hand" else ours).append(took)
            print(f"run {run + 1} {name:9s} {took * 1000:8.1f} ms")
    await client.aclose()
    await conn.close()
    server.should_exit = True

    h, c = statistics.median(hand), statistics.median(ours)
    print(f"\n{PAGES} pages x {PAGE_SIZE} users, {runs} runs each")
    print(f"hand-written httpx loop  median {h * 1000:8.1f} ms")
    print(f"perform_action           median {c * 1000:8.1f} ms")
    print(f"ratio                    {c / h:.3f}x (target <= 1.10x)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    asyncio.run(main(parser.parse_args().runs))
