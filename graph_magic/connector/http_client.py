"""The connector's httpx client: over the network, the sandbox, a cassette, or recording into one.

Which transport answers a system is decided here, once: a ``replay:`` system is answered by its
cassette and never reaches a network; a ``transport: sandbox`` system by the in-process sandbox;
any other by httpx's own transport. A recording wraps whichever it is. The replay and recording
modules load only for a system that uses them, as the sandbox's does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from graph_magic.connector.config import SystemConfig
    from graph_magic.connector.recording import Recording

__all__ = ["base_transport", "http_client", "system_recording"]


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


def system_recording(system: SystemConfig) -> Recording | None:
    """The recording a system's ``record:`` key asks for (shared by its connectors), if any."""
    if system.record is None:
        return None
    from graph_magic.connector.recording import open_recording

    settings = system.record
    return open_recording(settings.path, system.graph_origin, settings.pseudonymise)


def http_client(
    system: SystemConfig,
    transport: httpx.AsyncBaseTransport | None,
    recording: Recording | None = None,
) -> httpx.AsyncClient:
    """The client the connector sends through, recording into ``recording`` when it is open.

    ``transport`` is :func:`base_transport`'s, a cassette's for a replaying system. A replaying
    or recording client takes no proxy from the environment: a proxy mount would route requests
    around the cassette (the recorder's inner client still uses them).
    """
    if system.replay:
        return _client(system, transport, trust_env=False)
    if recording is not None and not recording.closed:
        from graph_magic.connector.recording import RecordingTransport

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
