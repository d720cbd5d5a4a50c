"""Graph's time-ordered log collections: which ones a scan may cut into time windows, and how.

A collection qualifies when Graph lists it by one timestamp (newest first by default) and
filters that timestamp with ``ge`` and ``lt``, so disjoint windows ``[start, end)`` cover it
exactly. Graph keeps these logs for a limited time: sign-ins, directory audits and
provisioning logs 30 days on Microsoft Entra ID P1/P2 (7 days on the free tier), which is the
range a scan is cut over when the request's own ``$filter`` gives no bounds.

Graph's reference pages list ``eq``, ``ge`` and ``le`` for these timestamps; ``lt`` is
accepted alike (scripts use it, and ``le`` cannot express a half-open window without
guessing the stored precision), and the sandbox honours both.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["TIME_ORDERED", "TimeOrdered", "time_ordered"]


@dataclass(frozen=True)
class TimeOrdered:
    """A log collection listed by one timestamp: its path, that property, and its retention."""

    path: str
    time_property: str
    retention_days: int


TIME_ORDERED: tuple[TimeOrdered, ...] = (
    TimeOrdered("/auditLogs/signIns", "createdDateTime", 30),
    TimeOrdered("/auditLogs/directoryAudits", "activityDateTime", 30),
    TimeOrdered("/auditLogs/provisioning", "activityDateTime", 30),
)
"""Every collection ``--parallel`` may cut into windows (paths below the version root)."""

_BY_PATH = {entry.path.lower(): entry for entry in TIME_ORDERED}


def time_ordered(path: str) -> TimeOrdered | None:
    """The entry for a collection path (``/auditLogs/signIns``, any case), None if it has none.

    ``path`` is below the version root, without query; a trailing slash is ignored.
    """
    key = "/" + path.partition("?")[0].strip("/").lower()
    return _BY_PATH.get(key)
