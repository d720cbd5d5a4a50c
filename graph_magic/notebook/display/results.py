"""How Graph results show in a notebook: result objects, the widget pager, progress, errors.

The magic builds a ``GraphResult`` after each request and hands it to IPython's display. Its
``text/plain`` form is deterministic for a deterministic server (rows, pages, whether more
remained, the table rendered with pinned options: never timings, request ids or dates), so
nbval can compare notebooks. The HTML form adds the elapsed time and Graph's request id inside
``<span class="gm-elapsed">`` and ``<span class="gm-request-id">`` so a notebook check can
sanitize exactly those.

With a widget front end, a result with more rows than ``display_rows`` shows a ``Pager``: page
size, previous/next, "rows 51-100 of 2,345", and, when a nextLink remained, "next page" / "load
all" buttons and an auto-paginate toggle that call the loader the magic attached. Its CSV
download is an HTML link with a ``data:`` URI built on demand when the button is pressed (no
file is written next to the notebook; ``--csv PATH`` is the tool for large exports).

This module never imports the connector: the magic passes data and callables in.
"""

from __future__ import annotations

import base64
import html
import http
import json
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TextIO
from urllib.parse import urlsplit

import pandas as pd

from graph_magic.errors import (
    GraphAPIError,
    GraphBatchError,
    GraphConfigError,
    GraphSyntaxError,
    GraphTransportError,
)
from graph_magic.notebook.frames import csv_to_frame, entity_to_frame, items_to_frame, order_columns

__all__ = [
    "GraphBatchResult",
    "GraphResult",
    "Pager",
    "ProgressReporter",
    "make_result",
    "render_error",
    "widget_frontend_available",
]

Loader = Callable[[str, "int | None"], "tuple[list[dict[str, Any]], str | None, int]"]
OnChange = Callable[["GraphResult"], None]

_TEXT_OPTIONS = {
    "display.precision": 6,
    "display.max_colwidth": 50,
    "display.width": 120,
    "display.max_columns": 20,
    "display.max_rows": 60,
    "display.show_dimensions": False,
    "display.unicode.east_asian_width": False,
    "display.float_format": None,
}
_PAGE_SIZES = (10, 25, 50, 100, 250, 500)
_CSV_KINDS = ("text/csv", "application/csv", "application/vnd.ms-excel")


def widget_frontend_available() -> bool:
    """True inside a Jupyter kernel (a comm channel to a front end) with ipywidgets importable.

    A kernel cannot see whether the front end renders widgets; a kernel with comms is the best
    signal there is. Terminal IPython and plain scripts have no kernel and get text and HTML.
    """
    try:
        import ipywidgets  # noqa: F401
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def _name_of(url: str) -> str:
    """The last path segment of the requested URL: ``users``, ``members``, ``$count``."""
    path = urlsplit(url).path.rstrip("/")
    return path.rsplit("/", 1)[-1] or path or url


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count:,} {word}" if count == 1 else f"{count:,} {plural or word + 's'}"


