"""The sandbox's one fixed clock and every text form of its instants.

Answers never read "now": generated data ends at :data:`DATA_END` and the app's clock starts at
:data:`CLOCK_START`, ticking one second per request, so the same seed and request sequence give
byte-identical answers on any day. Every timestamp the sandbox writes (Graph's ISO forms, the
HTTP ``Date``, Entra's error timestamps, OData literals) is formatted here, once.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, formatdate

DATA_END = datetime(2025, 6, 1, 0, 0, 0, tzinfo=UTC)
"""Logs and activity span the 30 days before this instant; creation dates lie further back."""

CLOCK_START = DATA_END + timedelta(days=1, hours=9)
"""The fixed clock's first instant; each Graph request advances it by one second."""

_END_TS = int(DATA_END.timestamp())


def at_tick(tick: int) -> datetime:
    """The fixed clock's instant after ``tick`` requests."""
    return CLOCK_START + timedelta(seconds=tick)


def iso_z(moment: datetime) -> str:
    """Graph's timestamp form for stored data: seconds precision, 'Z'."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_millis(moment: datetime) -> str:
    """Graph's audit-log timestamp form: milliseconds, 'Z'."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def iso_seconds(moment: datetime) -> str:
    """``2024-06-01T09:00:05``, as Graph's innerError dates (no zone)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def iso_seconds_at(epoch: float) -> str:
    """:func:`iso_seconds` of an epoch instant (fault answers carry epoch seconds)."""
    return iso_seconds(datetime.fromtimestamp(int(epoch), UTC))


def odata_datetime(moment: datetime) -> str:
    """A DateTimeOffset as the filter compares it: UTC, seconds, then a 7-digit fraction."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond * 10:07d}"


def dt_key(value: object) -> str | None:
    """A sortable key for an ISO timestamp string (seconds, then a 7-digit fraction)."""
    if not isinstance(value, str) or len(value) < 19:
        return None
    frac = ""
    if len(value) > 20 and value[19] == ".":
        frac = value[20:].rstrip("Zz")
    return value[:19] + "." + frac.ljust(7, "0")[:7]


def http_date(moment: datetime) -> str:
    """The HTTP ``Date`` header's form of an instant."""
    return format_datetime(moment, True)


def http_date_at(epoch: float) -> str:
    """The HTTP-date form of an epoch instant (``Retry-After`` dates, faulted answers)."""
    return formatdate(epoch, usegmt=True)


def entra_timestamp(epoch: float) -> str:
    """``2025-06-02 09:00:00Z``, the form Entra ID's error answers carry."""
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def day_before_end(days: int) -> str:
    """The date (``YYYY-MM-DD``) ``days`` before :data:`DATA_END` (report refresh dates)."""
    return (DATA_END - timedelta(days=days)).strftime("%Y-%m-%d")


class Clockwork:
    """Formats 'seconds before DATA_END' as ISO text fast: each day's date string and each
    second's time of day are formatted once, when first needed, so a timestamp is two lookups
    (strftime per object was most of the cost of a 200,000-user tenant, and a table of all
    86,400 times built up front was a tenth of a small tenant's first request)."""

    def __init__(self) -> None:
        self._days: dict[int, str] = {}
        self._times: dict[int, str] = {}

    def before_end(self, seconds: int) -> str:
        """:func:`iso_z` of the instant ``seconds`` before :data:`DATA_END`."""
        day, rest = divmod(_END_TS - seconds, 86400)
        text = self._days.get(day)
        if text is None:
            text = datetime.fromtimestamp(day * 86400, UTC).strftime("%Y-%m-%dT")
            self._days[day] = text
        of_day = self._times.get(rest)
        if of_day is None:
            minutes, second = divmod(rest, 60)
            of_day = f"{minutes // 60:02d}:{minutes % 60:02d}:{second:02d}Z"
            self._times[rest] = of_day
        return text + of_day
