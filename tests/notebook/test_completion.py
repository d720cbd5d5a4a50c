"""Tab completion in %%graph cells and %graph lines, through IPython's own completer.

Cells are completed the way ipykernel does it: the whole cell and the cursor offset go to
``shell.Completer.completions``, and the answer is rectified to one replaced range. The pure
``complete`` is driven directly for what a shell cannot easily set up (a beta system, an unknown
cloud).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path

import pytest
from IPython.core.completer import Completion, provisionalcompleter, rectify_completions
from IPython.core.interactiveshell import InteractiveShell

from graph_magic.connector.config import SystemConfig
from graph_magic.knowledge import cloud_of
from graph_magic.notebook.completion import MATCHER_ID, complete
from graph_magic.notebook.magic import GraphMagic

ROOT = Path(__file__).resolve().parents[2]
POLICIES = "/identity/conditionalAccess/policies"


def completions(shell: InteractiveShell, code: str, cursor: int | None = None) -> list[Completion]:
    """What ipykernel's complete_request answers for ``code`` with the cursor at ``cursor``."""
    cursor = len(code) if cursor is None else cursor
    with provisionalcompleter():
        return list(rectify_completions(code, shell.Completer.completions(code, cursor)))


def offered(shell: InteractiveShell, code: str, cursor: int | None = None) -> list[str]:
    return [completion.text for completion in completions(shell, code, cursor)]


def replaced(shell: InteractiveShell, code: str) -> str:
    """The text the offered words replace (ipykernel's cursor_start to cursor_end)."""
    found = completions(shell, code)
    assert found, f"nothing offered for {code!r}"
    return code[found[0].start : found[0].end]


# -- the request line's path ------------------------------------------------------------------


def test_an_entity_set_is_offered_for_its_first_letters(shell: InteractiveShell) -> None:
    assert offered(shell, "%%graph\nGET /us") == ["users"]
    assert replaced(shell, "%%graph\nGET /us") == "us"


def test_python_and_file_names_do_not_drown_graph_words(shell: InteractiveShell) -> None:
    found = completions(shell, "%%graph\nGET /us")
    assert {completion.type for completion in found} == {"entity set"}


def test_the_cursor_may_stand_on_any_line_of_the_cell(shell: InteractiveShell) -> None:
    cell = "%%graph\n# users first\nGET /us\n$top: 5\n"
    assert offered(shell, cell, cell.index("/us") + 3) == ["users"]


def test_a_navigation_property_follows_an_id_position(shell: InteractiveShell) -> None:
    assert "memberOf" in offered(shell, "%%graph\nGET /users/{id}/mem")
    assert "memberOf" in offered(shell, "%%graph\nGET /users/adele@contoso.com/mem")


def test_an_id_position_offers_the_key_first(shell: InteractiveShell) -> None:
    words = offered(shell, "%%graph\nGET /users/")
    assert words[0] == "{id}"
    assert {"delta", "$count", "microsoft.graph.agentUser"} <= set(words)


def test_a_cast_is_offered_after_the_namespace(shell: InteractiveShell) -> None:
    words = offered(shell, "%%graph\nGET /users/abc/memberOf/microsoft.graph.")
    assert "microsoft.graph.group" in words
    assert all(word.startswith("microsoft.graph.") for word in words)


def test_bound_functions_and_actions_are_offered(shell: InteractiveShell) -> None:
    words = offered(shell, "%%graph\nGET /me/")
    assert {"memberOf", "getMemberGroups", "checkMemberGroups", "manager"} <= set(words)


def test_a_full_url_and_a_v1_prefix_complete_like_a_path(shell: InteractiveShell) -> None:
    assert offered(shell, "%%graph\nGET https://graph.microsoft.com/v1.0/us") == ["users"]
    assert offered(shell, "%%graph\nGET /v1.0/us") == ["users"]
    assert offered(shell, "%%graph\n/us") == ["users"]


def test_a_method_is_offered_at_the_start_of_the_request_line(shell: InteractiveShell) -> None:
    assert offered(shell, "%%graph\nPA") == ["PATCH"]


def test_the_request_after_a_separator_is_its_own(shell: InteractiveShell) -> None:
    cell = "%%graph\nGET /users\n### g\nGET /groups\n$select: access"
    assert offered(shell, cell) == ["accessType"]


# -- $ options and their values ----------------------------------------------------------------


def test_option_names_are_offered_in_the_query_string(shell: InteractiveShell) -> None:
    assert offered(shell, "%%graph\nGET /users?$sel") == ["$select"]
    assert offered(shell, "%%graph\nGET /users?$top=5&$fil") == ["$filter"]


