"""Fakes for time and tokens: tests move a clock and record waits instead of sleeping."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

# An epoch in 2027, after the sandbox's data end, so tokens and dates compare sensibly.
START = 1_800_000_000.0


class Clock:
    """A settable epoch clock: pass it where a ``clock`` is injected, then move ``now``."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class RecordingSleep:
    """An injectable sleep that records every wait instead of waiting (it only yields once)."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(0)


class ClockSleep(RecordingSleep):
    """A recording sleep that moves a :class:`Clock` forward by each wait: time passes."""

    def __init__(self, clock: Clock) -> None:
        super().__init__()
        self.clock = clock

    async def __call__(self, seconds: float) -> None:
        self.clock.now += seconds
        await super().__call__(seconds)


class FakeTokenProvider:
    """Hands out ``token-1``, ``token-2``... and counts forced refreshes."""

    def __init__(self) -> None:
        self.issued = 0
        self.forced = 0

    async def get_token(self, *, force_refresh: bool = False) -> str:
        if force_refresh or self.issued == 0:
            self.issued += 1
        if force_refresh:
            self.forced += 1
        return f"token-{self.issued}"

    def describe(self) -> dict[str, Any]:
        return {"auth_type": "fake"}

    async def logout(self) -> None:
        self.issued = 0


@dataclass
class FixedTokenProvider:
    """A signed-in bearer provider that always hands out the same token."""

    token: str = "fake-token-value"

    async def get_token(self, *, force_refresh: bool = False) -> str:
        return self.token

    def describe(self) -> dict[str, Any]:
        return {"auth_type": "bearer", "signed_in": True, "expires_on": None}

    async def logout(self) -> None:
        return None
