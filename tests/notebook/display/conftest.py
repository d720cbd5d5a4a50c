"""Fixtures for the results tests: Graph-shaped items and a fake paging loader."""

from __future__ import annotations

from typing import Any

import pytest

from graph_magic.notebook.display import Fetched


def _users(start: int, count: int) -> list[dict[str, Any]]:
    return [
        {
            "id": f"u{n}",
            "displayName": f"User {n}",
            "manager": {"id": f"m{n % 3}"},
            "businessPhones": [f"+1 555 {n:04d}"],
        }
        for n in range(start, start + count)
    ]


class FakeLoader:
    """Answers nextLinks like Graph would: pages of ``page_size`` up to ``total`` items."""

    def __init__(self, total: int, page_size: int) -> None:
        self.total = total
        self.page_size = page_size
        self.calls: list[tuple[str, int | None]] = []

    def __call__(self, next_link: str, limit: int | None) -> Fetched:
        self.calls.append((next_link, limit))
        start = int(next_link.rsplit("=", 1)[1])
        items: list[dict] = []
        pages = 0
        while start < self.total and (limit is None or len(items) < limit):
            count = min(self.page_size, self.total - start)
            items += _users(start, count)
            start += count
            pages += 1
        link = f"https://graph.microsoft.com/v1.0/users?$skiptoken={start}"
        request_id = f"request-{len(self.calls)}"
        return Fetched(items, link if start < self.total else None, pages, request_id, 0.25)


@pytest.fixture
def loader() -> FakeLoader:
    return FakeLoader(total=250, page_size=50)


@pytest.fixture
def make_users():
    """``make_users(start, count)``: Graph-shaped users with a nested manager and a list."""
    return _users
