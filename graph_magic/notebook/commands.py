"""``%graph`` commands: connect, systems, status, logout, history, help.

A ``%graph`` line whose first word is not an HTTP method, a ``/`` path or a URL is a command.
Each command is a plain function over the session and the settings that displays a small
text + HTML block, so tests call them without a shell and terminal IPython still reads well.
"""

from __future__ import annotations

import datetime as _dt
import shlex
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from traitlets import TraitError

from graph_magic.connector.config import find_systems, system_dirs
from graph_magic.errors import GraphMagicError
from graph_magic.notebook.display.blocks import Panel, PromptView
from graph_magic.notebook.errors import GraphUsageError
from graph_magic.notebook.options import RunOptions, Settings
from graph_magic.notebook.session import GraphSession

__all__ = ["COMMANDS", "check_system_name", "run_command"]


_Show = Callable[[Any], None]


class _Usage(GraphMagicError):
    """Wrong use of a command; turned into the magic's usage error by :func:`run_command`."""


def run_command(
    session: GraphSession,
    text: str,
    options: RunOptions,
    settings: Settings,
    show: Callable[[Any], None],
) -> None:
    """Run the ``%graph`` command in ``text`` (its first word names it)."""
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise GraphUsageError(f"cannot read {text!r}: {exc}") from None
    name, args = words[0].lower(), words[1:]
    command = COMMANDS.get(name)
    if command is None:
        raise GraphUsageError(
            f"unknown command {words[0]!r}. Commands: {', '.join(COMMANDS)}; a request starts "
            "with GET/POST/PATCH/PUT/DELETE, a /path or an https:// URL (%graph help)"
        )
    try:
        command(session, args, options, settings, show)
    except _Usage as exc:
        raise GraphUsageError(f"%graph {name}: {exc}") from None


def _connect(
    session: GraphSession, args: list[str], options: RunOptions, settings: Settings, show: _Show
) -> None:
    device_code, approve_as, names = options.device_code, None, []
    words = iter(args)
    for word in words:
        if word == "--device-code":
            device_code = True
        elif word == "--as":
            approve_as = next(words, None)
            if not approve_as:
                raise _Usage("--as needs a user principal name")
        elif word.startswith("-"):
            raise _Usage(f"unknown option {word!r}; {_CONNECT_USAGE}")
        else:
            names.append(word)
    if len(names) != 1:
        raise _Usage(_CONNECT_USAGE)
    name = names[0]
    system = session.connect(
        name,
        device_code=device_code,
        approve_as=approve_as,
        on_prompt=lambda prompt: show(PromptView(prompt)),
    )
    show(_status_panel(session.describe(name), f"Connected to '{name}'", system.base_url))


_CONNECT_USAGE = (
    "usage: %graph connect NAME [--device-code [--as UPN]] (NAME: see %graph systems; "
    "--as approves the sandbox's device code as that user)"
)


def _systems(
    session: GraphSession, args: list[str], options: RunOptions, settings: Settings, show: _Show
) -> None:
    _no_args(args)
    current = session.current or settings.default_system
    rows = []
    for name, path in find_systems().items():
        marker = "*" if name == current else ""
        rows.append((marker, name, _origin_of(path), _shown_path(path)))
    show(
        Panel(
            "Systems (* = used by the next request)",
            tuple(rows),
            header=("", "name", "from", "file"),
            note="%graph connect NAME switches; --system NAME picks one for a cell.",
        )
    )


def _origin_of(path: Path) -> str:
    """Which discovery place a system file comes from, in the order DESIGN searches them."""
    dirs = system_dirs()
    parent = path.parent
    if parent == dirs[-1]:
        return "built-in"
    if parent == dirs[-2]:
        return "~/.config/graph-magic/systems"
    if parent == dirs[-3]:
        return "./systems"
    return "$GRAPH_MAGIC_SYSTEMS"


def _shown_path(path: Path) -> str:
    """A system file's place as a reader needs it, without this machine's folders.

    Notebooks keep these outputs and nbval compares them on other machines, so a built-in
    file shows by name, and one under the working or home directory relative to it.
    """
    if path.parent == system_dirs()[-1]:
        return f"built-in {path.name}"
    for base, shown in ((Path.cwd(), ""), (Path.home(), "~/")):
        try:
            return shown + path.relative_to(base).as_posix()
        except ValueError:
            continue
    return str(path)


