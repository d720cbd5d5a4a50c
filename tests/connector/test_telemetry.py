"""telemetry.py: the masked logger at DEBUG, spans and metrics with an SDK reader."""

from __future__ import annotations

import io
import logging
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from graph_magic.connector import telemetry
from graph_magic.connector.auth import make_token_provider
from graph_magic.connector.config import LoggingSettings, load_system
from graph_magic.connector.telemetry import (
    configure_logging,
    get_logger,
    log_auth,
    log_request,
    log_response,
)
from tests.connector.auth.identity_platform import FakeIdentityPlatform, make_jwt
from tests.support.child import run_child

SECRET = "Zx8~client-secret-value"
JWT = make_jwt({"aud": "https://graph.microsoft.com", "upn": "adele@contoso.com"})
DETAILED = LoggingSettings(enabled=True, request=True, response=True, auth=True, format="detailed")


# --------------------------------------------------------------------------- logging


@pytest.fixture
def detailed_log() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_logging(DETAILED, stream=stream)
    yield stream
    configure_logging(LoggingSettings())


def test_configure_logging_replaces_only_its_own_handler(detailed_log: io.StringIO) -> None:
    other = logging.NullHandler()
    telemetry.logger.addHandler(other)
    try:
        configure_logging(LoggingSettings(enabled=True, format="basic"))
        configure_logging(DETAILED, stream=detailed_log)
        ours = [h for h in telemetry.logger.handlers if h is not other]
        assert len(ours) == 1
        assert other in telemetry.logger.handlers
        assert telemetry.logger.level == logging.DEBUG
        configure_logging(LoggingSettings())
        assert telemetry.logger.handlers == [other]
        assert telemetry.logger.level == logging.WARNING
    finally:
        telemetry.logger.removeHandler(other)


def test_basic_format_logs_no_headers() -> None:
    stream = io.StringIO()
    settings = LoggingSettings(enabled=True, format="basic")
    configure_logging(settings, stream=stream)
    try:
        log_request(settings, "GET", "https://graph.microsoft.com/v1.0/me", {"X-A": "1"}, b"{}")
    finally:
        configure_logging(LoggingSettings())
    assert stream.getvalue() == "DEBUG graph_magic: --> GET https://graph.microsoft.com/v1.0/me\n"


