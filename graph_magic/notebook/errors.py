"""The IPython side's usage errors: they subclass IPython's own, so they cannot live in
``graph_magic.errors`` (which imports nothing); that module's tree points here.

    GraphMagicError (graph_magic.errors)
     └── GraphUsageError      a %graph line or option that cannot be understood (also UsageError)
    BaseException
     └── SettingRejected      a refused ``%config GraphMagic.x = value``
"""

from __future__ import annotations

from IPython.core.error import UsageError

from graph_magic.errors import GraphMagicError

__all__ = ["GraphUsageError", "SettingRejected"]


class GraphUsageError(GraphMagicError, UsageError):
    """A ``%graph`` line that cannot be understood: a bad option, an unknown command.

    It is a ``UsageError`` for whoever catches those, but not *exactly* one, so IPython shows it
    as a real error: the short text below, and the cell fails (Run All stops, nbval fails),
    which a plain ``UsageError`` printed to stderr would not do.
    """

    def _render_traceback_(self) -> list[str]:
        return [f"UsageError: {self}"]


class SettingRejected(BaseException):
    """A ``%config GraphMagic.x = value`` that was refused.

    IPython's ``%config`` catches every ``Exception`` from ``update_config`` and only logs it, so
    the cell would succeed with the old value silently kept. This one derives from
    ``BaseException`` to get past that handler and fail the cell, with a one-line rendering.
    """

    def _render_traceback_(self) -> list[str]:
        return [f"SettingRejected: {self}"]
