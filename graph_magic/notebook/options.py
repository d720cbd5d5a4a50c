"""What one ``%%graph`` / ``%graph`` run is asked to do: its options and the settings it sees.

Both are frozen snapshots, made by the magic and read by the session, the runner and the
commands, so none of those needs the magic (or each other) to know what a run was asked.
"""

from __future__ import annotations

import argparse
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from traitlets import HasTraits

from graph_magic.notebook.errors import GraphUsageError

if TYPE_CHECKING:
    from graph_magic.notebook.cell import RequestSpec

#: Where ``--delta`` keeps its state: beside the notebook, as the project's own data.
DEFAULT_DELTA_FOLDER = ".graph-magic/delta"
_DELTA_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")

__all__ = [
    "RunOptions",
    "Settings",
    "check_timeout",
    "graph_version",
    "is_request",
    "prioritized",
    "split_line",
]

_TOKEN = re.compile(r"""(?:"[^"]*"|'[^']*'|\S)+""")


@dataclass(frozen=True)
class Settings:
    """The magic's settings as one run sees them (a snapshot of the traitlets)."""

    auto_paginate: bool = True
    display_rows: int = 50
    progress: bool = True
    progress_delay: float = 1.0
    default_system: str = "sandbox"
    flatten_depth: int = 2
    masked_headers: tuple[str, ...] = ()
    timeout: float = 60.0
    strict: bool = False
    csv_formula_guard: bool = True
    delta_folder: str = DEFAULT_DELTA_FOLDER
    bind: Callable[[str, Any], None] | None = None

    @classmethod
    def of(cls, traits: HasTraits, bind: Callable[[str, Any], None] | None = None) -> Settings:
        """The snapshot of ``traits`` (the magic): every field named like a trait is read."""
        values = {
            field.name: getattr(traits, field.name)
            for field in fields(cls)
            if traits.has_trait(field.name)
        }
        return cls(**values, bind=bind)

    def __post_init__(self) -> None:
        # The trait is a list; a snapshot must not share (or let anyone change) it.
        object.__setattr__(self, "masked_headers", tuple(self.masked_headers))


@dataclass(frozen=True)
class RunOptions:
    """One ``%%graph`` / ``%graph`` invocation's options, parsed and checked.

    ``paginate`` is None when neither ``--all`` nor ``--no-paginate`` was given, so the
    ``auto_paginate`` setting decides.
    """

    out: str | None = None
    raw: bool = False
    paginate: bool | None = None
    max_items: int | None = None
    system: str | None = None
    beta: bool = False
    csv: str | None = None
    parquet: str | None = None
    delta: str | None = None
    dry_run: bool = False
    quiet: bool = False
    timeout: float | None = None
    priority: str | None = None
    expect: tuple[int, ...] = ()
    strict: bool = False
    parallel: int | None = None

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> RunOptions:
        """Check what argparse cannot (combinations, ranges) and freeze the result.

        The magic's ``@argument`` dests are this class's fields, but for ``--all`` /
        ``--no-paginate`` (one ``paginate``) and ``--expect`` (text here, codes there).
        """
        values = dict(vars(args))
        follow_all, no_paginate = values.pop("all"), values.pop("no_paginate")
        if follow_all and no_paginate:
            raise GraphUsageError("--all and --no-paginate contradict each other; pick one")
        if args.out is not None and not args.out.isidentifier():
            raise GraphUsageError(f"-o/--out needs a Python variable name, not {args.out!r}")
        if args.max_items is not None and args.max_items < 1:
            raise GraphUsageError("--max-items must be at least 1")
        if args.timeout is not None:
            check_timeout(args.timeout, "--timeout", GraphUsageError)
        for flag, path, example in (
            ("--csv", args.csv, "users.csv"),
            ("--parquet", args.parquet, "users.parquet"),
        ):
            if path is not None:
                _check_export_target(flag, path, example)
        if args.delta is not None and not _DELTA_NAME.fullmatch(args.delta):
            raise GraphUsageError(
                f"--delta needs a name of letters, digits, '-' and '_' (a file is named after "
                f"it), not {args.delta!r}"
            )
        _check_parallel(args, no_paginate)
        values["paginate"] = True if follow_all else (False if no_paginate else None)
        values["expect"] = _parse_expect(args.expect)
        return cls(**values)