def test_disabled_categories_log_nothing(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    quiet = LoggingSettings(enabled=True, request=False, response=False, auth=False)
    log_request(quiet, "GET", "https://h/x")
    log_response(quiet, "GET", "https://h/x", 200)
    log_auth(quiet, "token acquired")
    log_request(LoggingSettings(), "GET", "https://h/x")
    assert caplog.records == []


async def test_no_secret_in_any_log_record_at_debug_detailed(
    aad: FakeIdentityPlatform, caplog: pytest.LogCaptureFixture, detailed_log: io.StringIO
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger: ours, msal's, httpx's
    system = load_system(
        {
            "auth_type": "azure",
            "token_cache": False,
            "logging": {"enabled": True, "auth": True, "format": "detailed"},
            "credentials": {"tenant_id": "t", "client_id": "app-id", "client_secret": SECRET},
        },
        environ={},
    )
    provider = make_token_provider(system)
    token = await provider.get_token()
    url = "https://graph.microsoft.com/v1.0/users?$select=id"
    headers = {"Authorization": f"Bearer {token}", "Cookie": "s=1", "client-request-id": "c"}
    log_request(system.logging, "POST", url, headers, f'{{"password": "{SECRET}"}}'.encode())
    token_body = f'{{"access_token": "{token}", "refresh_token": "{JWT}"}}'
    log_response(system.logging, "POST", url, 200, {"Set-Cookie": "s=2"}, token_body, 0.1)
    log = get_logger("graph_magic.connector.client")
    log.debug("sent Authorization: Bearer %s with secret=%s", token, SECRET)
    telemetry.logger.info("raw body %s", f"client_secret={SECRET}&x=1")
    try:
        raise RuntimeError(f"failed with {JWT}")
    except RuntimeError:
        log.exception("request failed")

    assert caplog.records
    texts = [record.getMessage() + (record.exc_text or "") for record in caplog.records]
    texts.append(detailed_log.getvalue())
    for text in texts:
        for secret in (SECRET, token, JWT, "s=1", "s=2"):
            assert secret not in text, text
    joined = "\n".join(texts)
    assert "--> POST https://graph.microsoft.com/v1.0/users?$select=id" in joined
    assert "auth: token acquired" in joined
    assert "client-request-id" in joined  # detailed logs keep the harmless headers
    assert "[MainThread]" in detailed_log.getvalue()  # the detailed format


# --------------------------------------------------------------------------- OpenTelemetry


def _points(reader: InMemoryMetricReader) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    data = reader.get_metrics_data()
    for resource in data.resource_metrics if data else []:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                out.setdefault(metric.name, []).extend(metric.data.data_points)
    return out


def test_metrics_reach_an_sdk_reader(
    otel: tuple[InMemoryMetricReader, InMemorySpanExporter],
) -> None:
    reader, _ = otel
    telemetry.record_action_duration(0.25, method="GET", status_code=200, object_type="users")
    telemetry.record_semaphore_wait(0.01, rate_limit_key="https://graph.microsoft.com/v1.0")
    telemetry.record_retry(1.5, 2, 429)
    telemetry.record_retry(0.5, 3, "ConnectTimeout")
    telemetry.record_http_429(method="GET")
    telemetry.record_http_429(method="POST", batch_item=True)

    points = _points(reader)
    (duration,) = points["azure.perform_action.duration"]
    assert duration.sum == 0.25
    assert dict(duration.attributes) == {
        "http.request.method": "GET",
        "http.response.status_code": 200,
        "graph.object_type": "users",
    }
    assert points["azure.semaphore.wait.duration"][0].count == 1
    delays = {p.attributes["retry.attempt"]: p.sum for p in points["azure.request.retry.delay"]}
    assert delays == {2: 1.5, 3: 0.5}
    assert sum(p.value for p in points["azure.request.retry.attempts"]) == 2
    assert sum(p.value for p in points["azure.http_429"]) == 2


def test_instruments_are_created_once(
    otel: tuple[InMemoryMetricReader, InMemorySpanExporter],
) -> None:
    assert telemetry.instruments() is telemetry.instruments()


def test_spans_have_the_design_names_and_masked_urls(
    otel: tuple[InMemoryMetricReader, InMemorySpanExporter],
) -> None:
    _, exporter = otel
    with (
        telemetry.perform_action_span("users", "list", "GET", "https://h/r?sig=SAS"),
        telemetry.collect_pages_span("https://h/users", max_items=None) as span,
    ):
        span.set_attribute("graph.pages", 3)
    spans = {s.name: s for s in exporter.get_finished_spans()}
    assert set(spans) == {"azure.perform_action", "azure.collect_pages"}
    assert spans["azure.perform_action"].attributes["url.full"] == "https://h/r?sig=***"
    assert spans["azure.collect_pages"].attributes["graph.pages"] == 3
    assert spans["azure.collect_pages"].parent.span_id == (
        spans["azure.perform_action"].context.span_id
    )


def test_no_sdk_means_no_op() -> None:
    # Without an SDK every call is accepted and does nothing (opentelemetry-api only).
    telemetry.record_retry(0.1, 2, 503)
    with telemetry.perform_action_span(None, None, "GET", "https://h/x") as span:
        assert not span.is_recording()


def test_instruments_created_before_the_sdk_still_report_through_the_global_proxy() -> None:
    # The global MeterProvider can be set once per process, so this runs in a fresh one: the
    # instruments are created (proxies) first, the application installs its SDK afterwards.
    script = textwrap.dedent(
        """
        import json
        from opentelemetry import metrics
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import InMemoryMetricReader
        from graph_magic.connector import telemetry

        telemetry.record_http_429(method="GET")  # before any SDK: dropped
        reader = InMemoryMetricReader()
        metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))
        telemetry.record_http_429(method="GET")
        telemetry.record_retry(2.0, 2, 429)
        names = {
            m.name: m.data.data_points
            for rm in reader.get_metrics_data().resource_metrics
            for sm in rm.scope_metrics
            for m in sm.metrics
        }
        delay = names["azure.request.retry.delay"][0].sum
        print(json.dumps([sum(p.value for p in names["azure.http_429"]), delay]))
        """
    )
    assert run_child(script, bare_environment=True) == [1, 2.0]


def test_opentelemetry_loads_only_once_something_could_record_and_then_records() -> None:
    # A fresh process: until the application loads OpenTelemetry (here its SDK), spans and
    # measurements go nowhere without importing it; the next ones after reach the SDK.
    script = textwrap.dedent(
        """
        import json
        import sys
        from graph_magic.connector import telemetry

        telemetry.record_http_429(method="GET")
        with telemetry.perform_action_span(None, None, "GET", "https://h/x") as span:
            span.set_attribute("http.response.status_code", 200)
        loaded_before = "opentelemetry" in sys.modules
        from opentelemetry import metrics, trace
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import InMemoryMetricReader
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

        reader, exporter, tracing = InMemoryMetricReader(), InMemorySpanExporter(), TracerProvider()
        tracing.add_span_processor(SimpleSpanProcessor(exporter))
        metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))
        trace.set_tracer_provider(tracing)
        telemetry.record_http_429(method="GET")
        with telemetry.perform_action_span(None, None, "GET", "https://h/x") as span:
            span.set_attribute("http.response.status_code", 200)
        counted = [
            sum(p.value for p in m.data.data_points)
            for rm in reader.get_metrics_data().resource_metrics
            for sm in rm.scope_metrics
            for m in sm.metrics
            if m.name == "azure.http_429"
        ]
        spans = [s.name for s in exporter.get_finished_spans()]
        print(json.dumps([loaded_before, counted, spans]))
        """
    )
    assert run_child(script, bare_environment=True) == [False, [1], ["azure.perform_action"]]
