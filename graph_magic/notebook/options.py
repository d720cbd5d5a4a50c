"""What one ``%%graph`` / ``%graph`` run is asked to do: its options and the settings it sees.

Both are frozen snapshots, made by the magic and read by the session, the runner and the
commands, so none of those needs the magic (or each other) to know what a run was asked.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graph_magic.notebook.errors import GraphUsageError

__all__ = ["RunOptions", "Settings", "is_request", "split_line"]

_HTTP_METHODS = frozenset({"GET", "POST", "PATCH", "PUT", "DELETE"})
# Options that consume the next word; every other option is a flag.
_VALUE_OPTIONS = frozenset(
    {"-o", "--out", "--max-items", "--system", "--csv", "--timeout", "--expect"}
)
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
    bind: Callable[[str, Any], None] | None = None


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
    dry_run: bool = False
    quiet: bool = False
    timeout: float | None = None
    expect: tuple[int, ...] = ()
    device_code: bool = False

    @classmethod
    def from_args(cls, args: Any) -> RunOptions:
        """Check what argparse cannot (combinations, ranges) and freeze the result."""
        if args.all and args.no_paginate:
            raise GraphUsageError("--all and --no-paginate contradict each other; pick one")
        if args.out is not None and not args.out.isidentifier():
            raise GraphUsageError(f"-o/--out needs a Python variable name, not {args.out!r}")
        if args.max_items is not None and args.max_items < 1:
            raise GraphUsageError("--max-items must be at least 1")
        if args.timeout is not None and not args.timeout > 0:
            raise GraphUsageError("--timeout must be a positive number of seconds")
        return cls(
            out=args.out,
            raw=args.raw,
            paginate=True if args.all else (False if args.no_paginate else None),
            max_items=args.max_items,
            system=args.system,
            beta=args.beta,
            csv=args.csv,
            dry_run=args.dry_run,
            quiet=args.quiet,
            timeout=args.timeout,
            expect=_parse_expect(args.expect),
            device_code=args.device_code,
        )


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


def split_line(line: str) -> tuple[list[str], str]:
    """Split a magic line into its option words and the raw rest (request or command).

    The rest is kept exactly as typed: a request line such as
    ``GET /users?$filter=startswith(displayName,'A B')`` must reach the cell parser with its
    quotes and spaces intact, which a shell-style split of the whole line would destroy. Only
    the leading options are split (shell quoting applies there: ``--csv "my file.csv"``).
    """
    argv: list[str] = []
    expect_value = False
    for match in _TOKEN.finditer(line):
        word = match.group(0)
        if expect_value:
            argv.extend(_unquote(word))
            expect_value = False
        elif word.startswith("-") and word != "-":
            argv.append(word)
            expect_value = word in _VALUE_OPTIONS
        else:
            return argv, line[match.start() :].strip()
    return argv, ""


def _unquote(word: str) -> list[str]:
    try:
        return shlex.split(word)
    except ValueError as exc:
        raise GraphUsageError(f"unbalanced quote in {word!r}") from exc


def is_request(rest: str) -> bool:
    """True when the line's first word starts a request: a method, a ``/`` path or a URL."""
    first = rest.split(None, 1)[0] if rest.strip() else ""
    return (
        first.upper() in _HTTP_METHODS
        or first.startswith("/")
        or first.lower().startswith(("https://", "http://"))
    )
