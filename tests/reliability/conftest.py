"""Fixtures of the reliability suite: a recording sleep and OpenTelemetry metrics read back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.reliability.reliability_kit import Metrics, RecordingSleep


@pytest.fixture
def sleeper() -> RecordingSleep:
    """The connector's sleep: records the waits, never waits."""
    return RecordingSleep()


@pytest.fixture
def metrics() -> Iterator[Metrics]:
    """graph-magic's metric instruments recorded into an in-memory SDK reader."""
    with Metrics() as reader:
        yield reader
