"""Why a retry policy gave up: a plain value shared by the policy, the errors and the hints.

It sits apart from ``retry.py`` so that ``graph_magic.errors`` can name it without importing
the policy (which imports the errors): the errors carry it, ``hints.retry_hint`` explains it.
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
