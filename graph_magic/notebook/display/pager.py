"""The widget pager: a result's rows a page at a time, and buttons that fetch more from Graph.

With a widget front end, a result with more rows than ``display_rows`` shows a ``Pager``: page
size, previous/next, "rows 51-100 of 2,345", and, when a nextLink remained, "next page" / "load
all" buttons and an auto-paginate toggle that call the loader the magic attached. Its CSV
download is an HTML link with a ``data:`` URI built on demand when the button is pressed (no
file is written next to the notebook; ``--csv PATH`` is the tool for large exports).

The pager knows a result only through ``Pageable``, so results can show a pager without the two
modules importing each other.
"""

from __future__ import annotations

import base64
import html
from typing import Any, Protocol

import pandas as pd

from graph_magic.notebook.csv_export import formula_safe_frame
from graph_magic.notebook.display._text import name_of, plural
from graph_magic.notebook.display.blocks import render_error

__all__ = ["Pageable", "Pager"]

_PAGE_SIZES = (10, 25, 50, 100, 250, 500)
# The download link looks like the button it is (a plain link reads as text beside "CSV"),
# in JupyterLab's colours where they are defined.
_DOWNLOAD_STYLE = (
    "display:inline-block;padding:0 12px;border-radius:2px;text-decoration:none;"
    "line-height:28px;color:var(--jp-ui-inverse-font-color1,#fff);"
    "background:var(--jp-brand-color1,#1976d2)"
)


class Pageable(Protocol):
    """What the pager reads from a result (``GraphResult`` is one) and asks it to do."""

    url: str
    frame: pd.DataFrame | None
    display_rows: int

    @property
    def rows(self) -> int: ...

    @property
    def can_load(self) -> bool: ...

    def page_size_hint(self) -> int: ...

    def load_more(self, limit: int | None = None) -> int: ...

    def caption_html(self) -> str: ...

    def body_html(self, start: int = 0, stop: int | None = None, *, boxed: bool = False) -> str: ...


class Pager:
    """A widget over a result's rows, and the buttons that fetch more from Graph.

    Drivable from Python (``next_button.click()``), which is how it is tested.
    """

    def __init__(self, result: Pageable, page_size: int | None = None) -> None:
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
        # Switching auto-paginate on at the last page must enable "next" at once.
        self.auto_toggle.observe(lambda _change: self.render(), names="value")
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
            self.status.value = html.escape(f"fetched {plural(added, 'row')}")
        self.render()

    def build_csv_link(self) -> str:
        """A download link with the frame as a ``data:`` URI, built only when asked for."""
        frame = self.result.frame if self.result.frame is not None else pd.DataFrame()
        text = formula_safe_frame(frame).to_csv(index=False)
        data = base64.b64encode(text.encode("utf-8")).decode("ascii")
        name = html.escape(f"{name_of(self.result.url) or 'graph'}.csv")
        self.csv_link.value = (
            f'<a class="gm-download" download="{name}" href="data:text/csv;base64,{data}" '
            f'style="{_DOWNLOAD_STYLE}">&#8595; download {name} ({plural(len(frame), "row")})</a>'
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
        self.table.value = self.result.body_html(first, first + self.page_size, boxed=True)
        self.label.value = self.label_text()
        self.prev_button.disabled = self.page == 0
        at_end = self.page + 1 >= self.page_count
        self.next_button.disabled = at_end and not (self.auto_toggle.value and self.result.can_load)
        can_load = self.result.can_load
        self.more_box.layout.display = None if can_load else "none"
        self.next_page_button.disabled = not can_load
        self.load_all_button.disabled = not can_load

    def show(self) -> None:
        """Display the widget, with the result's own text and HTML forms beside it.

        A front end that cannot show the widget picks the next form it can: JupyterLab for a
        notebook it does not trust (someone else's, until it is run), nbconvert's HTML, GitHub.
        They then show the result's table, as without widgets, instead of its text alone.
        """
        from IPython.display import display

        bundle = self.widget._repr_mimebundle_() or {}
        bundle = dict(bundle[0] if isinstance(bundle, tuple) else bundle)
        bundle["text/plain"] = repr(self.result)
        bundle["text/html"] = self.result.caption_html() + self.result.body_html()
        display(bundle, raw=True)
