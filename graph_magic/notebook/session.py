"""A notebook's Graph session: its systems, token providers, connectors, and history.

One :class:`GraphSession` lives on the magic. It loads systems, keeps one token provider per
system (shared by the system's v1.0 and beta connectors, so one sign-in serves both), caches
connectors, remembers the current system (``%graph connect``) and the recent requests
(``%graph history``). Running a cell's requests is :mod:`graph_magic.notebook.run`'s job.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from graph_magic.errors import GraphAuthError
from graph_magic.notebook import runtime

if TYPE_CHECKING:
    from graph_magic.connector.auth import (
        DeviceCodePrompt,
        DeviceCodeProvider,
        InteractiveProvider,
        TokenProvider,
    )
    from graph_magic.connector.client import GraphConnector
    from graph_magic.connector.config import SystemConfig
    from graph_magic.connector.recording import Recording
    from graph_magic.notebook.display import GraphResult

__all__ = ["GraphSession", "HistoryEntry"]


@dataclass(frozen=True)
class HistoryEntry:
    """One request as ``%graph history`` lists it: masked URL, outcome, size; never a secret."""

    system: str
    method: str
    url: str
    status: int | None
    outcome: str
    rows: int | None = None
    pages: int = 0
    elapsed: float | None = None


class GraphSession:
    """Connectors per (system, version), the current system, and the history of one notebook.

    ``connector_factory(system, token_provider=...)`` and ``token_provider_factory(system)``
    are injectable so the request logic can be driven by fakes; ``show`` displays an object
    (IPython's ``display`` by default); ``run`` runs a coroutine from sync code (the runtime's
    loop thread by default).
    """

    def __init__(
        self,
        *,
        history_size: int = 100,
        connector_factory: Callable[..., GraphConnector] | None = None,
        token_provider_factory: Callable[[SystemConfig], TokenProvider] | None = None,
        show: Callable[[Any], None] | None = None,
        run: Callable[[Coroutine[Any, Any, Any]], Any] | None = None,
    ) -> None:
        self.current: str | None = None
        self.last: list[GraphResult] = []
        """The last cell's results (``load_more()`` fetches what a nextLink left)."""
        self.history: deque[HistoryEntry] = deque(maxlen=history_size)
        self.show = show or _ipython_display
        self.run_sync = run or runtime.run_sync
        self._connector_factory = connector_factory or _default_connector
        self._provider_factory = token_provider_factory or _default_provider
        self._systems: dict[str, SystemConfig] = {}
        self._providers: dict[str, TokenProvider] = {}
        self._connectors: dict[tuple[str, str], GraphConnector] = {}
        self.recording: tuple[str, Recording] | None = None
        """The system being recorded (``%graph record``) and its open cassette."""

    # -- systems and connectors -------------------------------------------------------------

    def system_name(self, requested: str | None, default: str) -> str:
        """The system a run or command acts on: the one named, the connected one, or ``default``.

        ``default`` is the ``default_system`` setting; this is the one place the rule is written.
        """
        return requested or self.current or default

    def system(self, name: str) -> SystemConfig:
        """The loaded system config for ``name`` (a system name or a YAML path), cached."""
        from graph_magic.connector.config import load_system

        if name not in self._systems:
            self._systems[name] = load_system(name)
        return self._systems[name]

    def provider(self, name: str) -> TokenProvider:
        """The token provider shared by every connector (v1.0, beta) of system ``name``."""
        if name not in self._providers:
            self._providers[name] = self._provider_factory(self.system(name))
        return self._providers[name]

    def connector(self, name: str, version: str | None = None) -> GraphConnector:
        """The connector for ``name`` at ``version`` (the system's own version when None)."""
        system = self.system(name)
        version = version or system.version
        key = (name, version)
        if key not in self._connectors:
            variant = system
            if version != system.version:
                variant = dataclasses.replace(system, base_url=f"{system.graph_origin}/{version}")
            connector = self._connector_factory(variant, token_provider=self.provider(name))
            if self.recording is not None and self.recording[0] == name:
                self.run_sync(connector.record(self.recording[1]))
            self._connectors[key] = connector
        return self._connectors[key]

    def start_recording(self, name: str, path: str, pseudonymise: tuple[str, ...]) -> Recording:
        """Record every exchange of system ``name`` into the cassette ``path`` from now on.

        One recording at a time: one already running is stopped first. The file restarts.
        """
        from graph_magic.connector.recording import open_recording

        system = self.system(name)
        self.stop_recording()
        recording = open_recording(path, system.graph_origin, pseudonymise)
        self.recording = (name, recording)
        for key, connector in self._connectors.items():
            if key[0] == name:
                self.run_sync(connector.record(recording))
        return recording

    def stop_recording(self) -> Recording | None:
        """Stop the running recording, keeping its cassette; None when nothing was recording."""
        from graph_magic.connector.recording import stop_recording

        if self.recording is None:
            return None
        name, recording = self.recording
        self.recording = None
        for key, connector in self._connectors.items():
            if key[0] == name:
                self.run_sync(connector.record(None))
        stop_recording(recording.path)
        return recording

    def connect(
        self,
        name: str,
        *,
        device_code: bool = False,
        approve_as: str | None = None,
        on_prompt: Callable[[DeviceCodePrompt], None] | None = None,
    ) -> SystemConfig:
        """Sign in to ``name`` now (so a bad secret fails here) and make it the current system.

        ``device_code`` signs a user in with a device code even when the system is configured
        for an app; ``on_prompt`` receives the prompt (URL and code) before the wait begins.
        ``approve_as`` (sandbox only) approves the code as that user, as a browser would: the
        in-process sandbox has no page to visit while the notebook waits. For a browser sign-in
        (``auth_type: interactive``) it is the account to sign in as, anywhere.
        """
        from graph_magic.connector.config import load_system

        system = load_system(name)
        browser = system.auth_type == "interactive" and not device_code
        if (device_code or approve_as) and not browser and system.auth_type != "device_code":
            system = dataclasses.replace(system, auth_type="device_code")
        if approve_as and not browser and system.transport != "sandbox":
            raise GraphAuthError(
                f"--as approves a device code only in the sandbox; sign in to '{name}' in a "
                "browser instead"
            )
        provider = self._provider_factory(system)
        if browser:  # --as names the account: typed in the sandbox, pre-filled on a real page
            cast("InteractiveProvider", provider).login_hint = approve_as
        if system.auth_type == "device_code":
            device = cast("DeviceCodeProvider", provider)
            prompt = device.start()
            if on_prompt is not None:
                on_prompt(prompt)
            if approve_as:
                _approve_in_sandbox(system, prompt.user_code, approve_as)
            self.run_sync(device.complete())
        else:
            self.run_sync(provider.get_token())
        self._forget(name)
        self._systems[name] = system
        self._providers[name] = provider
        self.current = name
        return system

    def describe(self, name: str) -> dict[str, Any]:
        """What ``%graph status`` shows for ``name``: never the token itself."""
        system = self.system(name)
        info: dict[str, Any] = {
            "system": name,
            "source": system.source,
            "base_url": system.base_url,
            "cloud": system.cloud,
            "authority": system.credentials.authority,
            "auth_type": system.auth_type,
            "transport": system.transport,
            "signed_in": False,
        }
        if system.replay:
            info["replay"] = system.replay
        if self.recording is not None and self.recording[0] == name:
            info["recording"] = str(self.recording[1].path)
        elif system.record is not None:
            info["recording"] = system.record.path
        if name in self._providers:
            info.update(self._providers[name].describe())
        return info

    def logout(self, name: str) -> bool:
        """Forget ``name``'s tokens (and its msal cache entry); True when it was signed in."""
        provider = self._providers.get(name)
        signed_in = provider is not None and bool(provider.describe().get("signed_in", True))
        if provider is not None:
            self.run_sync(provider.logout())
        self._forget(name)
        if self.current == name:
            self.current = None
        return signed_in

    def _forget(self, name: str) -> None:
        for key in [key for key in self._connectors if key[0] == name]:
            self.run_sync(self._connectors.pop(key).close())
        self._providers.pop(name, None)
        self._systems.pop(name, None)

    def resize_history(self, size: int) -> None:
        """Keep the most recent ``size`` entries (``history_size`` changed)."""
        self.history = deque(self.history, maxlen=size)

    def close(self) -> None:
        """Close every connector (their httpx clients live on the loop thread)."""
        while self._connectors:
            _, connector = self._connectors.popitem()
            with contextlib.suppress(Exception):
                self.run_sync(connector.close())
        self._providers.clear()
        self._systems.clear()

    # -- history --------------------------------------------------------------------------

    def remember(
        self,
        system: str,
        method: str,
        url: str,
        status: int | None,
        outcome: str,
        rows: int | None = None,
        pages: int = 0,
        elapsed: float | None = None,
    ) -> None:
        from graph_magic.connector.masking import mask_url

        entry = HistoryEntry(
            system, method, mask_url(url), status, outcome.strip(), rows, pages, elapsed
        )
        self.history.append(entry)


# --------------------------------------------------------------------------- defaults


def _approve_in_sandbox(system: SystemConfig, user_code: str, upn: str) -> None:
    from graph_magic.connector.sandbox_transport import approve_device_code

    approve_device_code(system.sandbox, user_code, upn)


def _default_connector(
    system: SystemConfig, *, token_provider: TokenProvider | None = None
) -> GraphConnector:
    from graph_magic.connector.client import GraphConnector

    return GraphConnector(system, token_provider=token_provider)


def _default_provider(system: SystemConfig) -> TokenProvider:
    from graph_magic.connector.auth import make_token_provider

    return make_token_provider(system)


def _ipython_display(obj: Any) -> None:
    from IPython.display import display

    display(obj)