class GraphResult:
    """What one request returned, ready to show: a frame, a value, and what was (not) fetched.

    A plain object: the magic fills it in; ``attach_loader`` makes "fetch more" possible.
    """

    def __init__(
        self,
        *,
        method: str = "GET",
        url: str = "",
        status_code: int = 200,
        kind: str = "collection",
        frame: pd.DataFrame | None = None,
        value: Any = None,
        pages: int = 1,
        more: bool = False,
        next_link: str | None = None,
        count: int | None = None,
        truncated_reason: str | None = None,
        max_items: int | None = None,
        elapsed: float | None = None,
        request_id: str | None = None,
        label: str | None = None,
        csv_path: str | None = None,
        rows_written: int | None = None,
        content_type: str | None = None,
        select: Sequence[str] | str | None = None,
        flatten_depth: int = 2,
        display_rows: int = 50,
    ) -> None:
        self.method = method.upper()
        self.url = url
        self.status_code = status_code
        self.kind = kind
        self.frame = frame
        self.value = value
        self.pages = pages
        self.more = more
        self.next_link = next_link
        self.count = count
        self.truncated_reason = truncated_reason
        self.max_items = max_items
        self.elapsed = elapsed
        self.request_id = request_id
        self.label = label
        self.csv_path = csv_path
        self.rows_written = rows_written
        self.content_type = content_type
        self.select = select
        self.flatten_depth = flatten_depth
        self.display_rows = display_rows
        self._loader: Loader | None = None
        self._on_change: OnChange | None = None

    # -- facts -----------------------------------------------------------------------------

    @property
    def rows(self) -> int:
        """Rows in the frame (0 when there is none)."""
        return 0 if self.frame is None else len(self.frame)

    @property
    def name(self) -> str:
        """A short name for headers: the batch id (if any) and the URL's last segment."""
        base = _name_of(self.url)
        return f"[{self.label}] {base}" if self.label is not None else base

    def summary(self) -> str:
        """The header line: what the result holds, deterministic."""
        if self.kind in ("collection", "csv"):
            rows = self.rows if self.rows_written is None else max(self.rows, self.rows_written)
            text = f"{self.name}: {_plural(rows, 'row')}"
            if self.count is not None and self.count != rows:
                text += f" of {self.count:,} (@odata.count)"
            if self.kind == "collection":
                text += f" · {_plural(self.pages, 'page')}"
            return text
        if self.kind == "entity":
            return f"{self.name}: {_plural(self.rows, 'property', 'properties')}"
        if self.kind == "image":
            size = len(self.value) if isinstance(self.value, (bytes, bytearray)) else 0
            return f"{self.name}: image, {size:,} bytes ({self.content_type or 'unknown type'})"
        if self.kind == "empty":
            return f"{self.method} {self.name}: {self.status_code} {_phrase(self.status_code)}"
        if self.kind == "error":
            detail = _error_line(self.value) or _phrase(self.status_code)
            return f"{self.method} {self.name}: {self.status_code} {detail}"
        return f"{self.name}: {self.kind}"

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
        if self.csv_path is not None:
            rows = self.rows_written if self.rows_written is not None else self.rows
            line = f"exported {_plural(rows, 'row')} to {self.csv_path}"
            if self.rows < rows:
                line += f"; the first {self.rows:,} are kept here (add -o NAME to keep them all)"
            lines.append(line)
        return lines

    # -- text ------------------------------------------------------------------------------

    def body_text(self, max_rows: int | None = None) -> str:
        """The body as text, rendered with pinned pandas options (never the session's)."""
        rows = self.display_rows if max_rows is None else max_rows
        if self.frame is not None and self.kind in ("collection", "csv", "entity"):
            return _frame_text(self.frame, rows, index=self.kind != "entity")
        if self.kind in ("text", "number"):
            return str(self.value)
        if self.kind == "error":
            body = _without_inner_error(self.value)
            return json.dumps(body, indent=2, ensure_ascii=False, default=str)
        if self.kind == "raw":
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
        """The summary and notes, plus the timing and request id the text form leaves out."""
        extras = []
        if self.elapsed is not None:
            extras.append(f'<span class="gm-elapsed">{self.elapsed:.2f} s</span>')
        if self.request_id:
            extras.append(
                f'request-id <span class="gm-request-id">{html.escape(self.request_id)}</span>'
            )
        head = html.escape(self.summary())
        if extras:
            head += " · " + " · ".join(extras)
        notes = "".join(f"<br>{html.escape(note)}" for note in self.notes())
        return f'<div class="gm-caption"><b>{head}</b>{notes}</div>'

    def body_html(self, start: int = 0, stop: int | None = None) -> str:
        """The body as HTML (escaped); ``start``/``stop`` pick rows for the pager."""
        if self.frame is not None and self.kind in ("collection", "csv", "entity"):
            frame = self.frame if stop is None else self.frame.iloc[start:stop]
            max_rows = None if stop is not None else self.display_rows
            return _frame_html(frame, max_rows, index=self.kind != "entity")
        if self.kind == "image" and isinstance(self.value, (bytes, bytearray)):
            data = base64.b64encode(self.value).decode("ascii")
            kind = html.escape(self.content_type or "image/png")
            return f'<img src="data:{kind};base64,{data}" alt="{html.escape(self.name)}">'
        text = self.body_text()
        return f"<pre>{html.escape(text)}</pre>" if text else ""

    def _repr_html_(self) -> str:
        return self.caption_html() + self.body_html()

    def _bundle(self) -> dict[str, str]:
        return {"text/plain": repr(self), "text/html": self._repr_html_()}

    def _ipython_display_(self) -> None:
        from IPython.display import Image, display

        if self.wants_pager() and widget_frontend_available():
            Pager(self).show()
            return
        if self.kind == "image" and isinstance(self.value, (bytes, bytearray)):
            display({"text/plain": repr(self)}, raw=True)
            display(Image(data=bytes(self.value)))
            return
        display(self._bundle(), raw=True)

    def wants_pager(self) -> bool:
        """A pager helps when the rows do not fit ``display_rows`` or more can be fetched."""
        if self.frame is None or self.kind not in ("collection", "csv"):
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
        items, next_link, pages = self._loader(self.next_link, limit)
        if items:
            fresh = items_to_frame(items, select=self.select, flatten_depth=self.flatten_depth)
            frames = [f for f in (self.frame, fresh) if f is not None and len(f.columns)]
            joined = pd.concat(frames, ignore_index=True) if frames else fresh
            self.frame = joined[order_columns(list(joined.columns), self.select)]
        self.pages += pages
        self.next_link = next_link
        self.more = next_link is not None
        # The option that stopped the first scan no longer explains what is missing now.
        self.truncated_reason = None
        if self._on_change is not None:
            self._on_change(self)
        return len(items)


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""


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


