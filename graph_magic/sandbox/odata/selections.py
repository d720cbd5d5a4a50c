"""What a collection query selects (filtered, searched, sorted), kept for a log scan's nextLinks.

Graph serves a nextLink from a cursor; the sandbox pages by offset into the query's selection,
which it would otherwise rebuild on every page: for a filtered scan of 200,000 sign-ins, half a
second per page of evaluating the filter over every item. The audit logs are never written
(the sandbox has no write route for them), so the selection of a log query is kept, by its
page scope (path and options but ``$skiptoken``), and its later pages slice it. A handful of
queries are kept, the least recently used dropped first; other collections, which writes
change, are selected afresh on every page.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from graph_magic.sandbox.odata.options import sort_items

__all__ = ["Selections", "select_items"]

Items = list[dict[str, Any]]

_NEVER_WRITTEN = frozenset(
    {"auditLogs/signIns", "auditLogs/directoryAudits", "auditLogs/provisioning"}
)


def select_items(
    items: Items,
    predicate: Callable[[dict[str, Any]], bool] | None,
    search: Callable[[dict[str, Any]], bool] | None,
    order: list[tuple[str, bool]],
) -> Items:
    """The items a query selects, in its order: filtered, searched, then sorted."""
    if predicate is not None:
        items = [obj for obj in items if predicate(obj)]
    if search is not None:
        items = [obj for obj in items if search(obj)]
    return sort_items(items, order) if order else items


class Selections:
    """The selections of the last ``size`` log queries, by collection and page scope."""

    def __init__(self, size: int = 32) -> None:
        self._kept: OrderedDict[tuple[str, str, int], Items] = OrderedDict()
        self._size = size

    def of(
        self, collection: str, scope: str, items: Items, select: Callable[[Items], Items]
    ) -> Items:
        """``select(items)``, computed once per log query and then reused."""
        if collection not in _NEVER_WRITTEN:
            return select(items)
        key = (collection, scope, id(items))
        found = self._kept.get(key)
        if found is None:
            found = self._kept[key] = select(items)
            if len(self._kept) > self._size:
                self._kept.popitem(last=False)
        self._kept.move_to_end(key)
        return found
