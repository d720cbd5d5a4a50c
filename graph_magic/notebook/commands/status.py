"""``%graph status [NAME]``: what the notebook knows about a system; never the token."""

from __future__ import annotations

import argparse
import datetime as _dt
from pathlib import Path
from typing import Any

from graph_magic.notebook.commands._base import Command, CommandContext, CommandParser, Show
from graph_magic.notebook.commands.systems import shown_path
from graph_magic.notebook.display.blocks import Panel
from graph_magic.notebook.session import GraphSession

__all__ = ["COMMAND", "status", "status_panel"]

parser = CommandParser(
    "status", "show a system's endpoint, sign-in and token expiry (never the token)"
)
parser.add_argument("name", nargs="?", metavar="NAME", help="a system (default: the current one)")


def status(session: GraphSession, name: str, show: Show) -> None:
    """Show ``name``'s status, saying so when it is not the current system."""
    info = session.describe(name)
    title = f"System '{name}'" + ("" if session.current == name else " (not the current system)")
    show(status_panel(info, title, info["base_url"]))


def status_panel(info: dict[str, Any], title: str, base_url: str) -> Panel:
    """The status rows of a system (``GraphSession.describe``), also shown after a connect."""
    rows = [("base_url", base_url)]
    if info.get("cloud") not in (None, "global"):  # the global cloud goes without saying
        rows.append(("cloud", f"{info['cloud']} (sign-in at {info.get('authority')})"))
    if info.get("replay"):
        shown_cassette = shown_path(Path(info["replay"]))
        rows.append(("replay", f"{shown_cassette} (offline: no network, no credential)"))
        return Panel(title, tuple(rows), note=_defined_in(info.get("source")))
    if info.get("recording"):
        rows.append(("recording", f"into {shown_path(Path(info['recording']))}"))
    rows.append(("auth", str(info.get("auth_type"))))
    if info.get("credential"):
        rows.append(("credential", str(info["credential"])))
    if info.get("transport") == "sandbox":
        rows.append(("transport", "sandbox (in-process, offline)"))
    if info.get("account"):
        rows.append(("signed in as", str(info["account"])))
    if info.get("app"):
        rows.append(("app", str(info["app"])))
    if info.get("tenant"):
        rows.append(("tenant", str(info["tenant"])))
    signed_in = info.get("signed_in", False)
    rows.append(("token", _expiry_text(info.get("expires_on")) if signed_in else "none yet"))
    return Panel(title, tuple(rows), note=_defined_in(info.get("source")))


def _defined_in(source: str | None) -> str:
    shown = shown_path(Path(source)) if source and Path(source).is_file() else source or "?"
    return f"defined in {shown}"


def _expiry_text(expires_on: Any) -> str:
    if not expires_on:
        return "held (no expiry known)"
    when = _dt.datetime.fromtimestamp(int(expires_on), tz=_dt.UTC)
    return f"valid until {when:%Y-%m-%d %H:%M:%S} UTC"


def _run(args: argparse.Namespace, context: CommandContext) -> None:
    status(context.session, context.system(args.name), context.show)


COMMAND = Command(parser, _run)
