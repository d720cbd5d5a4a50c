"""Fixtures shared by several test folders."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from traitlets.config import Config

from graph_magic.connector import pacing, telemetry


@pytest.fixture(autouse=True)
def fresh_pacer(monkeypatch: pytest.MonkeyPatch) -> pacing.Pacer:
    """A process-wide pacer of the test's own: budgets spent by one test never slow another."""
    pacer = pacing.Pacer()
    monkeypatch.setattr(pacing, "PACER", pacer)
    return pacer


@pytest.fixture
def otel() -> Iterator[tuple[InMemoryMetricReader, InMemorySpanExporter]]:
    """An OpenTelemetry SDK reading graph-magic's metrics and spans in memory, for one test."""
    reader = InMemoryMetricReader()
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    telemetry.use_providers(
        meter_provider=MeterProvider(metric_readers=[reader]), tracer_provider=tracer_provider
    )
    yield reader, exporter
    telemetry.use_providers()


def _interactive_shell() -> InteractiveShell:
    """IPython's one shell per process, created once with its history kept in memory."""
    if InteractiveShell.initialized():
        return InteractiveShell.instance()
    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    config.HistoryAccessor.enabled = False
    return InteractiveShell.instance(config=config)


@pytest.fixture
def graph_magic_systems() -> Path | None:
    """The folder ``shell`` names in $GRAPH_MAGIC_SYSTEMS; None hides the variable.

    A test module overrides this fixture to give its shell systems of its own.
    """
    return None


@pytest.fixture
def shell(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, graph_magic_systems: Path | None
) -> Iterator[InteractiveShell]:
    """A real InteractiveShell with graph_magic freshly loaded; unloaded (connectors closed) after.

    The shell is process-wide, so what a test changes in it (%config, names it binds) is put back.
    """
    monkeypatch.chdir(tmp_path)  # ./systems/ of the test run must not leak in
    if graph_magic_systems is None:
        monkeypatch.delenv("GRAPH_MAGIC_SYSTEMS", raising=False)
    else:
        monkeypatch.setenv("GRAPH_MAGIC_SYSTEMS", str(graph_magic_systems))
    ip = _interactive_shell()
    before = set(ip.user_ns)
    config = copy.deepcopy(ip.config)  # %config writes into the shell's config too
    ip.extension_manager.load_extension("graph_magic")
    try:
        yield ip
    finally:
        ip.extension_manager.unload_extension("graph_magic")
        ip.config = config
        for name in set(ip.user_ns) - before:
            del ip.user_ns[name]


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A tmp cwd and HOME with no GRAPH_* variables, so only the package's systems are seen."""
    home = tmp_path / "home"
    work = tmp_path / "work"
    home.mkdir()
    work.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(work)
    for name in (
        "GRAPH_MAGIC_SYSTEMS",
        "GRAPH_TOKEN",
        "GRAPH_TENANT_ID",
        "GRAPH_CLIENT_ID",
        "GRAPH_CLIENT_SECRET",
    ):
        monkeypatch.delenv(name, raising=False)
    return tmp_path
