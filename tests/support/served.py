"""The sandbox (or any ASGI app) served by uvicorn on a free loopback port, in a thread.

For the tests that need a real socket: msal over loopback, Microsoft's SDK, managed identity's
``IDENTITY_ENDPOINT``, a browser sign-in's redirect. Nothing listens beyond 127.0.0.1.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from graph_magic.sandbox import SandboxOptions, make_server


class ServedSandbox:
    """``with ServedSandbox(options) as served:`` serves a fresh tenant (or ``app``) until the
    block ends; ``served.port`` is its port."""

    def __init__(self, options: SandboxOptions | None = None, *, app: Any = None) -> None:
        self.server = make_server(options or SandboxOptions(), 0, app=app)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.port = 0

    def __enter__(self) -> ServedSandbox:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:  # start-up, not a Retry-After wait
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        self.port = self.server.servers[0].sockets[0].getsockname()[1]
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def url(self, host: str = "127.0.0.1") -> str:
        """The Graph v1.0 root on this server under the host name ``host``."""
        return f"http://{host}:{self.port}/v1.0"
