"""The IPython glue: one matcher (API v2) on the shell's completer, for graph-magic's text only.

The matcher answers only inside a ``%%graph`` cell or on a ``%graph`` line, and when it has
words it asks IPython to suppress the other matchers, so jedi's Python names and file paths do
not bury Graph's. Everywhere else it returns nothing and Python completion is untouched.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from IPython.core.completer import (
    CompletionContext,
    MatcherAPIv2,
    SimpleCompletion,
    SimpleMatcherResult,
    context_matcher,
)

from graph_magic.errors import GraphMagicError

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

    from graph_magic.connector.config import SystemConfig
    from graph_magic.notebook.magic import GraphMagic

#: The matcher's identifier: ``IPCompleter.disable_matchers`` and suppression settings name it.
MATCHER_ID = "graph_magic.completion"


def register(shell: InteractiveShell, magic: GraphMagic) -> None:
    """Add the matcher for ``magic``'s cells to ``shell``'s completer (once, at ``%load_ext``)."""
    unregister(shell)
    shell.Completer.custom_matchers.append(_matcher(magic))


def unregister(shell: InteractiveShell) -> None:
    """Take the matcher off ``shell``'s completer again (``%unload_ext``)."""
    matchers = shell.Completer.custom_matchers
    matchers[:] = [m for m in matchers if getattr(m, "matcher_identifier", None) != MATCHER_ID]


def _matcher(magic: GraphMagic) -> MatcherAPIv2:
    parser = magic.graph.parser

    def systems(name: str | None) -> SystemConfig | None:
        """The system a cell runs on, as a run would pick it; None when it cannot be loaded."""
        session = magic.session
        try:
            return session.system(session.system_name(name, magic.default_system))
        except GraphMagicError:
            return None

    @context_matcher(identifier=MATCHER_ID, priority=1)
    def graph_matcher(context: CompletionContext) -> SimpleMatcherResult:
        # Here, not at the top: %load_ext registers the matcher, and must not pay for the
        # grammar and the suggestions until the first Tab.
        from graph_magic.notebook.completion._suggest import complete

        lines = context.full_text.split("\n")
        cursor = sum(len(line) + 1 for line in lines[: context.cursor_line])
        cursor += context.cursor_position
        found = complete(context.full_text, cursor, parser, systems)
        if not found.suggestions:
            return SimpleMatcherResult(completions=[], suppress=False)
        return SimpleMatcherResult(
            completions=[SimpleCompletion(word.text, type=word.type) for word in found.suggestions],
            matched_fragment=context.full_text[found.start : cursor],
            suppress=True,
            ordered=True,
        )

    return graph_matcher
