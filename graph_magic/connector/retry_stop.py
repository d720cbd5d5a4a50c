"""Why a retry policy gave up: a plain value shared by the policy, the errors and the hints.

It sits apart from ``retry.py`` so that ``graph_magic.errors`` can name it without importing
the policy (which imports the errors): the errors carry it and show its ``hint``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["RetryStop", "StopReason"]

StopReason = Literal["max_attempts", "max_total_seconds", "retry_after"]


@dataclass(frozen=True, slots=True)
class RetryStop:
    """Why retrying gave up while the answer was still worth retrying, with the figures.

    ``reason`` is ``max_attempts`` (the attempt count ran out), ``max_total_seconds`` (the next
    wait would pass the time budget) or ``retry_after`` (the server's Retry-After alone is longer
    than what is left of the time budget). ``waited`` is the time already spent waiting,
    ``next_wait`` the wait that did not fit (0 for ``max_attempts``) and ``retry_after`` what
    the server asked for, when it said.
    """

    reason: StopReason
    attempts: int
    max_attempts: int
    max_total_seconds: float
    waited: float
    next_wait: float
    retry_after: float | None

    @property
    def remaining(self) -> float:
        """Seconds of the time budget not yet spent waiting."""
        return max(self.max_total_seconds - self.waited, 0.0)

    @property
    def hint(self) -> str:
        """Why retrying gave up and which ``retry`` setting to raise.

        Without this a budget that ran out reads like a server that never recovered: the user
        could not tell whether more attempts or a longer time budget would have helped.
        """
        tries = f"{self.attempts} attempt{'s' if self.attempts != 1 else ''}"
        if self.reason == "max_attempts":
            return (
                f"Retries stopped after {tries} because retry.max_attempts ({self.max_attempts}) "
                "was reached; raise retry.max_attempts in the system config to try more times."
            )
        budget = _seconds(self.max_total_seconds)
        if self.reason == "retry_after" and self.retry_after is not None:
            return (
                f"Retries stopped after {tries} because the server asked to wait "
                f"{_seconds(self.retry_after)} (Retry-After), more than the "
                f"{_seconds(self.remaining)} left of the retry.max_total_seconds budget of "
                f"{budget}; raise retry.max_total_seconds in the system config to honour such "
                "waits."
            )
        return (
            f"Retries stopped after {tries} because the retry.max_total_seconds budget of {budget} "
            f"was used up ({_seconds(self.waited)} waited, the next wait of "
            f"{_seconds(self.next_wait)} would pass it); raise retry.max_total_seconds in the "
            "system config to keep retrying longer."
        )


def _seconds(value: float) -> str:
    """``150 s``, ``1.5 s``: two decimals at most, no trailing zeros."""
    return f"{value:.2f}".rstrip("0").rstrip(".") + " s"
