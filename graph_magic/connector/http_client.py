"""The connector's httpx client: over the network, the sandbox, a cassette, or recording into one.

Which transport answers a system is decided here, once: a ``replay:`` system is answered by its
cassette and never reaches a network; a ``transport: sandbox`` system by the in-process sandbox;
any other by httpx's own transport. A recording wraps whichever it is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

from graph_magic.connector.recording import Recording, RecordingTransport

if TYPE_CHECKING:
    from graph_magic.connector.config import SystemConfig

__all__ = ["base_transport", "http_client"]


def base_transport(
    system: SystemConfig, given: httpx.AsyncBaseTransport | None
) -> httpx.AsyncBaseTransport | None:
    """The transport for ``system`` (None: httpx's network transport); ``given`` is kept.

    A replay replaces even a given transport: a replayed system must never reach another.
    """
    if system.replay:
        from graph_magic.connector.replay import ReplayTransport

        if isinstance(given, ReplayTransport):
            return given
        return ReplayTransport(system.replay, system.graph_origin)
    if given is None and system.transport == "sandbox":
        from graph_magic.connector.sandbox_transport import asgi_transport

        return asgi_transport(system.sandbox)
    return given


def http_client(
    system: SystemConfig,
    transport: httpx.AsyncBaseTransport | None,
    recording: Recording | None = None,
) -> httpx.AsyncClient:
    """The client the connector sends through, recording into ``recording`` when it is open.

    A replaying or recording client takes no proxy from the environment: a proxy mount would
    route requests around the cassette (the recorder's inner client still uses them).
    """
    from graph_magic.connector.replay import ReplayTransport

    if isinstance(transport, ReplayTransport):
        return _client(system, transport, trust_env=False)
    if recording is not None and not recording.closed:
        inner = _client(system, transport)
        recorder = RecordingTransport(inner, recording, system.max_response_bytes)
        return _client(system, recorder, trust_env=False)
    return _client(system, transport)


def _client(
    system: SystemConfig, transport: httpx.AsyncBaseTransport | None, *, trust_env: bool = True
) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=transport,
        timeout=system.timeouts.as_httpx(),
        follow_redirects=False,
        trust_env=trust_env,
    )
