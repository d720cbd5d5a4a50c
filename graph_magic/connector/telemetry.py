"""Telemetry: the masked ``graph_magic`` logger, OpenTelemetry spans and metric instruments.

Logging is off by default and, when on, never shows a secret: every record passes a filter that
applies :mod:`graph_magic.connector.masking`, and the detailed lines mask headers and bodies
before they are written. Tracing and metrics use opentelemetry-api only,
which is a no-op until the application installs an SDK; the instruments are created once, from the
global (proxy) providers, so an SDK installed later still receives every measurement. While
nothing could record (no provider given, no OpenTelemetry module loaded, no provider named in
the environment) the API is not even imported, which keeps 10 ms off a kernel's first cell; the
check is made again at every call, so an SDK installed later is used from its next request.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from graph_magic.connector.config import LoggingSettings
from graph_magic.connector.masking import mask_headers, mask_sent_secrets, mask_text, mask_url

if TYPE_CHECKING:
    from opentelemetry import metrics, trace

__all__ = [
    "Instruments",
    "collect_pages_span",
    "configure_logging",
    "get_logger",
    "instruments",
    "log_auth",
    "log_request",
    "log_response",
    "logger",
    "perform_action_span",
    "record_action_duration",
    "record_http_429",
    "record_retry",
    "record_semaphore_wait",
    "tracer",
    "use_providers",
]

logger = logging.getLogger("graph_magic")

# --------------------------------------------------------------------------- the masked logger


class _MaskingFilter(logging.Filter):
    """Rewrites each record's message (and traceback text) with secrets masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken %-format is logging's problem to report, not ours
            return True
        record.msg = mask_text(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        return True


_FILTER = _MaskingFilter()
logger.addFilter(_FILTER)
# The HTTP libraries underneath log too (httpx each request's URL at INFO, httpcore the
# answer's headers at DEBUG, Set-Cookie included); whoever turns the root logger up must not
# get a SAS signature or a cookie from them either. A filter binds to the logger it is on.
for _library in ("httpx", "httpcore.connection", "httpcore.http11", "httpcore.http2"):
    logging.getLogger(_library).addFilter(_FILTER)


def get_logger(name: str) -> logging.Logger:
    """A child of the ``graph_magic`` logger that masks its records too.

    A filter on a logger only sees records logged on that very logger, so each module's logger
    gets its own masking filter; then no handler anywhere (pytest's caplog, the root logger's)
    receives an unmasked secret.
    """
    child = logger.getChild(name.removeprefix("graph_magic."))
    if _FILTER not in child.filters:
        child.addFilter(_FILTER)
    return child


_FORMATS = {
    "basic": "%(levelname)s %(name)s: %(message)s",
    "detailed": "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s",
}


class _GraphMagicHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The handler configure_logging installs; its type marks it as ours to replace."""


def configure_logging(
    settings: LoggingSettings, *, stream: IO[str] | None = None
) -> logging.Handler | None:
    """Apply a system's ``logging`` settings to the ``graph_magic`` logger.

    Replaces the handler a previous call installed (never anyone else's). Disabled settings
    remove it and leave the logger at WARNING. Returns the handler, if any.
    """
    for handler in list(logger.handlers):
        if isinstance(handler, _GraphMagicHandler):
            logger.removeHandler(handler)
            handler.close()
    if not settings.enabled:
        logger.setLevel(logging.WARNING)
        return None
    handler = _GraphMagicHandler(stream)
    handler.setFormatter(logging.Formatter(_FORMATS[settings.format]))
    handler.addFilter(_FILTER)
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    return handler


def log_request(
    settings: LoggingSettings,
    method: str,
    url: str,
    headers: Mapping[str, str] | None = None,
    body: bytes | str | None = None,
) -> None:
    """Log an outgoing request per ``settings`` (detailed adds masked headers and body)."""
    if not (settings.enabled and settings.request):
        return
    line = f"--> {method} {mask_url(url)}"
    if settings.format == "detailed":
        line += _details(headers, body)
    logger.debug(line)


def log_response(
    settings: LoggingSettings,
    method: str,
    url: str,
    status_code: int,
    headers: Mapping[str, str] | None = None,
    body: bytes | str | None = None,
    elapsed: float | None = None,
    sent: bytes | None = None,
) -> None:
    """Log a response per ``settings`` (detailed adds masked headers and body).

    ``sent`` is the request's body: a secret it held that the answer repeats is masked too.
    """
    if not (settings.enabled and settings.response):
        return
    took = f" in {elapsed * 1000:.0f} ms" if elapsed is not None else ""
    line = f"<-- {status_code} {method} {mask_url(url)}{took}"
    if settings.format == "detailed":
        line += mask_sent_secrets(_details(headers, body), sent)
    logger.debug(line)


def log_auth(settings: LoggingSettings, message: str, **fields: Any) -> None:
    """Log a token event (acquired, refreshed, failed) per ``settings``; never the token."""
    if not (settings.enabled and settings.auth):
        return
    extra = " ".join(f"{k}={v}" for k, v in fields.items())
    logger.debug(mask_text(f"auth: {message} {extra}".rstrip()))


_BODY_LIMIT = 4000


def _details(headers: Mapping[str, str] | None, body: bytes | str | None) -> str:
    text = ""
    if headers:
        text += f"\n    headers: {mask_headers(headers)}"
    if body:
        if isinstance(body, bytes):
            body = body.decode("utf-8", errors="replace")
        clipped = body if len(body) <= _BODY_LIMIT else body[:_BODY_LIMIT] + "...(truncated)"
        text += f"\n    body: {mask_text(clipped)}"
    return text


# --------------------------------------------------------------------------- OpenTelemetry


@dataclass(frozen=True)
class Instruments:
    """The metric instruments DESIGN names, created once per meter provider."""

    perform_action_duration: metrics.Histogram
    semaphore_wait_duration: metrics.Histogram
    pacing_wait_duration: metrics.Histogram
    retry_delay: metrics.Histogram
    retry_attempts: metrics.Counter
    http_429: metrics.Counter


# Each Instruments field: (histogram or counter, OpenTelemetry name, unit, description).
_INSTRUMENT_SPECS: dict[str, tuple[str, str, str, str]] = {
    "perform_action_duration": (
        "histogram",
        "azure.perform_action.duration",
        "s",
        "Time for one perform_action call, every page and retry included",
    ),
    "semaphore_wait_duration": (
        "histogram",
        "azure.semaphore.wait.duration",
        "s",
        "Time a request waited for a slot under max_concurrent_requests",
    ),
    "pacing_wait_duration": (
        "histogram",
        "azure.pacing.wait.duration",
        "s",
        "Time a request waited for its service family's budget (client-side pacing)",
    ),
    "retry_delay": (
        "histogram",
        "azure.request.retry.delay",
        "s",
        "Wait before a retry (backoff or the server's Retry-After)",
    ),
    "retry_attempts": (
        "counter",
        "azure.request.retry.attempts",
        "{retry}",
        "Retries sent after a retryable status or a transport error",
    ),
    "http_429": (
        "counter",
        "azure.http_429",
        "{response}",
        "429 Too Many Requests answers received (batch items included)",
    ),
}


def _instrument(
    meter: metrics.Meter, kind: str, name: str, unit: str, description: str
) -> metrics.Histogram | metrics.Counter:
    create = meter.create_histogram if kind == "histogram" else meter.create_counter
    return create(name, unit=unit, description=description)


# Process-wide telemetry state, in one place: the tracer and instruments, built lazily from the
# global providers (or the ones use_providers() set), guarded by _TELEMETRY_LOCK.
_TELEMETRY_LOCK = threading.Lock()
_STATE: dict[str, Any] = {"meter_provider": None, "tracer_provider": None}


def use_providers(*, meter_provider: Any = None, tracer_provider: Any = None) -> None:
    """Send graph-magic's telemetry to these providers instead of the global ones.

    For applications (and tests) that keep their SDK providers out of the global slot, which
    OpenTelemetry lets be set only once per process. ``None`` goes back to the global provider.
    """
    with _TELEMETRY_LOCK:
        _STATE.clear()
        _STATE.update(meter_provider=meter_provider, tracer_provider=tracer_provider)


# The API's variables naming a provider it loads by itself on first use.
_PROVIDER_VARIABLES = ("OTEL_PYTHON_TRACER_PROVIDER", "OTEL_PYTHON_METER_PROVIDER")


def _could_record() -> bool:
    """Whether a span or a measurement could reach anyone: a provider was given, some code
    loaded OpenTelemetry (an SDK, an instrumentation), or the environment names a provider."""
    return (
        _STATE["tracer_provider"] is not None
        or _STATE["meter_provider"] is not None
        or "opentelemetry" in sys.modules
        or any(name in os.environ for name in _PROVIDER_VARIABLES)
    )


class _Unrecorded:
    """The span, tracer and instruments used while nothing could record: each call is a no-op."""

    @contextlib.contextmanager
    def start_as_current_span(self, name: str, **_: Any) -> Iterator[_Unrecorded]:
        yield self

    def set_attribute(self, key: str, value: Any) -> None:
        pass

    def record(self, amount: float, attributes: Any = None) -> None:
        pass

    def add(self, amount: float, attributes: Any = None) -> None:
        pass


_UNRECORDED = _Unrecorded()
_UNRECORDED_INSTRUMENTS = Instruments(*[_UNRECORDED] * len(_INSTRUMENT_SPECS))  # type: ignore[arg-type]


def tracer() -> trace.Tracer:
    """The ``graph_magic`` tracer (a proxy that starts recording once an SDK is installed)."""
    with _TELEMETRY_LOCK:
        if "tracer" not in _STATE:
            if not _could_record():
                return _UNRECORDED  # type: ignore[return-value]
            from opentelemetry import trace

            provider = _STATE["tracer_provider"]
            _STATE["tracer"] = (
                provider.get_tracer("graph_magic") if provider else trace.get_tracer("graph_magic")
            )
        return _STATE["tracer"]


def instruments() -> Instruments:
    """The metric instruments, created on first use and reused afterwards."""
    with _TELEMETRY_LOCK:
        if "instruments" not in _STATE:
            if not _could_record():
                return _UNRECORDED_INSTRUMENTS
            from opentelemetry import metrics

            provider = _STATE["meter_provider"]
            meter = (
                provider.get_meter("graph_magic") if provider else metrics.get_meter("graph_magic")
            )
            _STATE["instruments"] = Instruments(
                **{field: _instrument(meter, *spec) for field, spec in _INSTRUMENT_SPECS.items()}
            )
        return _STATE["instruments"]


@contextlib.contextmanager
def perform_action_span(
    object_type: str | None, action: str | None, method: str, url: str, **attributes: Any
) -> Iterator[trace.Span]:
    """The ``azure.perform_action`` span around one connector call (URL masked)."""
    attrs = {
        "graph.object_type": object_type or "",
        "graph.action": action or "",
        "http.request.method": method,
        "url.full": mask_url(url),
        **{k: v for k, v in attributes.items() if v is not None},
    }
    with tracer().start_as_current_span("azure.perform_action", attributes=attrs) as span:
        yield span


@contextlib.contextmanager
def collect_pages_span(url: str, **attributes: Any) -> Iterator[trace.Span]:
    """The ``azure.collect_pages`` span around a paging scan; set ``graph.pages`` at the end."""
    attrs = {"url.full": mask_url(url), **{k: v for k, v in attributes.items() if v is not None}}
    with tracer().start_as_current_span("azure.collect_pages", attributes=attrs) as span:
        yield span


def record_action_duration(
    seconds: float, *, method: str, status_code: int | None = None, object_type: str | None = None
) -> None:
    """Record ``azure.perform_action.duration``."""
    attrs: dict[str, Any] = {"http.request.method": method}
    if status_code is not None:
        attrs["http.response.status_code"] = status_code
    if object_type:
        attrs["graph.object_type"] = object_type
    instruments().perform_action_duration.record(seconds, attrs)


def record_semaphore_wait(seconds: float, *, rate_limit_key: str | None = None) -> None:
    """Record ``azure.semaphore.wait.duration``."""
    attrs = {"graph.rate_limit_key": rate_limit_key} if rate_limit_key else {}
    instruments().semaphore_wait_duration.record(seconds, attrs)


def record_retry(delay: float, attempt: int, status: int | str | None) -> None:
    """Record one retry: its wait in ``azure.request.retry.delay`` and a count in ``.attempts``.

    ``attempt`` is the number of the attempt about to be sent (2 for the first retry);
    ``status`` the HTTP status that caused it, or an error name such as ``"ConnectTimeout"``.
    """
    attrs: dict[str, Any] = {"retry.attempt": attempt}
    if isinstance(status, int):
        attrs["http.response.status_code"] = status
    elif status:
        attrs["error.type"] = status
    inst = instruments()
    inst.retry_delay.record(delay, attrs)
    inst.retry_attempts.add(1, attrs)


def record_http_429(*, method: str | None = None, batch_item: bool = False) -> None:
    """Count one 429 answer in ``azure.http_429``."""
    attrs: dict[str, Any] = {"graph.batch_item": batch_item}
    if method:
        attrs["http.request.method"] = method
    instruments().http_429.add(1, attrs)
