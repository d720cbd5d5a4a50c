"""What a cell shows: results, the widget pager, progress, error blocks and small text blocks.

results.py   GraphResult (its kind a ResultKind), Fetched (what "fetch more" brought)
batch_result.py  GraphBatchResult, a multi-request cell's results
classify.py  make_result: which kind an answer is, and its result built
pager.py     Pager, the widget over a result's rows that fetches more
progress.py  ProgressReporter for paging scans
blocks.py    render_error (a table from exception class to block), Panel, Note, DryRun,
             PromptView (the device-code prompt)
_text.py     plural, status phrases, the pinned pandas options every table renders under
_table.py    the HTML table rule: one line per row, ids whole, prose wrapped, a scroll box
"""

from graph_magic.notebook.display._frontend import widget_frontend_available
from graph_magic.notebook.display.batch_result import GraphBatchResult
from graph_magic.notebook.display.blocks import DryRun, Note, Panel, PromptView, render_error
from graph_magic.notebook.display.classify import make_result
from graph_magic.notebook.display.pager import Pageable, Pager
from graph_magic.notebook.display.progress import ProgressReporter
from graph_magic.notebook.display.results import Fetched, GraphResult, Loader, ResultKind

__all__ = [
    "DryRun",
    "Fetched",
    "GraphBatchResult",
    "GraphResult",
    "Loader",
    "Note",
    "Pageable",
    "Pager",
    "Panel",
    "ProgressReporter",
    "PromptView",
    "ResultKind",
    "make_result",
    "render_error",
    "widget_frontend_available",
]
