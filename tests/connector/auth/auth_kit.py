"""Shared pieces of the auth tests: the secret, the tenant, a clock, a sleep, two systems."""

from __future__ import annotations

import time
from typing import Any

from graph_magic.connector.config import SystemConfig, load_system

SECRET = "s3cr3t-Value~1234"
TENANT = "contoso.onmicrosoft.com"


class Clock:
    """An injectable clock that starts now and moves only when told."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


class Sleeps:
    """An injected sleep that records each wait and moves the clock instead of sleeping."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.clock.now += seconds


def azure(**overrides: Any) -> SystemConfig:
    data: dict[str, Any] = {
        "auth_type": "azure",
        "token_cache": False,
        "credentials": {"tenant_id": TENANT, "client_id": "app-id", "client_secret": SECRET},
    }
    data.update(overrides)
    return load_system(data, environ={})


def device(**overrides: Any) -> SystemConfig:
    data: dict[str, Any] = {
        "auth_type": "device_code",
        "token_cache": False,
        "credentials": {"tenant_id": TENANT, "client_id": "public-app"},
        "scopes": ["User.Read", "Group.Read.All"],
    }
    data.update(overrides)
    return load_system(data, environ={})