def _frame_text(frame: pd.DataFrame, max_rows: int, *, index: bool = True) -> str:
    with pd.option_context(*[item for pair in _TEXT_OPTIONS.items() for item in pair]):
        return frame.to_string(
            index=index,
            max_rows=max_rows,
            min_rows=min(max_rows, 10),
            max_cols=_TEXT_OPTIONS["display.max_columns"],
            max_colwidth=_TEXT_OPTIONS["display.max_colwidth"],
            line_width=_TEXT_OPTIONS["display.width"],
            show_dimensions=False,
        )


def _frame_html(frame: pd.DataFrame, max_rows: int | None, *, index: bool = True) -> str:
    with pd.option_context(*[item for pair in _TEXT_OPTIONS.items() for item in pair]):
        return frame.to_html(
            index=index,
            max_rows=max_rows,
            max_cols=_TEXT_OPTIONS["display.max_columns"],
            escape=True,
            border=0,
            show_dimensions=False,
            notebook=False,
        )


def make_result(
    *,
    method: str,
    url: str,
    status_code: int,
    data: Any,
    content_type: str | None = None,
    raw: bool = False,
    select: Sequence[str] | str | None = None,
    flatten_depth: int = 2,
    **facts: Any,
) -> GraphResult:
    """Pick the result kind from the answer and build the frame; ``facts`` go to GraphResult.

    Collections (a list, or a dict whose ``value`` is a list) become frames; other dicts are
    entities; ``text/plain`` bodies are numbers or text; CSV bodies become frames; ``image/*``
    bytes are images; 204 or no body is "empty"; a 4xx/5xx body kept by ``--expect`` is "error".
    """
    ctype = (content_type or "").split(";")[0].strip().lower()
    common = {
        "method": method,
        "url": url,
        "status_code": status_code,
        "content_type": ctype or None,
        "select": select,
        "flatten_depth": flatten_depth,
        **facts,
    }
    if raw:
        return GraphResult(kind="raw", value=data, **common)
    if status_code >= 400:
        return GraphResult(kind="error", value=data, **common)
    if status_code == 204 or data is None or data in (b"", ""):
        return GraphResult(kind="empty", **common)
    if ctype.startswith("image/") and isinstance(data, (bytes, bytearray)):
        return GraphResult(kind="image", value=bytes(data), **common)
    # Report downloads redirect to storage that labels the CSV application/octet-stream.
    is_report = ctype == "application/octet-stream" and "/reports/" in url
    if (ctype in _CSV_KINDS or is_report) and isinstance(data, (bytes, str)):
        return GraphResult(kind="csv", frame=csv_to_frame(data), value=None, **common)
    if isinstance(data, (bytes, bytearray)):
        data = bytes(data).decode("utf-8", errors="replace")
    if isinstance(data, (int, float)) and not isinstance(data, bool):
        return GraphResult(kind="number", value=data, **common)
    if isinstance(data, str):
        stripped = data.strip()
        if stripped.lstrip("-").isdigit():
            return GraphResult(kind="number", value=int(stripped), **common)
        return GraphResult(kind="text", value=data, **common)
    items = data.get("value") if isinstance(data, dict) else data
    if isinstance(items, list):
        frame = items_to_frame(items, select=select, flatten_depth=flatten_depth)
        if isinstance(data, dict) and common.get("count") is None:
            common["count"] = data.get("@odata.count")
        return GraphResult(kind="collection", frame=frame, value=None, **common)
    if isinstance(data, dict):
        frame = entity_to_frame(data, flatten_depth=flatten_depth)
        return GraphResult(kind="entity", frame=frame, value=data, **common)
    return GraphResult(kind="raw", value=data, **common)


