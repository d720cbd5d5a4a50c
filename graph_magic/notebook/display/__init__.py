"""What a cell shows: results, the widget pager, progress and error blocks."""

from graph_magic.notebook.display.results import (
    GraphBatchResult,
    GraphResult,
    Pager,
    ProgressReporter,
    make_result,
    render_error,
)

__all__ = [
    "GraphBatchResult",
    "GraphResult",
    "Pager",
    "ProgressReporter",
    "make_result",
    "render_error",
]
