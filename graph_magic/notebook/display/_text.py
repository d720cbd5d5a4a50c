"""Text shared by every display block: counted nouns, status phrases, and pinned pandas options.

Results are compared by nbval, so a table must render the same whatever ``pd.set_option`` the
user ran in the session: every frame is turned into text or HTML here, under fixed options.
"""

from __future__ import annotations

import http
from urllib.parse import urlsplit

import pandas as pd

TEXT_OPTIONS = {
    "display.precision": 6,
    "display.max_colwidth": 50,
    "display.width": 120,
    "display.max_columns": 20,
    "display.max_rows": 60,
    "display.show_dimensions": False,
    "display.unicode.east_asian_width": False,
    "display.float_format": None,
}
"""The pandas options every shown table is rendered under (never the session's own)."""


def plural(count: int, word: str, many: str | None = None) -> str:
    """``1 row``, ``2,345 rows``; ``many`` for nouns that do not take an ``s`` (properties)."""
    return f"{count:,} {word}" if count == 1 else f"{count:,} {many or word + 's'}"


def phrase(status: int) -> str:
    """The HTTP reason phrase for ``status`` ("Not Found"), or "" for a code HTTP does not name."""
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""


def name_of(url: str) -> str:
    """The last path segment of the requested URL: ``users``, ``members``, ``$count``."""
    path = urlsplit(url).path.rstrip("/")
    return path.rsplit("/", 1)[-1] or path or url


def _pinned() -> list[object]:
    return [item for pair in TEXT_OPTIONS.items() for item in pair]


def frame_text(frame: pd.DataFrame, max_rows: int, *, index: bool = True) -> str:
    """``frame`` as text under the pinned options, at most ``max_rows`` rows (head and tail)."""
    with pd.option_context(*_pinned()):
        return frame.to_string(
            index=index,
            max_rows=max_rows,
            min_rows=min(max_rows, 10),
            max_cols=TEXT_OPTIONS["display.max_columns"],
            max_colwidth=TEXT_OPTIONS["display.max_colwidth"],
            line_width=TEXT_OPTIONS["display.width"],
            show_dimensions=False,
        )


def frame_html(frame: pd.DataFrame, max_rows: int | None, *, index: bool = True) -> str:
    """``frame`` as an escaped HTML table under the pinned options."""
    with pd.option_context(*_pinned()):
        return frame.to_html(
            index=index,
            max_rows=max_rows,
            max_cols=TEXT_OPTIONS["display.max_columns"],
            escape=True,
            border=0,
            show_dimensions=False,
            notebook=False,
        )
