"""The results of a multi-request cell (one ``$batch``), shown and indexed together."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from graph_magic.notebook.display._text import plural
from graph_magic.notebook.display.results import GraphResult

__all__ = ["GraphBatchResult"]


class GraphBatchResult(Sequence[GraphResult]):
    """The results of a multi-request cell, in the order written; indexable by id too."""

    def __init__(self, results: Sequence[GraphResult]) -> None:
        self.results = list(results)

    def __len__(self) -> int:
        return len(self.results)

    def __iter__(self) -> Iterator[GraphResult]:
        return iter(self.results)

    def __getitem__(self, key: int | str) -> GraphResult:  # type: ignore[override]
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
        head = f"batch: {plural(len(self.results), 'request')}"
        return "\n\n".join([head, *(repr(result) for result in self.results)])

    def _repr_html_(self) -> str:
        head = f"<div><b>batch: {plural(len(self.results), 'request')}</b></div>"
        return head + "".join(f"<div>{r._repr_html_()}</div>" for r in self.results)

    def _ipython_display_(self) -> None:
        for result in self.results:
            result._ipython_display_()
