"""What one request returned, ready to show: ``GraphResult`` and its ``ResultKind``.

The magic builds a ``GraphResult`` after each request and hands it to IPython's display. Its
``text/plain`` form is deterministic for a deterministic server (rows, pages, whether more
remained, the table rendered with pinned options: never timings, request ids or dates), so
nbval can compare notebooks. The HTML form adds the elapsed time and Graph's request id inside
``<span class="gm-elapsed">`` and ``<span class="gm-request-id">`` so a notebook check can
sanitize exactly those.

A result is one of a few kinds (``ResultKind``): what the kind is decides what the result
carries (a frame of rows, a property table, a value) and how it shows. ``classify.make_result``
picks the kind from an answer; ``GraphResult.from_items`` builds a collection gathered from pages.

This module never imports the connector: the magic passes data and callables in.
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple

import pandas as pd

from graph_magic.notebook.column_types import KindLookup, concat_frames
from graph_magic.notebook.display._frontend import widget_frontend_available
from graph_magic.notebook.display._table import table_html
from graph_magic.notebook.display._text import frame_text, name_of, phrase, plural
from graph_magic.notebook.display.pager import Pager
from graph_magic.notebook.frames import items_to_frame, order_columns

__all__ = [
    "Fetched",
    "GraphResult",
    "Loader",
    "ResultKind",
]


class Fetched(NamedTuple):
    """What one "fetch more" brought: the items, where Graph left off, and how it went."""

    items: list[dict[str, Any]]
    next_link: str | None
    pages: int
    request_id: str | None
    """Graph's request id for the last page fetched (None when no page was asked for)."""
    elapsed: float
    """Seconds the fetch took."""


Loader = Callable[[str, "int | None"], Fetched]
"""``loader(next_link, limit) -> Fetched``: how a result fetches more."""
OnChange = Callable[["GraphResult"], None]


class ResultKind(StrEnum):
    """What an answer was, and so what its result carries. Equal to its value: ``"collection"``."""

    COLLECTION = "collection"
    """A collection's items as a frame of rows; pages, nextLink and @odata.count are known."""
    CSV = "csv"
    """A CSV download (usage reports) as a frame of rows."""
    ENTITY = "entity"
    """One object: ``value`` is Graph's JSON, the frame its property/value table."""
    NUMBER = "number"
    """A ``$count`` or other plain number in ``value``."""
    TEXT = "text"
    """A ``text/plain`` answer in ``value``."""
    IMAGE = "image"
    """Image bytes (a photo's ``$value``) in ``value``."""
    EMPTY = "empty"
    """No body: a 204, or an empty answer."""
    ERROR = "error"
    """A 4xx/5xx answer kept as a result by ``--expect``; ``value`` is Graph's error body."""
    RAW = "raw"
    """``--raw``: Graph's JSON as it came, in ``value``, never a frame."""

    @property
    def has_rows(self) -> bool:
        """A collection or a CSV: the frame holds rows, which can be paged and counted."""
        return self in (ResultKind.COLLECTION, ResultKind.CSV)

    @property
    def shows_frame(self) -> bool:
        """The body is the frame (rows, or an entity's property table)."""
        return self.has_rows or self is ResultKind.ENTITY


