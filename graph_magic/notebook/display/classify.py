"""Classifying an answer: which ``ResultKind`` a Graph response is, and its result built.

The rules are Graph's: a collection is a list or a dict whose ``value`` is a list; ``$count``
answers are ``text/plain`` digits; usage reports are CSV, even when storage labels them
``application/octet-stream``; a photo's ``$value`` is image bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from graph_magic.notebook.display.results import GraphResult, ResultKind
from graph_magic.notebook.frames import csv_to_frame, entity_to_frame

__all__ = ["make_result"]

_CSV_KINDS = ("text/csv", "application/csv", "application/vnd.ms-excel")


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
    kind, data = _classify(data, status_code=status_code, ctype=ctype, url=url, raw=raw)
    common = {
        "method": method,
        "url": url,
        "status_code": status_code,
        "content_type": ctype or None,
        "select": select,
        "flatten_depth": flatten_depth,
        **facts,
    }
    if kind is ResultKind.COLLECTION:
        if isinstance(data, dict):
            if common.get("count") is None:
                common["count"] = data.get("@odata.count")
            data = data["value"]
        return GraphResult.from_items(data, **common)
    if kind is ResultKind.CSV:
        return GraphResult(kind=kind, frame=csv_to_frame(data), **common)
    if kind is ResultKind.ENTITY:
        frame = entity_to_frame(data, flatten_depth=flatten_depth)
        return GraphResult(kind=kind, frame=frame, value=data, **common)
    return GraphResult(kind=kind, value=data, **common)


def _classify(
    data: Any, *, status_code: int, ctype: str, url: str, raw: bool
) -> tuple[ResultKind, Any]:
    """The answer's kind and its data, normalised for it (bytes decoded, a count as int)."""
    if raw:
        return ResultKind.RAW, data
    if status_code >= 400:
        return ResultKind.ERROR, data
    if status_code == 204 or data is None or data in (b"", ""):
        return ResultKind.EMPTY, None
    if ctype.startswith("image/") and isinstance(data, (bytes, bytearray)):
        return ResultKind.IMAGE, bytes(data)
    # Report downloads redirect to storage that labels the CSV application/octet-stream.
    is_report = ctype == "application/octet-stream" and "/reports/" in url
    if (ctype in _CSV_KINDS or is_report) and isinstance(data, (bytes, str)):
        return ResultKind.CSV, data
    if isinstance(data, (bytes, bytearray)):
        data = bytes(data).decode("utf-8", errors="replace")
    if isinstance(data, (int, float)) and not isinstance(data, bool):
        return ResultKind.NUMBER, data
    if isinstance(data, str):
        stripped = data.strip()
        if stripped.lstrip("-").isdigit():
            return ResultKind.NUMBER, int(stripped)
        return ResultKind.TEXT, data
    items = data.get("value") if isinstance(data, dict) else data
    if isinstance(items, list):
        return ResultKind.COLLECTION, data
    if isinstance(data, dict):
        return ResultKind.ENTITY, data
    return ResultKind.RAW, data
