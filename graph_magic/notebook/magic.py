"""The IPython face of graph-magic: ``%%graph`` / ``%graph``, their options and settings.

``GraphMagic`` is thin on purpose (the IPython magics style): it reads the options, snapshots
its settings and hands the work to the session (requests) or the commands (``%graph connect``,
``status``, ...), which tests drive without a shell. Settings are traitlets, so
``%config GraphMagic.display_rows = 100`` and ``c.GraphMagic.display_rows = 100`` in
``ipython_config.py`` both work, and a bad value fails the cell instead of being logged and
ignored.
"""

from __future__ import annotations

import functools
import re
from collections import ChainMap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import (
    Magics,
    line_cell_magic,
    magics_class,
    needs_local_scope,
    no_var_expand,
)
from IPython.core.magic_arguments import argument, magic_arguments
from traitlets import Bool, Float, Int, List, TraitError, Unicode, validate
from traitlets.config import Configurable

from graph_magic.errors import GraphMagicError
from graph_magic.notebook.errors import GraphUsageError, SettingRejected
from graph_magic.notebook.options import (
    DEFAULT_DELTA_FOLDER,
    RunOptions,
    Settings,
    check_timeout,
    is_request,
    split_line,
)
from graph_magic.notebook.session import GraphSession

__all__ = ["GraphMagic"]


