"""The client's one way into the offline sandbox tenant, for systems with ``transport: sandbox``.

Everything the connector side needs from ``graph_magic.sandbox`` passes through here: parsing a
system's ``sandbox:`` options, the httpx transport Graph calls go through, the http client msal
signs in with, and approving a device code as the user would in a browser. Callers import this
module lazily and it imports the sandbox lazily, so a system on ``transport: http`` never loads
the sandbox's server code, and the sandbox stays a separate server that only speaks HTTP.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import TYPE_CHECKING, Any

from graph_magic.errors import GraphAuthError

if TYPE_CHECKING:
    import httpx

    from graph_magic.knowledge.limits import Limits
    from graph_magic.sandbox.inprocess import SandboxMsalHttpClient
    from graph_magic.sandbox.options import SandboxOptions as SandboxOptions

__all__ = [
    "SandboxOptionError",
    "approve_device_code",
    "asgi_transport",
    "browse_sign_in",
    "for_cloud",
    "msal_kwargs",
    "parse_options",
    "sandbox_limits",
    "throttles",
]


class SandboxOptionError(ValueError):
    """A ``sandbox:`` option the sandbox does not know; ``key`` is its dotted name there."""

    def __init__(self, message: str, *, key: str) -> None:
        super().__init__(message)
        self.key = key


def parse_options(data: Mapping[str, Any]) -> SandboxOptions:
    """A system's ``sandbox:`` mapping as SandboxOptions, refusing an unknown key by its name.

    The keys are checked here, one by one, so the error can say which one it was (``faults.x``
    for a fault option) instead of the caller reading it back out of a message.
    """
    from graph_magic.sandbox.options import FaultOptions, SandboxOptions

    unknown = sorted(set(data) - {f.name for f in fields(SandboxOptions)})
    if unknown:
        raise SandboxOptionError(f"unknown sandbox option '{unknown[0]}'", key=unknown[0])
    faults = data.get("faults") or {}
    if not isinstance(faults, Mapping):
        message = f"expected a mapping, got {type(faults).__name__}"
        raise SandboxOptionError(message, key="faults")
    unknown = sorted(set(faults) - {f.name for f in fields(FaultOptions)})
    if unknown:
        message = f"unknown sandbox fault option '{unknown[0]}'"
        raise SandboxOptionError(message, key=f"faults.{unknown[0]}")
    return SandboxOptions.from_dict(dict(data))


def for_cloud(options: SandboxOptions | None, cloud: str) -> SandboxOptions:
    """``options`` for a sandbox that stands in for ``cloud``: its token audience, sign-in host
    and metadata are that cloud's, so a government system can be tried offline as it is."""
    if options is not None and options.cloud not in ("global", cloud):
        raise SandboxOptionError(
            f"the sandbox stands in for the system's cloud ({cloud}), not {options.cloud}; "
            "set the system's cloud key instead",
            key="cloud",
        )
    from dataclasses import replace

    return replace(_resolved(options), cloud=cloud)


def _resolved(options: SandboxOptions | None) -> SandboxOptions:
    from graph_magic.sandbox.options import SandboxOptions

    return options if options is not None else SandboxOptions()


def throttles(options: SandboxOptions | None) -> bool:
    """Whether the sandbox enforces Graph's limits (its ``throttle`` fault option)."""
    return _resolved(options).faults.throttle


def sandbox_limits(options: SandboxOptions | None) -> Limits:
    """The limits the sandbox enforces, for the client to pace by the same ones."""
    from graph_magic.sandbox.throttle import sandbox_limits as limits_of

    return limits_of(_resolved(options))


def asgi_transport(options: SandboxOptions | None) -> httpx.AsyncBaseTransport:
    """The httpx transport that answers Graph calls from the shared in-process sandbox app."""
    from graph_magic.sandbox.inprocess import asgi_transport as sandbox_transport

    return sandbox_transport(_resolved(options))


def msal_kwargs(
    options: SandboxOptions | None, *, http_client: object | None = None
) -> dict[str, Any]:
    """What an msal app needs to sign in against the sandbox instead of Entra ID.

    Its http client (``http_client`` when a test injects one), and no instance discovery: msal
    would otherwise ask the real login host whether the sandbox's authority is a known cloud.
    """
    if http_client is None:
        http_client = _msal_http_client(options)
    return {"http_client": http_client, "instance_discovery": False}


def _msal_http_client(options: SandboxOptions | None) -> SandboxMsalHttpClient:
    from graph_magic.sandbox.inprocess import msal_http_client

    return msal_http_client(_resolved(options))


def browse_sign_in(
    options: SandboxOptions | None, auth_uri: str, upn: str | None
) -> dict[str, str]:
    """The sandbox's stand-in for the browser step of an interactive sign-in: the answer (code
    and state) that a person signing in as ``upn`` would hand the app.

    The sandbox's refusal (no such user, no account given) becomes a GraphAuthError.
    """
    from graph_magic.sandbox.inprocess import browse_sign_in as browse

    try:
        return browse(_resolved(options), auth_uri, upn)
    except ValueError as exc:
        raise GraphAuthError(f"the sandbox did not sign anyone in: {exc}") from None


def approve_device_code(options: SandboxOptions | None, user_code: str, upn: str) -> None:
    """Sign ``upn`` in on a pending device code, as the user would in a browser.

    The sandbox's refusal (an unknown code or user) becomes a GraphAuthError with its reason.
    """
    from graph_magic.sandbox.inprocess import approve_device_code as approve

    try:
        approve(_resolved(options), user_code, upn)
    except ValueError as exc:
        raise GraphAuthError(f"the sandbox did not approve the sign-in as {upn}: {exc}") from None