@dataclass(eq=False, repr=False, kw_only=True)
class GraphResult:
    """What one request returned, ready to show: a frame, a value, and what was (not) fetched.

    A plain object: the magic fills it in; ``attach_loader`` makes "fetch more" possible.
    ``kind`` takes a ``ResultKind`` or its string (``"collection"``).
    """

    method: str = "GET"
    url: str = ""
    status_code: int = 200
    kind: ResultKind = ResultKind.COLLECTION
    frame: pd.DataFrame | None = None
    value: Any = None
    pages: int = 1
    more: bool = False
    next_link: str | None = None
    count: int | None = None
    truncated_reason: str | None = None
    max_items: int | None = None
    elapsed: float | None = None
    request_id: str | None = None
    fetches: int = 1
    last_request_id: str | None = None
    label: str | None = None
    csv_path: str | None = None
    parquet_path: str | None = None
    rows_written: int | None = None
    content_type: str | None = None
    select: Sequence[str] | str | None = None
    flatten_depth: int = 2
    kinds: KindLookup | None = None
    display_rows: int = 50
    _loader: Loader | None = field(default=None, init=False)
    _on_change: OnChange | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.method = self.method.upper()
        self.kind = ResultKind(self.kind)

    @classmethod
    def from_items(
        cls,
        items: Sequence[dict[str, Any]],
        *,
        raw: bool = False,
        count: int | None = None,
        next_link: str | None = None,
        select: Sequence[str] | str | None = None,
        flatten_depth: int = 2,
        kinds: KindLookup | None = None,
        **facts: Any,
    ) -> GraphResult:
        """A collection gathered from pages: its items as a frame, or with ``raw`` as Graph's JSON.

        ``facts`` are the other fields (``pages``, ``more``, ``truncated_reason``...). The raw
        value has Graph's own shape, ``value`` with ``@odata.count`` and ``@odata.nextLink``
        when known, so ``--raw`` shows the collection as one answer whatever the paging was.
        """
        common = {"count": count, "next_link": next_link, "select": select, **facts}
        if raw:
            value: dict[str, Any] = {"value": items}
            if count is not None:
                value["@odata.count"] = count
            if next_link:
                value["@odata.nextLink"] = next_link
            return cls(kind=ResultKind.RAW, value=value, flatten_depth=flatten_depth, **common)
        frame = items_to_frame(items, select=select, flatten_depth=flatten_depth, kinds=kinds)
        common["kinds"] = kinds
        return cls(kind=ResultKind.COLLECTION, frame=frame, flatten_depth=flatten_depth, **common)

    # -- facts -----------------------------------------------------------------------------

    @property
    def rows(self) -> int:
        """Rows in the frame (0 when there is none)."""
        return 0 if self.frame is None else len(self.frame)

    @property
    def name(self) -> str:
        """A short name for headers: the batch id (if any) and the URL's last segment."""
        base = name_of(self.url)
        return f"[{self.label}] {base}" if self.label is not None else base

    def summary(self) -> str:
        """The header line: what the result holds, deterministic."""
        kind = self.kind
        if kind.has_rows:
            return self._rows_summary()
        if kind is ResultKind.ENTITY:
            return f"{self.name}: {plural(self.rows, 'property', 'properties')}"
        if kind is ResultKind.IMAGE:
            size = len(self.value) if isinstance(self.value, (bytes, bytearray)) else 0
            return f"{self.name}: image, {size:,} bytes ({self.content_type or 'unknown type'})"
        if kind is ResultKind.EMPTY:
            return f"{self.method} {self.name}: {self.status_code} {phrase(self.status_code)}"
        if kind is ResultKind.ERROR:
            detail = _error_line(self.value) or phrase(self.status_code)
            return f"{self.method} {self.name}: {self.status_code} {detail}"
        return f"{self.name}: {kind}"

    def _rows_summary(self) -> str:
        rows = self.rows if self.rows_written is None else max(self.rows, self.rows_written)
        text = f"{self.name}: {plural(rows, 'row')}"
        if self.count is not None and self.count != rows:
            text += f" of {self.count:,} (@odata.count)"
        if self.kind is ResultKind.COLLECTION:
            text += f" · {plural(self.pages, 'page')}"
        return text

    def notes(self) -> list[str]:
        """Lines that say what was not fetched or where rows went, so nothing is silent."""
        lines = []
        if self.more:
            if self.truncated_reason == "max_items":
                limit = f" {self.max_items:,}" if self.max_items is not None else ""
                lines.append(f"more available: stopped at --max-items{limit} (nextLink kept)")
            elif self.truncated_reason == "no_paginate":
                lines.append("more available: paging off (--no-paginate), nextLink kept")
            else:
                lines.append("more available: nextLink kept")
        exported = [p for p in (self.csv_path, self.parquet_path) if p is not None]
        if exported:
            rows = self.rows_written if self.rows_written is not None else self.rows
            line = f"exported {plural(rows, 'row')} to {' and '.join(exported)}"
            if self.rows < rows:
                line += f"; the first {self.rows:,} are kept here (add -o NAME to keep them all)"
            lines.append(line)
        return lines

    # -- text ------------------------------------------------------------------------------

    def body_text(self, max_rows: int | None = None) -> str:
        """The body as text, rendered with pinned pandas options (never the session's)."""
        rows = self.display_rows if max_rows is None else max_rows
        kind = self.kind
        if self.frame is not None and kind.shows_frame:
            return frame_text(self.frame, rows, index=kind is not ResultKind.ENTITY)
        if kind in (ResultKind.TEXT, ResultKind.NUMBER):
            return str(self.value)
        if kind is ResultKind.ERROR:
            body = _without_inner_error(self.value)
            return json.dumps(body, indent=2, ensure_ascii=False, default=str)
        if kind is ResultKind.RAW:
            return json.dumps(self.value, indent=2, ensure_ascii=False, default=str)
        return ""

    def __repr__(self) -> str:
        parts = [self.summary(), *self.notes()]
        body = self.body_text()
        if body:
            parts.append(body)
        return "\n".join(parts)

    # -- HTML ------------------------------------------------------------------------------

    def caption_html(self) -> str:
        """The summary and notes, plus the timing and request ids the text form leaves out.

        After the pager fetched more, the time is the total of every fetch and the last
        request's id is shown beside the first's, so the caption describes all the rows.
        """
        extras = []
        if self.elapsed is not None:
            fetches = f" in {self.fetches} fetches" if self.fetches > 1 else ""
            extras.append(f'<span class="gm-elapsed">{self.elapsed:.2f} s</span>{fetches}')
        first, last = self.request_id, self.last_request_id
        if last and last != first:
            extras += [_id_html("first request-id", first), _id_html("last request-id", last)]
        elif first:
            extras.append(_id_html("request-id", first))
        head = html.escape(self.summary())
        if extras:
            head += " · " + " · ".join(extras)
        notes = "".join(f"<br>{html.escape(note)}" for note in self.notes())
        return f'<div class="gm-caption"><b>{head}</b>{notes}</div>'

    def body_html(self, start: int = 0, stop: int | None = None, *, boxed: bool = False) -> str:
        """The body as HTML (escaped); ``start``/``stop`` pick rows and ``boxed`` bounds the
        table's height, for the pager."""
        if self.frame is not None and self.kind.shows_frame:
            frame = self.frame if stop is None else self.frame.iloc[start:stop]
            max_rows = None if stop is not None else self.display_rows
            index = self.kind is not ResultKind.ENTITY
            return table_html(frame, max_rows, index=index, boxed=boxed)
        if self._image is not None:
            data = base64.b64encode(self._image).decode("ascii")
            kind = html.escape(self.content_type or "image/png")
            return f'<img src="data:{kind};base64,{data}" alt="{html.escape(self.name)}">'
        text = self.body_text()
        return f"<pre>{html.escape(text)}</pre>" if text else ""

    @property
    def _image(self) -> bytes | bytearray | None:
        """The image bytes of an image result, else None."""
        is_image = self.kind is ResultKind.IMAGE and isinstance(self.value, (bytes, bytearray))
        return self.value if is_image else None

    def _repr_html_(self) -> str:
        return self.caption_html() + self.body_html()

    def _bundle(self) -> dict[str, str]:
        return {"text/plain": repr(self), "text/html": self._repr_html_()}

    def _ipython_display_(self) -> None:
        from IPython.display import Image, display

        if self.wants_pager() and widget_frontend_available():
            Pager(self).show()
            return
        if self._image is not None:
            display({"text/plain": repr(self)}, raw=True)
            display(Image(data=bytes(self._image)))
            return
        display(self._bundle(), raw=True)

    def wants_pager(self) -> bool:
        """A pager helps when the rows do not fit ``display_rows`` or more can be fetched."""
        if self.frame is None or not self.kind.has_rows:
            return False
        return self.rows > self.display_rows or (self.more and self._loader is not None)

    # -- fetching more ---------------------------------------------------------------------

    def attach_loader(self, loader: Loader, on_change: OnChange | None = None) -> None:
        """Let the pager fetch the rest: ``loader(next_link, limit) -> (items, link, pages)``.

        ``on_change(result)`` runs after the frame grew, so the magic can rebind ``-o``.
        """
        self._loader = loader
        self._on_change = on_change

    @property
    def can_load(self) -> bool:
        """True when a nextLink remained and a loader is attached."""
        return self.more and bool(self.next_link) and self._loader is not None

    def page_size_hint(self) -> int:
        """Items per Graph page so far, the limit used to fetch "one more page"."""
        return max(1, self.rows // max(1, self.pages))

    def load_more(self, limit: int | None = None) -> int:
        """Fetch up to ``limit`` more items (all with None) and append them; returns how many."""
        if not self.can_load or self._loader is None or self.next_link is None:
            return 0
        fetched = self._loader(self.next_link, limit)
        items = fetched.items
        if items:
            fresh = items_to_frame(
                items, select=self.select, flatten_depth=self.flatten_depth, kinds=self.kinds
            )
            frames = [f for f in (self.frame, fresh) if f is not None and len(f.columns)]
            joined = concat_frames(frames, self.kinds) if frames else fresh
            self.frame = joined[order_columns(list(joined.columns), self.select)]
        self.pages += fetched.pages
        self.next_link = fetched.next_link
        self.more = fetched.next_link is not None
        self.fetches += 1
        if self.elapsed is not None:
            self.elapsed += fetched.elapsed
        self.last_request_id = fetched.request_id or self.last_request_id
        # The option that stopped the first scan no longer explains what is missing now.
        self.truncated_reason = None
        if self._on_change is not None:
            self._on_change(self)
        return len(items)


def _id_html(label: str, request_id: str | None) -> str:
    """``label`` and a request id, kept on one line (a GUID would break at its hyphens); the
    id in the span the notebook check masks (it differs on every call)."""
    value = f'<span class="gm-request-id">{html.escape(request_id or "")}</span>'
    return f'<span style="white-space:nowrap">{label} {value}</span>'


def _without_inner_error(body: Any) -> Any:
    """A Graph error body without ``innerError``: its request ids and date differ on every call.

    Both forms must stay comparable by nbval; the request id is shown in its own span instead.
    """
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        error = {k: v for k, v in body["error"].items() if k.lower() != "innererror"}
        return {**body, "error": error}
    return body


def _error_line(body: Any) -> str:
    """``Code: message`` from a Graph error body, or "" when the body is not one."""
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        err = body["error"]
        return f"{err.get('code', 'error')}: {err.get('message', '')}".rstrip(": ")
    return ""