class GraphBatchResult(Sequence[GraphResult]):
    """The results of a multi-request cell, in the order written; indexable by id too."""

    def __init__(self, results: Sequence[GraphResult]) -> None:
        self.results = list(results)

    def __len__(self) -> int:
        return len(self.results)

    def __iter__(self) -> Iterator[GraphResult]:
        return iter(self.results)

    def __getitem__(self, key: int | str) -> Any:  # type: ignore[override]
        if isinstance(key, str):
            for result in self.results:
                if result.label == key:
                    return result
            raise KeyError(key)
        return self.results[key]

    def ids(self) -> list[str | None]:
        """The request ids (``### ID`` labels) in order."""
        return [result.label for result in self.results]

    def __repr__(self) -> str:
        head = f"batch: {_plural(len(self.results), 'request')}"
        return "\n\n".join([head, *(repr(result) for result in self.results)])

    def _repr_html_(self) -> str:
        head = f"<div><b>batch: {_plural(len(self.results), 'request')}</b></div>"
        return head + "".join(f"<div>{r._repr_html_()}</div>" for r in self.results)

    def _ipython_display_(self) -> None:
        for result in self.results:
            result._ipython_display_()


# -- the pager ---------------------------------------------------------------------------------


class Pager:
    """A widget over a result's rows, and the buttons that fetch more from Graph.

    Drivable from Python (``next_button.click()``), which is how it is tested.
    """

    def __init__(self, result: GraphResult, page_size: int | None = None) -> None:
        import ipywidgets as w

        self.result = result
        size = page_size or result.display_rows
        options = sorted({*_PAGE_SIZES, size})
        self.page = 0
        self.size_dropdown = w.Dropdown(options=options, value=size, description="rows/page")
        self.prev_button = w.Button(description="previous", icon="arrow-left")
        self.next_button = w.Button(description="next", icon="arrow-right")
        self.label = w.Label()
        self.caption = w.HTML()
        self.table = w.HTML()
        self.status = w.HTML()
        self.auto_toggle = w.ToggleButton(
            value=False,
            description="auto-paginate",
            tooltip="fetch the next Graph page when paging past the last row",
        )
        self.next_page_button = w.Button(description="next page", tooltip="fetch one more page")
        self.load_all_button = w.Button(description="load all", tooltip="follow every nextLink")
        self.csv_button = w.Button(description="CSV", icon="download")
        self.csv_link = w.HTML()
        self.prev_button.on_click(lambda _b: self.go(self.page - 1))
        self.next_button.on_click(lambda _b: self._next())
        self.next_page_button.on_click(lambda _b: self.fetch(self.result.page_size_hint()))
        self.load_all_button.on_click(lambda _b: self.fetch(None))
        self.csv_button.on_click(lambda _b: self.build_csv_link())
        self.size_dropdown.observe(self._resize, names="value")
        self.more_box = w.HBox([self.auto_toggle, self.next_page_button, self.load_all_button])
        self.widget = w.VBox(
            [
                self.caption,
                w.HBox([self.prev_button, self.next_button, self.label, self.size_dropdown]),
                self.table,
                self.more_box,
                w.HBox([self.csv_button, self.csv_link]),
                self.status,
            ]
        )
        self.render()

    @property
    def page_size(self) -> int:
        return int(self.size_dropdown.value)

    @property
    def page_count(self) -> int:
        return max(1, -(-self.result.rows // self.page_size))

    def go(self, page: int) -> None:
        """Show page ``page`` (0-based), clamped to the pages there are."""
        self.page = min(max(page, 0), self.page_count - 1)
        self.render()

    def _next(self) -> None:
        if self.page + 1 >= self.page_count and self.auto_toggle.value and self.result.can_load:
            self.fetch(self.result.page_size_hint())
        self.go(self.page + 1)

    def _resize(self, change: dict[str, Any]) -> None:
        first_row = self.page * int(change["old"])
        self.page = first_row // int(change["new"])
        self.go(self.page)

    def fetch(self, limit: int | None) -> None:
        """Ask the result's loader for more rows; an error shows in the pager, not a traceback."""
        try:
            added = self.result.load_more(limit)
        except Exception as exc:  # a widget callback has nowhere else to report to
            self.status.value = f"<pre>{html.escape(render_error(exc))}</pre>"
        else:
            self.status.value = html.escape(f"fetched {_plural(added, 'row')}")
        self.render()

    def build_csv_link(self) -> str:
        """A download link with the frame as a ``data:`` URI, built only when asked for."""
        frame = self.result.frame if self.result.frame is not None else pd.DataFrame()
        data = base64.b64encode(frame.to_csv(index=False).encode("utf-8")).decode("ascii")
        name = html.escape(f"{_name_of(self.result.url) or 'graph'}.csv")
        self.csv_link.value = (
            f'<a download="{name}" href="data:text/csv;base64,{data}">'
            f"download {name} ({_plural(len(frame), 'row')})</a>"
        )
        return self.csv_link.value

    def label_text(self) -> str:
        """ "rows 51-100 of 2,345", or "no rows"."""
        total = self.result.rows
        if total == 0:
            return "no rows"
        first = self.page * self.page_size
        last = min(first + self.page_size, total)
        return f"rows {first + 1:,}-{last:,} of {total:,}"

    def render(self) -> None:
        """Refresh every part from the result (after paging, resizing or fetching)."""
        self.page = min(self.page, self.page_count - 1)
        first = self.page * self.page_size
        self.caption.value = self.result.caption_html()
        self.table.value = self.result.body_html(first, first + self.page_size)
        self.label.value = self.label_text()
        self.prev_button.disabled = self.page == 0
        at_end = self.page + 1 >= self.page_count
        self.next_button.disabled = at_end and not (self.auto_toggle.value and self.result.can_load)
        can_load = self.result.can_load
        self.more_box.layout.display = None if can_load else "none"
        self.next_page_button.disabled = not can_load
        self.load_all_button.disabled = not can_load

    def show(self) -> None:
        """Display the widget with the result's deterministic text as the text/plain form."""
        from IPython.display import display

        bundle = self.widget._repr_mimebundle_() or {}
        bundle = dict(bundle[0] if isinstance(bundle, tuple) else bundle)
        bundle["text/plain"] = repr(self.result)
        display(bundle, raw=True)


# -- progress ----------------------------------------------------------------------------------


class ProgressReporter:
    """Progress for a paging scan: nothing for quick ones, then a bar or a line, then nothing.

    Silent until ``delay`` seconds have passed (most requests finish first). Then, in a kernel
    with widgets, an ``IntProgress`` (a real bar when ``total`` is known from @odata.count) or
    a label, shown through its own display handle and updated in place; elsewhere a text line
    on ``stream``. ``close()`` removes only that output, never the cell's other output.
    """

    def __init__(
        self,
        total: int | None,
        *,
        delay: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        mode: str | None = None,
        display_fn: Callable[..., Any] | None = None,
        stream: TextIO | None = None,
        description: str = "fetching",
    ) -> None:
        self.total = total
        self.delay = delay
        self.clock = clock
        self.description = description
        self.mode = mode or ("widget" if widget_frontend_available() else "stream")
        self.items = 0
        self.pages = 0
        self.widget: Any = None
        self.handle: Any = None
        self.shown = False
        self.closed = False
        self._display_fn = display_fn
        self._stream = stream
        self._width = 0
        self._start = clock()

    def text(self) -> str:
        """The progress as text: "fetching: 1,200 of 2,345 items · 12 pages"."""
        of = f" of {self.total:,}" if self.total is not None else ""
        return f"{self.description}: {self.items:,}{of} items · {_plural(self.pages, 'page')}"

    def update(self, items: int, pages: int) -> None:
        """Record the totals so far; shows the progress once ``delay`` has passed."""
        if self.closed:
            return
        self.items, self.pages = items, pages
        if not self.shown:
            if self.clock() - self._start < self.delay:
                return
            self._show()
        else:
            self._refresh()

    def close(self) -> None:
        """Remove the progress output (its own only)."""
        if self.closed:
            return
        self.closed = True
        if not self.shown:
            return
        if self.mode == "widget":
            self.widget.close()
            if self.handle is not None:
                self.handle.update({}, raw=True)
        else:
            stream = self._stream or sys.stderr
            stream.write("\r" + " " * self._width + "\r")
            stream.flush()

    def _show(self) -> None:
        self.shown = True
        if self.mode == "widget":
            import ipywidgets as w

            if self.total:
                self.widget = w.IntProgress(
                    value=0, min=0, max=self.total, description=self.description
                )
            else:
                self.widget = w.Label()
            self._refresh()
            display = self._display_fn
            if display is None:
                from IPython.display import display
            self.handle = display(self.widget, display_id=True)
        else:
            self._refresh()

    def _refresh(self) -> None:
        if self.mode == "widget":
            if hasattr(self.widget, "max"):
                self.widget.value = min(self.items, self.widget.max)
                self.widget.tooltip = self.text()
            else:
                self.widget.value = self.text()
        else:
            line = self.text()
            stream = self._stream or sys.stderr
            stream.write("\r" + line.ljust(self._width))
            stream.flush()
            self._width = max(self._width, len(line))


# -- errors ------------------------------------------------------------------------------------


def render_error(exc: BaseException) -> str:
    """A short block for a failed cell: what failed, Graph's words, and what to try.

    Used by the magic's ``_render_traceback_``; a GraphAPIError's URL is already masked. When
    pages arrived before the failure, a last line says where their items are.
    """
    block = _error_block(exc)
    received = getattr(exc, "received", None)
    if isinstance(received, pd.DataFrame):
        pages = getattr(exc, "received_pages", 0)
        block += (
            f"\n  received before the error: {len(received):,} items in {pages:,} "
            f"page{'s' if pages != 1 else ''}, kept as a DataFrame in "
            "sys.last_value.received (the -o variable was not changed)"
        )
    return block


def _error_block(exc: BaseException) -> str:
    if isinstance(exc, GraphAPIError):
        kind = "GraphBatchError" if isinstance(exc, GraphBatchError) else "GraphAPIError"
        lines = [f"{kind}: {exc.status_code} {exc.code or _phrase(exc.status_code)}"]
        if exc.message:
            lines.append(f"  {exc.message}")
        lines.append(f"  request: {exc.method} {exc.url}")
        if isinstance(exc, GraphBatchError):
            lines.append(f"  batch request id: {exc.request_id_in_batch}")
        if exc.request_id:
            lines.append(f"  request-id: {exc.request_id}")
        if exc.client_request_id:
            lines.append(f"  client-request-id: {exc.client_request_id}")
        if exc.date:
            lines.append(f"  date: {exc.date}")
        if exc.attempts > 1:
            lines.append(f"  attempts: {exc.attempts}")
        if exc.hint:
            lines.append(f"  hint: {exc.hint}")
        return "\n".join(lines)
    if isinstance(exc, GraphSyntaxError):
        return f"GraphSyntaxError: {exc.render()}"
    if isinstance(exc, GraphConfigError):
        lines = [f"GraphConfigError: {exc.message}"]
        if exc.key:
            lines.append(f"  key: {exc.key}")
        if exc.file:
            lines.append(f"  file: {exc.file}")
        return "\n".join(lines)
    if isinstance(exc, GraphTransportError):
        return f"GraphTransportError: {exc}\n  request: {exc.url}\n  attempts: {exc.attempts}"
    return f"{type(exc).__name__}: {exc}"