def _status(
    session: GraphSession, args: list[str], options: RunOptions, settings: Settings, show: _Show
) -> None:
    if len(args) > 1:
        raise _Usage("usage: %graph status [NAME]")
    name = args[0] if args else (session.current or settings.default_system)
    info = session.describe(name)
    title = f"System '{name}'" + ("" if session.current == name else " (not the current system)")
    show(_status_panel(info, title, info["base_url"]))


def _status_panel(info: dict[str, Any], title: str, base_url: str) -> Panel:
    rows = [("base_url", base_url), ("auth", str(info.get("auth_type")))]
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
    source = info.get("source")
    shown = _shown_path(Path(source)) if source and Path(source).is_file() else source or "?"
    return Panel(title, tuple(rows), note=f"defined in {shown}")


def _expiry_text(expires_on: Any) -> str:
    if not expires_on:
        return "held (no expiry known)"
    when = _dt.datetime.fromtimestamp(int(expires_on), tz=_dt.timezone.utc)
    return f"valid until {when:%Y-%m-%d %H:%M:%S} UTC"


def _logout(
    session: GraphSession, args: list[str], options: RunOptions, settings: Settings, show: _Show
) -> None:
    if len(args) > 1:
        raise _Usage("usage: %graph logout [NAME]")
    name = args[0] if args else (session.current or settings.default_system)
    was_signed_in = session.logout(name)
    text = f"Signed out of '{name}'." if was_signed_in else f"'{name}' was not signed in."
    show(Panel(text))


def _history(
    session: GraphSession, args: list[str], options: RunOptions, settings: Settings, show: _Show
) -> None:
    _no_args(args)
    rows = []
    for number, entry in enumerate(session.history, 1):
        size = (
            ""
            if entry.rows is None
            else f"{_plural(entry.rows, 'row')}, {_plural(entry.pages, 'page')}"
        )
        status = "" if entry.status is None else str(entry.status)
        rows.append(
            (str(number), entry.system, entry.method, entry.url, status, entry.outcome, size)
        )
    title = f"Last {len(rows)} requests" if rows else "No requests yet"
    header = ("#", "system", "method", "url", "status", "outcome", "size") if rows else ()
    show(Panel(title, tuple(rows), header=header))


_HELP = """\
%%graph [options]          one request per cell, written as Graph's docs print it:
  GET /users?$select=displayName,mail
  $filter: startswith(displayName,'A')
  ConsistencyLevel: eventual
Several requests separated by '### ID' lines go out as one $batch ('### b after a').
{{name}} inserts a notebook variable as data (never changing the request's structure).

%graph [options] GET /me     the one-line form; `users = %graph GET /users` gives a DataFrame.

Options: -o/--out NAME, --raw, --all, --no-paginate, --max-items N, --system NAME, --beta,
         --csv PATH, --dry-run, --quiet, --timeout S, --expect CODES (e.g. 200,404)

Commands: %graph connect NAME [--device-code [--as UPN]], %graph systems, %graph status [NAME],
          %graph logout [NAME], %graph history, %graph help

Settings: %config GraphMagic (auto_paginate, display_rows, progress, progress_delay,
          default_system, short_errors, flatten_depth, masked_headers, history_size, timeout)"""


def _help(
    session: GraphSession, args: list[str], options: RunOptions, settings: Settings, show: _Show
) -> None:
    show(Panel("graph-magic: Microsoft Graph in Jupyter", note=_HELP))


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}" + ("" if count == 1 else "s")


def _no_args(args: Sequence[str]) -> None:
    if args:
        raise _Usage(f"takes no arguments (got {' '.join(args)!r})")


COMMANDS: dict[str, Callable[..., None]] = {
    "connect": _connect,
    "systems": _systems,
    "status": _status,
    "logout": _logout,
    "history": _history,
    "help": _help,
}


def check_system_name(value: str) -> str:
    """Validate ``default_system``: a known system name or an existing YAML file."""
    if not isinstance(value, str) or not value.strip():
        raise TraitError("default_system must name a system (see %graph systems)")
    if value.endswith((".yaml", ".yml")) or "/" in value:
        if Path(value).expanduser().is_file():
            return value
        raise TraitError(f"default_system: no system file {value!r}")
    known = find_systems()
    if value not in known:
        raise TraitError(
            f"default_system: unknown system {value!r}; known systems: {', '.join(sorted(known))}"
        )
    return value
