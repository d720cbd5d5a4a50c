"""Progress for a paging scan: silent for quick requests, then a bar or a line, then gone."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

from graph_magic.notebook.display._frontend import widget_frontend_available
from graph_magic.notebook.display._text import plural

__all__ = ["ProgressReporter"]


class ProgressReporter:
    """Progress for a paging scan: nothing for quick ones, then a bar or a line, then nothing.

    Silent until ``delay`` seconds have passed (most requests finish first). Then, in a kernel
    with widgets, a label with the counts, after an ``IntProgress`` bar when ``total`` is known
    from @odata.count (the counts beside the bar, not in a tooltip nobody hovers), shown through
    its own display handle and updated in place; elsewhere a text line on ``stream``.
    ``close()`` removes only that output, never the cell's other output.
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
        self.bar: Any = None
        self.label: Any = None
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
        return f"{self.description}: {self.items:,}{of} items · {plural(self.pages, 'page')}"

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
            for widget in (self.widget, self.bar, self.label):
                if widget is not None:
                    widget.close()
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

            self.label = w.Label()
            if self.total:
                self.bar = w.IntProgress(value=0, min=0, max=self.total)
                self.widget = w.HBox([self.bar, self.label])
            else:
                self.widget = self.label
            self._refresh()
            display = self._display_fn
            if display is None:
                from IPython.display import display
            self.handle = display(self.widget, display_id=True)
        else:
            self._refresh()

    def _refresh(self) -> None:
        if self.mode == "widget":
            if self.bar is not None:
                self.bar.value = min(self.items, self.bar.max)
            self.label.value = self.text()
        else:
            line = self.text()
            stream = self._stream or sys.stderr
            stream.write("\r" + line.ljust(self._width))
            stream.flush()
            self._width = max(self._width, len(line))