def test_option_names_are_offered_on_their_own_lines(shell: InteractiveShell) -> None:
    assert offered(shell, "%%graph\nGET /users\n$ex") == ["$expand"]
    assert offered(shell, "%%graph\nGET /users\n&$ord") == ["$orderby"]


def test_select_offers_the_properties_of_the_type(shell: InteractiveShell) -> None:
    assert offered(shell, "%%graph\nGET /users\n$select: displ") == ["displayName"]
    assert replaced(shell, "%%graph\nGET /users\n$select: id,displ") == "displ"
    assert offered(shell, "%%graph\nGET /users?$select=id, displ") == ["displayName"]
    assert offered(shell, "%graph GET /users?select=displ") == ["displayName"]


def test_select_leaves_out_what_is_listed_already(shell: InteractiveShell) -> None:
    words = offered(shell, "%%graph\nGET /users\n$select: id,displayName,")
    assert "id" not in words and "displayName" not in words and "mail" in words


def test_the_type_follows_a_cast_in_the_path(shell: InteractiveShell) -> None:
    cell = "%%graph\nGET /users/abc/memberOf/microsoft.graph.group\n$select: access"
    assert offered(shell, cell) == ["accessType"]


def test_expand_offers_navigation_properties(shell: InteractiveShell) -> None:
    assert "manager" in offered(shell, "%%graph\nGET /users?$expand=man")
    assert offered(shell, "%%graph\nGET /users?$expand=manager($select=displ") == []


def test_orderby_offers_properties_then_a_direction(shell: InteractiveShell) -> None:
    assert offered(shell, "%%graph\nGET /users\n$orderby: displ") == ["displayName"]
    assert offered(shell, "%%graph\nGET /users\n$orderby: displayName ") == ["asc", "desc"]


def test_filter_offers_properties_operators_and_joins(shell: InteractiveShell) -> None:
    assert "accountEnabled" in offered(shell, "%%graph\nGET /users\n$filter: acc")
    assert offered(shell, "%%graph\nGET /users\n$filter: accountEnabled e") == ["eq"]
    assert offered(shell, "%%graph\nGET /users\n$filter: accountEnabled eq t") == ["true"]
    assert offered(shell, "%%graph\nGET /users\n$filter: mail eq 'a' ") == ["and", "or"]
    cell = "%%graph\nGET /users\n$filter: startswith(displ"
    assert offered(shell, cell) == ["displayName"]


def test_filter_offers_an_enum_propertys_members_after_eq(shell: InteractiveShell) -> None:
    members = ["'enabled'", "'disabled'", "'enabledForReportingButNotEnforced'"]
    assert offered(shell, f"%%graph\nGET {POLICIES}\n$filter: state eq ") == members
    cell = f"%%graph\nGET {POLICIES}?$filter=state ne 'dis"
    assert offered(shell, cell) == ["'disabled'"]
    assert replaced(shell, cell) == "'dis"
    assert offered(shell, f"%%graph\nGET {POLICIES}\n$filter: state eq en")[0] == "'enabled'"


def test_count_offers_true_and_false(shell: InteractiveShell) -> None:
    assert offered(shell, "%%graph\nGET /users\n$count: ") == ["true", "false"]


# -- headers -------------------------------------------------------------------------------


def test_header_names_are_offered_in_any_case(shell: InteractiveShell) -> None:
    assert offered(shell, "%%graph\nGET /users\nConsis") == ["ConsistencyLevel"]
    assert offered(shell, "%%graph\nGET /users\n$count: true\nconsistencyl") == ["ConsistencyLevel"]
    assert offered(shell, "%%graph\nGET /users\nPre") == ["Prefer"]


def test_header_values_are_offered(shell: InteractiveShell) -> None:
    assert offered(shell, "%%graph\nGET /users\nConsistencyLevel: ") == ["eventual"]
    words = offered(shell, "%%graph\nGET /me/messages\nPrefer: return=")
    assert words == ["return=minimal", "return=representation"]


def test_authorization_is_never_offered(shell: InteractiveShell) -> None:
    assert offered(shell, "%%graph\nGET /users\nAuth") == []


# -- %graph lines --------------------------------------------------------------------------


def test_a_graph_line_completes_like_a_request_line(shell: InteractiveShell) -> None:
    assert offered(shell, "%graph GET /us") == ["users"]
    assert offered(shell, "users = %graph -o u --max-items 5 GET /us") == ["users"]
    assert offered(shell, "x = 1\n%graph GET /users?$sel") == ["$select"]


# -- where nothing is offered --------------------------------------------------------------


def test_nothing_is_offered_in_a_body_or_a_comment(shell: InteractiveShell) -> None:
    assert "users" not in offered(shell, '%%graph\nPOST /users\n\n{"name": "us')
    assert "users" not in offered(shell, "%%graph\n# GET /us")
    assert offered(shell, "%%graph --dry-run\nGET /us") == ["users"]


