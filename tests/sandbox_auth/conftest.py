"""Fixtures for the sandbox's auth and fault tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from graph_magic.sandbox import FaultMiddleware, SandboxOptions, TokenService
from tests.sandbox_auth.sandbox_auth_helpers import Clock, Sleeps, tiny_app


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def make_app(clock: Clock, sleeps: Sleeps) -> Callable[..., tuple[FaultMiddleware, TokenService]]:
    """Build the tiny app for given options (a dict or SandboxOptions)."""

    def build(options: Any = None) -> tuple[FaultMiddleware, TokenService]:
        if not isinstance(options, SandboxOptions):
            options = SandboxOptions.from_dict(options)
        return tiny_app(options, clock, sleeps)

    return build
