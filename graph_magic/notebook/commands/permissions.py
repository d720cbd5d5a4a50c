"""``%graph permissions [METHOD PATH]``: which permissions allow a request, from Microsoft's map.

With a request: the least-privileged delegated and application permissions and the others that
also allow it. Without: the permissions this notebook's requests needed so far (from the
session history), least-privileged and deduplicated, ready to paste into an app registration.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable

from graph_magic.knowledge import Knowledge
from graph_magic.notebook.cell import METHODS
from graph_magic.notebook.commands._base import Command, CommandContext, CommandParser, Show
from graph_magic.notebook.commands.describe import knowledge_of
from graph_magic.notebook.display.blocks import Panel
from graph_magic.notebook.errors import GraphUsageError
from graph_magic.notebook.session import HistoryEntry

__all__ = ["COMMAND", "needed_permissions", "request_permissions"]

parser = CommandParser(
    "permissions",
    "the permissions a request needs (least-privileged first); alone: what this notebook's "
    "requests needed so far",
)
parser.add_argument("method", nargs="?", metavar="METHOD", help="GET, POST, PATCH, PUT or DELETE")
parser.add_argument("path", nargs="?", metavar="PATH", help="the request's path, e.g. /users")


def request_permissions(knowledge: Knowledge, method: str, path: str, show: Show) -> None:
    """Show what allows ``method path``: per scheme, the least-privileged and the others."""
    answer = knowledge.permissions(method, path)
    title = f"Permissions for {answer.method} {path}"
    if not answer.known:
        show(Panel(title, note="Microsoft's permissions map has no entry for this request."))
        return
    schemes = (
        ("delegated (work or school)", answer.delegated),
        ("delegated (personal account)", answer.personal),
        ("application", answer.application),
    )
    rows = [
        (label, _names(scheme.least), _names(scheme.others))
        for label, scheme in schemes
        if scheme.all
    ]
    also = [
        f"{name} also needs one of: {', '.join(needs)}"
        for _, scheme in schemes
        for name, needs in scheme.also_requires
    ]
    note = "\n".join([f"from the map's entry {answer.template}", *also])
    show(Panel(title, tuple(rows), ("scheme", "least privileged", "also allowed"), note))


def needed_permissions(knowledge: Knowledge, entries: Iterable[HistoryEntry], show: Show) -> None:
    """Show the least-privileged permissions the sent requests of ``entries`` needed."""
    rows: dict[tuple[str, str], tuple[str, str, str]] = {}
    delegated: dict[str, None] = {}
    application: dict[str, None] = {}
    for entry in entries:
        if entry.outcome == "dry-run":
            continue
        answer = knowledge.permissions(entry.method, entry.url)
        if not answer.known or (answer.method, answer.template) in rows:
            continue
        least_delegated = answer.delegated.least[:1]
        least_application = answer.application.least[:1]
        delegated.update(dict.fromkeys(least_delegated))
        application.update(dict.fromkeys(least_application))
        request = f"{answer.method} /{answer.template}"
        rows[(answer.method, answer.template or "")] = (
            request,
            _names(least_delegated),
            _names(least_application),
        )
    if not rows:
        show(Panel("No requests with known permissions yet"))
        return
    note = "\n".join(
        [
            f"app registration, delegated: {_names(delegated) or '-'}",
            f"app registration, application: {_names(application) or '-'}",
        ]
    )
    header = ("request", "delegated", "application")
    show(Panel("Permissions this notebook's requests needed", tuple(rows.values()), header, note))


def _names(names: Iterable[str]) -> str:
    return ", ".join(names)


def _run(args: argparse.Namespace, context: CommandContext) -> None:
    knowledge = knowledge_of(context, None)
    if args.method is None:
        needed_permissions(knowledge, context.session.history, context.show)
        return
    method, path = args.method, args.path
    if path is None and method.startswith("/"):
        method, path = "GET", method
    if path is None or method.upper() not in METHODS:
        raise GraphUsageError(f"usage: {parser.synopsis()} (e.g. %graph permissions GET /users)")
    request_permissions(knowledge, method, path, context.show)


COMMAND = Command(parser, _run)