def test_beta_gets_no_metadata_completion(shell: InteractiveShell) -> None:
    assert "users" not in offered(shell, "%%graph --beta\nGET /us")
    assert "users" not in offered(shell, "%%graph\nGET /beta/us")
    assert "users" not in offered(shell, "%graph --beta GET /us")
    assert "displayName" not in offered(shell, "%%graph --beta\nGET /users\n$select: displ")
    assert offered(shell, "%%graph --beta\nGET /users?$sel") == ["$select"]


def test_an_unknown_system_offers_no_metadata_and_no_traceback(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    assert "users" not in offered(shell, "%%graph --system nosuch\nGET /us")
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    "code",
    ["import o", "us", "x = 'GET /us", "%%bash\nGET /us", "%%time\nGET /us", "%grap"],
)
def test_other_cells_complete_as_without_graph_magic(
    shell: InteractiveShell, monkeypatch: pytest.MonkeyPatch, code: str
) -> None:
    shell.user_ns["users_count"] = 1
    # Words and ranges only: jedi's types depend on how much of its time budget is left.
    with_magic = [(c.text, c.start, c.end) for c in completions(shell, code)]
    kept = [m for m in shell.Completer.custom_matchers if m.matcher_identifier != MATCHER_ID]
    monkeypatch.setattr(shell.Completer, "custom_matchers", kept)
    assert with_magic == [(c.text, c.start, c.end) for c in completions(shell, code)]


def test_python_names_are_still_offered_in_python_cells(shell: InteractiveShell) -> None:
    shell.user_ns["users_count"] = 1
    assert "users_count" in offered(shell, "x = 1\nus")


def test_unload_takes_the_matcher_away(shell: InteractiveShell) -> None:
    def ours() -> int:
        return sum(m.matcher_identifier == MATCHER_ID for m in shell.Completer.custom_matchers)

    assert ours() == 1
    shell.extension_manager.reload_extension("graph_magic")
    assert ours() == 1
    shell.extension_manager.unload_extension("graph_magic")
    assert ours() == 0
    assert "users" not in offered(shell, "%%graph\nGET /us")
    shell.extension_manager.load_extension("graph_magic")


def test_load_ext_does_not_import_the_knowledge(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import sys
        from IPython.core.interactiveshell import InteractiveShell
        from IPython.core.completer import provisionalcompleter
        shell = InteractiveShell.instance()
        shell.extension_manager.load_extension("graph_magic")
        print("graph_magic.knowledge" in sys.modules)
        with provisionalcompleter():
            print([c.text for c in shell.Completer.completions("%%graph\\nGET /us", 15)])
        print("graph_magic.knowledge" in sys.modules)
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env={**_without_systems(os.environ), "PYTHONPATH": str(ROOT), "IPYTHONDIR": str(tmp_path)},
    )
    assert run.stdout.split("\n")[:3] == ["False", "['users']", "True"]


def _without_systems(environ: Mapping[str, str]) -> dict[str, str]:
    return {name: value for name, value in environ.items() if name != "GRAPH_MAGIC_SYSTEMS"}


# -- the pure function: systems a shell does not have ----------------------------------------

PARSER = GraphMagic.graph.parser


def _complete(code: str, base_url: str) -> list[str]:
    system = SystemConfig(base_url=base_url)
    found = complete(code, len(code), PARSER, lambda name: system)
    return [suggestion.text for suggestion in found.suggestions]


def test_each_cloud_has_its_own_knowledge() -> None:
    assert _complete("%%graph\nGET /us", "https://graph.microsoft.us/v1.0") == ["users"]
    assert _complete("%%graph\nGET /us", "https://microsoftgraph.chinacloudapi.cn/v1.0") == [
        "users"
    ]
    assert cloud_of("https://dod-graph.microsoft.us/v1.0") == "usgovdod"


def test_a_beta_system_or_an_unknown_host_gets_no_metadata_completion() -> None:
    assert _complete("%%graph\nGET /us", "https://graph.microsoft.com/beta") == []
    assert _complete("%%graph\nGET /v1.0/us", "https://graph.microsoft.com/beta") == ["users"]
    assert _complete("%%graph\nGET /us", "https://graph.example.com/v1.0") == []
    assert _complete("%%graph\nGET /users?$sel", "https://graph.example.com/v1.0") == ["$select"]


def test_the_replaced_range_is_the_word_before_the_cursor() -> None:
    code = "%%graph\nGET /users\n$filter: state eq 'x'"
    system = SystemConfig()
    found = complete(code, code.index("$filter") + 4, PARSER, lambda name: system)
    assert [s.text for s in found.suggestions] == ["$filter"]
    assert code[found.start : found.end] == "$fil"
