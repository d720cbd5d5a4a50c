"""The retry policy: which answers are retried, how long to wait, and when to give up.

Declared with tenacity rather than written as a loop. The wait is the larger of exponential
backoff (with jitter) and the server's own Retry-After, read in every form Graph and Azure use:
seconds, fractional seconds, an HTTP date, or milliseconds under the ``-ms`` header names. Two
budgets stop it: ``max_attempts`` and ``max_total_seconds`` (the sum of the waits, so an
injected fake sleep sees the same decisions as a real one). The policy records which one did
(:class:`RetryStop`), so the error a user finally sees can name the setting to raise.

POST and PATCH are not idempotent: they are retried only on 429 (Graph throttles before acting)
and on failures that happened before the request left (connect errors, pool timeouts), never on
5xx or a read timeout, so nothing is submitted twice.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

import httpx

from graph_magic.connector.retry_stop import RetryStop, StopReason

if TYPE_CHECKING:
    from tenacity import RetryCallState

RETRY_ATTEMPT_HEADER = "Retry-Attempt"
NON_IDEMPOTENT = frozenset({"POST", "PATCH"})
# Statuses a $batch sub-request is retried on, alone, in a later batch.
BATCH_RETRY_STATUSES = frozenset({429, 503, 504})

# Failures where the request never reached the server: safe to resend whatever the method.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# Failures during or after sending: resent only for idempotent methods.
_MAYBE_SENT = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


class RetrySettingsLike(Protocol):
    """The fields of ``config.RetrySettings`` this module reads."""

    max_attempts: int
    backoff_base: float
    backoff_factor: float
    jitter: float
    retry_on_status: tuple[int, ...]
    retry_after_header_names: tuple[str, ...]
    max_total_seconds: float


OnRetry = Callable[[int, float, "int | str"], None]
"""Called before each wait with (attempt number just failed, delay, status or error name)."""


def parse_retry_after(
    headers: Mapping[str, str],
    names: tuple[str, ...] | list[str],
    *,
    now: Callable[[], float] = time.time,
) -> float | None:
    """Seconds the server asked us to wait, or None when it did not say (or said nonsense).

    Names ending in ``-ms`` hold milliseconds; the others hold seconds (integer or fractional,
    or the odd ``"N,N"`` form) or an HTTP date. When several are present the largest wins.
    """
    lookup = headers if isinstance(headers, httpx.Headers) else httpx.Headers(headers)
    found: list[float] = []
    for name in names:
        raw = lookup.get(name)
        if raw is None:
            continue
        value = _parse_one(raw.strip(), milliseconds=name.lower().endswith("-ms"), now=now)
        if value is not None:
            found.append(value)
    return max(found) if found else None


def _parse_one(raw: str, *, milliseconds: bool, now: Callable[[], float]) -> float | None:
    first = raw.split(",", 1)[0].strip()
    try:
        number = float(first)
    except ValueError:
        number = None
    if number is not None:
        if number != number or number < 0:  # NaN or negative
            return None
        return number / 1000.0 if milliseconds else number
    if milliseconds:
        return None
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - now())


def backoff_delay(
    attempt: int, settings: RetrySettingsLike, rng: Callable[[], float] = random.random
) -> float:
    """Exponential backoff for the wait after ``attempt`` (1-based), plus up to ``jitter`` of it."""
    base = settings.backoff_base * settings.backoff_factor ** max(attempt - 1, 0)
    return base * (1.0 + settings.jitter * rng())


def status_is_retried(status: int, method: str, settings: RetrySettingsLike) -> bool:
    """Whether an answer with ``status`` is worth another try for ``method``."""
    if method.upper() in NON_IDEMPOTENT:
        return status == 429
    return status in settings.retry_on_status


def exception_is_retried(exc: BaseException, method: str) -> bool:
    """Whether a transport failure is worth another try for ``method``."""
    if isinstance(exc, _NOT_SENT):
        return True
    return method.upper() not in NON_IDEMPOTENT and isinstance(exc, _MAYBE_SENT)


class RetryPolicy:
    """One request's retry decisions, built into a tenacity ``AsyncRetrying``.

    ``attempts`` tells the caller how many tries were made and ``stop`` why it gave up while
    the answer was still retryable (None when it did not), for the error it may raise.
    """

    def __init__(
        self,
        settings: RetrySettingsLike,
        method: str,
        *,
        sleep: Callable[[float], Awaitable[Any]],
        on_retry: OnRetry | None = None,
        now: Callable[[], float] = time.time,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.settings = settings
        self.method = method.upper()
        self._sleep = sleep
        self._on_retry = on_retry
        self._now = now
        self._rng = rng
        self.attempts = 0
        self.stop: RetryStop | None = None
        # What the last retryable answer's Retry-After asked for; read by _stop right after.
        self._asked: float | None = None

    def _should_retry(self, state: RetryCallState) -> bool:
        outcome = state.outcome
        if outcome is None:
            return False
        if outcome.failed:
            return exception_is_retried(outcome.exception(), self.method)
        response: httpx.Response = outcome.result()
        return status_is_retried(response.status_code, self.method, self.settings)

    def _wait(self, state: RetryCallState) -> float:
        delay = backoff_delay(state.attempt_number, self.settings, self._rng)
        outcome = state.outcome
        self._asked = None
        if outcome is not None and not outcome.failed:
            self._asked = parse_retry_after(
                outcome.result().headers, self.settings.retry_after_header_names, now=self._now
            )
            if self._asked is not None:
                delay = max(delay, self._asked)
        return delay

    def _stop(self, state: RetryCallState) -> bool:
        # tenacity asks after _wait, so upcoming_sleep is the wait this retry would need.
        settings = self.settings
        reason: StopReason
        if state.attempt_number >= settings.max_attempts:
            reason = "max_attempts"
        elif state.idle_for + state.upcoming_sleep > settings.max_total_seconds:
            left = settings.max_total_seconds - state.idle_for
            too_long = self._asked is not None and self._asked > left
            reason = "retry_after" if too_long else "max_total_seconds"
        else:
            return False
        self.stop = RetryStop(
            reason=reason,
            attempts=state.attempt_number,
            max_attempts=settings.max_attempts,
            max_total_seconds=settings.max_total_seconds,
            waited=state.idle_for,
            next_wait=0.0 if reason == "max_attempts" else state.upcoming_sleep,
            retry_after=self._asked,
        )
        return True

    def _before_sleep(self, state: RetryCallState) -> None:
        if self._on_retry is None:
            return
        outcome = state.outcome
        assert outcome is not None
        if outcome.failed:
            cause: int | str = type(outcome.exception()).__name__
        else:
            cause = outcome.result().status_code
        self._on_retry(state.attempt_number, state.upcoming_sleep, cause)

    @staticmethod
    def _give_up(state: RetryCallState) -> Any:
        # Out of budget: hand back the last answer (or raise the last exception) so the caller
        # reports what Graph actually said, with the attempt count.
        assert state.outcome is not None
        return state.outcome.result()

    async def run(self, send: Callable[[int], Awaitable[httpx.Response]]) -> httpx.Response:
        """Call ``send(attempt)`` until it gives an answer not worth retrying or budgets run out.

        ``attempt`` is 1 for the first try; the caller adds ``Retry-Attempt: attempt - 1``
        on retries. The first try runs outside tenacity: nearly every request succeeds at once,
        and setting up tenacity's loop costs more than the request's own Python work (importing
        tenacity, on the first retry of the process, costs more than a whole sandbox request).
        A first answer worth retrying becomes tenacity's attempt 1, so every later decision
        (waits, budgets, the stop reason) is the one tenacity would have made from the start.
        """
        self.attempts = 1
        try:
            first = await send(1)
        except Exception as exc:
            if not exception_is_retried(exc, self.method):
                raise
            first_outcome: httpx.Response | Exception = exc
        else:
            if not status_is_retried(first.status_code, self.method, self.settings):
                return first
            first_outcome = first
        replay: list[httpx.Response | Exception] = [first_outcome]

        async def attempt() -> httpx.Response:
            if replay:
                outcome = replay.pop()
                if isinstance(outcome, Exception):
                    raise outcome
                return outcome
            self.attempts += 1
            return await send(self.attempts)

        from tenacity import AsyncRetrying

        retrying = AsyncRetrying(
            sleep=self._sleep,
            stop=self._stop,
            wait=self._wait,
            retry=self._should_retry,
            before_sleep=self._before_sleep,
            retry_error_callback=self._give_up,
        )
        return await retrying(attempt)
