"""How fast the sandbox serves Graph pages: in-process (httpx ASGITransport) and over loopback.

Pages of ``$top=999`` users are fetched by following nextLinks, as a client paging /users
would, and the figures (pages/s, users/s, ms per page) are printed. "cold" is the first walk
(each user serialised for the first time); the others run once every user's projection is
cached. "app only" calls the ASGI app directly (no httpx, no client-side JSON parsing): the
sandbox's own cost per page. Run from the repository root::

    python benchmarks/bench_sandbox.py [--users 20000] [--seconds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, uninstalled
from graph_magic.sandbox import create_app

GRAPH = "https://graph.microsoft.com"


async def _walk(client: httpx.AsyncClient, first: str, seconds: float) -> tuple[int, int, float]:
    pages = items = 0
    url: str | None = first
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        response = await client.get(url or first)
        response.raise_for_status()
        body = response.json()
        pages += 1
        items += len(body["value"])
        url = body.get("@odata.nextLink")
    return pages, items, time.perf_counter() - start


def _token(app: Any) -> dict[str, str]:
    token, _ = app.state.tokens.issue_app_token("sandbox-app")
    return {"Authorization": f"Bearer {token}"}


def _report(label: str, pages: int, items: int, elapsed: float) -> None:
    print(
        f"{label:<34} {pages / elapsed:8.1f} pages/s  {items / elapsed:10.0f} users/s  "
        f"{elapsed / pages * 1000:6.2f} ms/page"
    )


async def _warm(client: httpx.AsyncClient, first: str) -> None:
    """One full walk, so every user's projection is cached (a tenant's steady state)."""
    url: str | None = first
    while url:
        url = (await client.get(url)).json().get("@odata.nextLink")


async def bench_in_process(app: Any, query: str, seconds: float, label: str) -> None:
    """Pages served through httpx's ASGI transport (no sockets), client parsing included."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app), base_url=GRAPH, headers=_token(app)
    ) as client:
        _report(label + " (cold)", *await _walk(client, query, seconds))
        await _warm(client, query)
        _report(label, *await _walk(client, query, seconds))


_NEXT = re.compile(rb'"@odata.nextLink":"([^"]+)"')


async def bench_server_only(app: Any, query: str, seconds: float, label: str) -> None:
    """The app alone: raw ASGI calls following nextLinks, no httpx and no client-side JSON
    parsing (the nextLink is read from the page's head with a regex)."""
    auth = [(k.lower().encode(), v.encode()) for k, v in _token(app).items()]
    body = bytearray()

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body":
            body.extend(message.get("body", b""))

    async def get(url: str) -> bytes | None:
        path, _, qs = url.removeprefix(GRAPH).partition("?")
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
            "scheme": "https", "path": unquote(path), "raw_path": path.encode(),
            "query_string": qs.encode(), "root_path": "", "server": ("graph.microsoft.com", 443),
            "headers": [(b"host", b"graph.microsoft.com"), *auth], "client": ("127.0.0.1", 1),
        }  # fmt: skip
        body.clear()
        await app(scope, receive, send)
        found = _NEXT.search(bytes(body[:600]))
        return found.group(1) if found else None

    pages, url, start = 0, query, time.perf_counter()
    while time.perf_counter() - start < seconds:
        link = await get(url)
        url = link.decode() if link else query
        pages += 1
    _report(label, pages, pages * 999, time.perf_counter() - start)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def bench_loopback(app: Any, seconds: float) -> None:
    """Pages served by uvicorn on 127.0.0.1 (a random free port) to an httpx client."""
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="off",
            date_header=False,  # the sandbox sends its own (deterministic) Date
            server_header=False,
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", headers=_token(app), timeout=30
        ) as client:
            await _warm(client, "/v1.0/users?$top=999")
            _report(
                "loopback  /users $top=999", *await _walk(client, "/v1.0/users?$top=999", seconds)
            )
    finally:
        server.should_exit = True
        thread.join(5)


def main() -> None:
    """Build a tenant, then measure in-process and loopback serving."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20000)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    start = time.perf_counter()
    app = create_app({"users": args.users})
    print(f"tenant with {args.users} users built in {time.perf_counter() - start:.2f} s")
    asyncio.run(  # first, so its "cold" pass meets users nobody has serialised yet
        bench_in_process(app, "/v1.0/users?$top=999", args.seconds, "in-process /users $top=999")
    )
    asyncio.run(
        bench_server_only(app, "/v1.0/users?$top=999", args.seconds, "app only /users $top=999")
    )
    asyncio.run(
        bench_in_process(
            app,
            "/v1.0/users?$top=999&$select=id,displayName,department,accountEnabled",
            args.seconds,
            "in-process /users $select $top=999",
        )
    )
    asyncio.run(bench_loopback(app, args.seconds))


if __name__ == "__main__":
    main()
