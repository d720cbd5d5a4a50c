"""Builders for the connector tests: a bearer system and a connector on the fakes of
tests/support, each with its own rate-limit key so tests never share a semaphore."""

from __future__ import annotations

import itertools
from typing import Any

from graph_magic.connector.client import GraphConnector
from graph_magic.connector.config import SystemConfig, load_system
from graph_magic.connector.pacing import Pacer
from tests.support.fakes import FakeTokenProvider, RecordingSleep
from tests.support.graph import GRAPH

_KEYS = itertools.count()


def make_system(**overrides: Any) -> SystemConfig:
    """A bearer system on graph.microsoft.com with its own rate-limit key per call."""
    data: dict[str, Any] = {
        "base_url": GRAPH,
        "auth_type": "bearer",
        "token": "static-token",
        "rate_limit_key": f"test-{next(_KEYS)}",
    }
    data.update(overrides)
    return load_system(data, environ={})


def make_connector(
    tokens: FakeTokenProvider, sleeper: RecordingSleep, **overrides: Any
) -> GraphConnector:
    pacer = Pacer(clock=lambda: sum(sleeper.waits))  # time passes only by the fake sleep
    return GraphConnector(
        make_system(**overrides), sleep=sleeper, token_provider=tokens, pacer=pacer
    )