@magics_class
class GraphMagic(Magics, Configurable):
    """``%%graph`` runs Graph requests written as Graph's docs print them; ``%graph`` too.

    Settings (``%config GraphMagic`` lists them with their help).
    """

    auto_paginate = Bool(
        True,
        help="Follow @odata.nextLink until every item is in. --all / --no-paginate override it.",
    ).tag(config=True)
    display_rows = Int(
        50, help="Rows shown before a result is paged (widget pager) or cut (text form)."
    ).tag(config=True)
    progress = Bool(True, help="Show progress (items, pages) while paging takes a while.").tag(
        config=True
    )
    progress_delay = Float(
        1.0, help="Seconds of paging before progress appears; quick requests show none."
    ).tag(config=True)
    default_system = Unicode(
        "sandbox",
        help=(
            "System used until `%graph connect NAME` or --system chooses another. The offline "
            "sandbox tenant is the default so that trying graph-magic never touches a real "
            "tenant; `%config GraphMagic.default_system = 'graph'` for production."
        ),
    ).tag(config=True)
    short_errors = Bool(
        True,
        help="Show Graph errors as a short block (status, code, message, request id, hint); "
        "False shows the full traceback.",
    ).tag(config=True)
    flatten_depth = Int(
        2, help="How deep nested objects are flattened into dotted columns (0 keeps them whole)."
    ).tag(config=True)
    masked_headers = List(
        Unicode(),
        default_value=[],
        help="Extra header names masked in --dry-run and %graph history (Authorization always is).",
    ).tag(config=True)
    history_size = Int(100, help="How many requests `%graph history` remembers.").tag(config=True)
    timeout = Float(60.0, help="Seconds each HTTP request may take; --timeout overrides.").tag(
        config=True
    )
    csv_formula_guard = Bool(
        True,
        help="Exported CSV (--csv, the pager's download) puts a ' before text starting with "
        "= + - @ tab or CR, so a spreadsheet shows it instead of running it as a formula "
        "(OWASP's advice; numbers are untouched). False writes --csv text raw.",
    ).tag(config=True)
    delta_folder = Unicode(
        DEFAULT_DELTA_FOLDER,
        help="Where --delta keeps each name's state (a Parquet file): relative to the notebook.",
    ).tag(config=True)

    strict = Bool(
        False,
        help="Make the pre-flight checks (unknown path, property, $ option, missing permission) "
        "errors that send nothing, instead of warnings. --strict does it for one cell.",
    ).tag(config=True)

    def __init__(self, shell: Any = None, **kwargs: Any) -> None:
        # Magics.__init__ makes the shell our parent (c.GraphMagic.* in ipython_config.py
        # reaches the validators below) and adds us to shell.configurables for %config.
        super().__init__(shell=shell, **kwargs)
        self.session = GraphSession(history_size=self.history_size)

    # -- settings -------------------------------------------------------------------------

    @validate("display_rows")
    def _check_display_rows(self, proposal: Any) -> int:
        return _at_least(proposal, "display_rows", 1)

    @validate("progress_delay")
    def _check_progress_delay(self, proposal: Any) -> float:
        return _at_least(proposal, "progress_delay", 0)

    @validate("flatten_depth")
    def _check_flatten_depth(self, proposal: Any) -> int:
        return _at_least(proposal, "flatten_depth", 0)

    @validate("history_size")
    def _check_history_size(self, proposal: Any) -> int:
        value = _at_least(proposal, "history_size", 0)
        if hasattr(self, "session"):
            self.session.resize_history(value)
        return value

    @validate("timeout")
    def _check_timeout(self, proposal: Any) -> float:
        return check_timeout(proposal["value"], "timeout", TraitError)

    @validate("default_system")
    def _check_default_system(self, proposal: Any) -> str:
        return _check_system_name(proposal["value"])

    @validate("masked_headers")
    def _check_masked_headers(self, proposal: Any) -> list[str]:
        names = list(proposal["value"])
        bad = [name for name in names if not re.fullmatch(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", name)]
        if bad:
            raise TraitError(f"masked_headers holds names that are not HTTP header names: {bad}")
        return names

    def update_config(self, config: Any) -> None:
        """Apply ``%config`` lines, refusing unknown names and bad values loudly.

        Unknown names would only be warned about by traitlets, and ``%config`` swallows the
        validators' errors; either way the user would go on with a setting they did not get.
        """
        section = config.get(type(self).__name__, {})
        known = set(self.trait_names(config=True))
        unknown = sorted(set(section) - known)
        if unknown:
            raise SettingRejected(
                f"GraphMagic has no setting {unknown[0]!r}; settings: {', '.join(sorted(known))}"
            )
        try:
            super().update_config(config)
        except TraitError as exc:
            raise SettingRejected(str(exc)) from None

    # -- the magic ------------------------------------------------------------------------

    @no_var_expand
    @needs_local_scope
    @magic_arguments()
    @argument("-o", "--out", metavar="NAME", help="assign the result's DataFrame to NAME")
    @argument("--raw", action="store_true", help="keep Graph's JSON (with -o: assign it)")
    @argument("--all", action="store_true", help="follow every nextLink (auto_paginate on)")
    @argument("--no-paginate", action="store_true", help="fetch only the first page")
    @argument("--max-items", type=int, metavar="N", help="stop paging once N items are in")
    @argument(
        "--system",
        metavar="NAME",
        help="system(s) for this cell only: a name, a list a,b or a pattern (reads fan out)",
    )
    @argument("--beta", action="store_true", help="send to the beta version of the system")
    @argument("--csv", metavar="PATH", help="stream the items to a CSV file as pages arrive")
    @argument("--parquet", metavar="PATH", help="stream the items, typed, to a Parquet file")
    @argument("--delta", metavar="NAME", help="a delta query: keep its state, then fetch changes")
    @argument("--dry-run", action="store_true", help="show the requests, send nothing")
    @argument("--quiet", action="store_true", help="display nothing (still assigns -o)")
    @argument("--timeout", type=float, metavar="S", help="seconds each HTTP request may take")
    @argument(
        "--priority",
        type=str.lower,
        choices=("low", "normal", "high"),
        metavar="P",
        help="x-ms-throttle-priority: low, normal or high",
    )
    @argument("--expect", metavar="CODES", help="statuses that are results, e.g. 200,404")
    @argument("--strict", action="store_true", help="pre-flight warnings are errors: send nothing")
    @argument(
        "--parallel", type=int, metavar="N", help="scan a log in N time windows at once, in order"
    )
    @line_cell_magic
    def graph(self, line: str, cell: str | None = None, local_ns: Any = None) -> Any:
        """Run Microsoft Graph requests, or a command (``%graph help``).

        ``%%graph [options]`` then one request per cell, or several separated by ``###`` lines
        (sent as one $batch). ``%graph [options] GET /users`` runs one request and returns what
        ``-o`` would assign (``users = %graph GET /users`` gives a DataFrame).
        Any other first word is a command: ``%graph help`` lists them, generated from their parsers.
        """
        try:
            return self._dispatch(line, cell, local_ns)
        except GraphMagicError as exc:
            if self.short_errors and not hasattr(exc, "_render_traceback_"):
                exc._render_traceback_ = functools.partial(_short_lines, exc)  # type: ignore[attr-defined]
            raise

    def _dispatch(self, line: str, cell: str | None, local_ns: Mapping[str, Any] | None) -> Any:
        from graph_magic.notebook.run import NOTHING, run_cell

        argv, rest = split_line(line, self.graph.parser)
        options = self._parse_options(argv)
        if cell is None and not is_request(rest):
            from graph_magic.notebook.commands import run_command

            run_command(
                rest or "help",
                session=self.session,
                default_system=self.default_system,
                show=self.session.show,
                magic_parser=self.graph.parser,
                settings=self.trait_names(config=True),
            )
            return None
        if cell is not None and rest:
            raise GraphUsageError(
                f"unexpected {rest.split()[0]!r} on the %%graph line; the request goes in the "
                "cell body, options on the line"
            )
        namespace: Mapping[str, Any] = self.shell.user_ns if self.shell is not None else {}
        if local_ns is not None and local_ns is not namespace:
            namespace = ChainMap(dict(local_ns), namespace)
        text = rest if cell is None else cell
        outcome = run_cell(
            self.session, text, namespace, options, self.settings(), line_form=cell is None
        )
        if outcome.value is NOTHING:
            return None
        if options.out is not None:
            self.shell.user_ns[options.out] = outcome.value
        return outcome.value if cell is None else None

    def _parse_options(self, argv: list[str]) -> RunOptions:
        try:
            args = self.graph.parser.parse_args(argv)
        except UsageError as exc:
            from graph_magic.notebook.commands import misplaced_option

            raise GraphUsageError(misplaced_option(argv) or str(exc)) from None
        return RunOptions.from_args(args)

    def settings(self) -> Settings:
        """A frozen copy of the settings, so a run sees one consistent set."""
        return Settings.of(self, bind=self._bind)

    def _bind(self, name: str, value: Any) -> None:
        """Rebind ``-o NAME`` after the result grew (pager's "next page" / "load all")."""
        if self.shell is not None:
            self.shell.user_ns[name] = value

    def close(self) -> None:
        """Close every connector this magic opened (``%unload_ext``)."""
        self.session.close()


def _check_system_name(value: str) -> str:
    """Validate ``default_system``: a known system name or an existing YAML file."""
    from graph_magic.connector.config import find_systems

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


def _at_least(proposal: Any, name: str, minimum: float) -> Any:
    value = proposal["value"]
    if value < minimum:
        raise TraitError(f"{name} must be at least {minimum}, not {value!r}")
    return value


def _short_lines(exc: GraphMagicError) -> list[str]:
    """The short block IPython shows instead of a traceback (``short_errors``)."""
    from graph_magic.notebook.display import render_error

    rendered = render_error(exc)
    if isinstance(rendered, str):
        return rendered.splitlines() or [rendered]
    return list(rendered)