def _check_parallel(args: argparse.Namespace, no_paginate: bool) -> None:
    """``--parallel N`` scans a whole range: the options that stop a scan early do not fit."""
    if args.parallel is None:
        return
    for given, flag in (
        (args.max_items is not None, "--max-items"),
        (no_paginate, "--no-paginate"),
    ):
        if given:
            raise GraphUsageError(
                f"--parallel scans every window to its end, so {flag} does not fit it; for the "
                f"newest items only, drop --parallel (a sequential scan stops early)"
            )
    if args.delta is not None:
        raise GraphUsageError(
            "--parallel cuts a log scan into time windows; --delta is a delta query"
        )


def prioritized(specs: list[RequestSpec], priority: str | None) -> list[RequestSpec]:
    """The requests with ``--priority`` as their ``x-ms-throttle-priority`` header (Graph's
    spelling), over the system's; a request that writes the header itself keeps its own."""
    if priority is None:
        return specs
    from graph_magic.connector.limits_config import PRIORITIES
    from graph_magic.connector.prepare import PRIORITY_HEADER

    value = PRIORITIES[priority]
    return [
        spec
        if any(name.lower() == PRIORITY_HEADER for name in spec.headers)
        else replace(spec, headers={**spec.headers, PRIORITY_HEADER: value})
        for spec in specs
    ]


def _check_export_target(flag: str, path: str, example: str) -> None:
    """Refuse an export path that cannot become a file before the scan, not after its pages."""
    target = Path(path)
    if target.is_dir():
        raise GraphUsageError(
            f"{flag} {path!r} is a folder; name a file in it, such as {str(target / example)!r}"
        )
    if not target.parent.is_dir():
        raise GraphUsageError(f"{flag} {path!r}: the folder {str(target.parent)!r} does not exist")


def graph_version(beta: bool, written: str | None, system_version: str) -> str:
    """The Graph version a request goes to: ``--beta``, else its full URL's, else the system's.

    Running, the pre-flight checks and completion all ask this, so they agree on it.
    """
    return "beta" if beta else (written or system_version)


def check_timeout(seconds: float, name: str, error: type[Exception]) -> float:
    """The one ``timeout`` rule, for the setting (``TraitError``) and ``--timeout`` (usage)."""
    if not seconds > 0:
        raise error(f"{name} must be a positive number of seconds, not {seconds!r}")
    return seconds


def _parse_expect(text: str | None) -> tuple[int, ...]:
    if not text:
        return ()
    codes = []
    for part in text.split(","):
        part = part.strip()
        if not (part.isdigit() and 100 <= int(part) <= 599):
            raise GraphUsageError(
                f"--expect takes HTTP status codes separated by commas (e.g. 200,404), not {text!r}"
            )
        codes.append(int(part))
    return tuple(codes)


def split_line(line: str, parser: argparse.ArgumentParser) -> tuple[list[str], str]:
    """Split a magic line into its option words and the raw rest (request or command).

    The rest is kept exactly as typed: a request line such as
    ``GET /users?$filter=startswith(displayName,'A B')`` must reach the cell parser with its
    quotes and spaces intact, which a shell-style split of the whole line would destroy. Only
    the leading options are split (shell quoting applies there: ``--csv "my file.csv"``);
    ``parser`` (the magic's) tells which of them take the next word.
    """
    takes_value = _value_options(parser)
    argv: list[str] = []
    expect_value = False
    for match in _TOKEN.finditer(line):
        word = match.group(0)
        if expect_value:
            argv.extend(_unquote(word))
            expect_value = False
        elif word.startswith("-") and word != "-":
            argv.append(word)
            expect_value = word in takes_value
        else:
            return argv, line[match.start() :].strip()
    return argv, ""


def _value_options(parser: argparse.ArgumentParser) -> frozenset[str]:
    """The option words that consume the next word; every other option is a flag."""
    return frozenset(
        word for action in parser._actions if action.nargs != 0 for word in action.option_strings
    )


def _unquote(word: str) -> list[str]:
    try:
        return shlex.split(word)
    except ValueError as exc:
        raise GraphUsageError(f"unbalanced quote in {word!r}") from exc


def is_request(rest: str) -> bool:
    """True when the line's first word starts a request: a method, a ``/`` path or a URL."""
    from graph_magic.notebook.cell import METHODS

    first = rest.split(None, 1)[0] if rest.strip() else ""
    return (
        first.upper() in METHODS
        or first.startswith("/")
        or first.lower().startswith(("https://", "http://"))
    )
