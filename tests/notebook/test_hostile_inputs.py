"""Hostile cells and answers in the notebook: YAML bombs in a body, secrets in a dry run,
formulas in exported CSV, collections that are not objects.

An alias bomb is judged by the memory its refusal took (deterministic), not by a timing.
"""

from __future__ import annotations

import csv
import json
import tracemalloc
from pathlib import Path

import pandas as pd
import pytest
import respx
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from graph_magic.connector.system_files import ALIAS_BUDGET, MAX_NESTING
from graph_magic.errors import GraphSyntaxError
from graph_magic.notebook.cell import parse_cell
from graph_magic.notebook.csv_export import CsvExporter, formula_safe_frame, guard_formula
from graph_magic.notebook.display import ResultKind, make_result
from graph_magic.notebook.frames import SCALAR_COLUMN, items_to_frame
from tests.support.systems import systems_folder

# ---- YAML bodies are bounded like system files ---------------------------------------------

LAUGHS_BODY = "POST /groups\n\n" + "".join(
    f"{level}: &{level} [{','.join([f'*{prev}'] * 9) if prev else ','.join(['lol'] * 9)}]\n"
    for prev, level in zip(["", *"abcdef"], "abcdefg", strict=True)
)


def _syntax_error(cell: str, namespace: dict | None = None) -> tuple[GraphSyntaxError, int]:
    tracemalloc.start()
    try:
        with pytest.raises(GraphSyntaxError) as info:
            parse_cell(cell, namespace or {})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return info.value, peak


def test_a_billion_laughs_body_is_refused_at_the_alias() -> None:
    error, peak = _syntax_error(LAUGHS_BODY)
    # The body starts on line 3; level e (line 7) is where the repeats pass the budget.
    assert (error.line, error.column) == (7, 8)
    assert error.source_line.startswith("e: &e [*d")
    assert f"YAML aliases repeat more than {ALIAS_BUDGET:,} nodes" in error.message
    assert peak < 2_000_000  # walking the expanded body took 1.6 s before the bound


def test_a_laughs_body_with_values_put_in_is_refused_at_the_alias_column() -> None:
    cell = LAUGHS_BODY.replace("e: &e [", "e: &e [{{name}}, ")
    error, _ = _syntax_error(cell, {"name": "a longer value than the placeholder"})
    assert (error.line, error.column) == (7, 8 + len("{{name}}, "))


def test_a_body_that_aliases_itself_is_refused() -> None:
    error, _ = _syntax_error("POST /groups\n\nmembers: &m [a, *m]\n")
    assert (error.line, error.column) == (3, 17)
    assert "inside its own anchor" in error.message


def test_a_deeply_nested_yaml_body_is_refused_where_it_passes_the_bound() -> None:
    body = "owners: " + "[" * 20_000 + "]" * 20_000
    error, peak = _syntax_error(f"POST /groups\n\n# a comment makes it YAML\n{body}\n")
    assert error.line == 4
    assert error.column == len("owners: ") + MAX_NESTING + 1  # the first bracket too many
    assert f"nests deeper than {MAX_NESTING} levels" in error.message
    assert peak < 2_000_000


def test_a_yaml_body_with_a_few_aliases_is_sent_expanded() -> None:
    (spec,) = parse_cell("POST /groups\n\nowner: &o abc\nmembers: [*o, *o]\n", {})
    assert spec.body == {"owner": "abc", "members": ["abc", "abc"]}


# ---- collections that are not objects ---------------------------------------------------------

GRAPH = "https://graph.microsoft.com/v1.0"


@pytest.fixture
def graph_magic_systems(tmp_path: Path) -> Path:
    """A bearer system on Graph's own host, for the shell's cells to reach respx."""
    return systems_folder(tmp_path, {"mocked": f"base_url: {GRAPH}\ntoken: mocked-token\n"})


def test_a_collection_of_strings_is_a_one_column_frame() -> None:
    frame = items_to_frame(["id1", "id2"])
    assert list(frame.columns) == [SCALAR_COLUMN] == ["value"]
    assert frame["value"].tolist() == ["id1", "id2"]


def test_null_and_other_non_object_items_sit_in_the_value_column() -> None:
    frame = items_to_frame([{"id": "a"}, None, "x", [1, 2]])
    assert list(frame.columns) == ["id", "value"]
    assert frame["value"].tolist()[1:] == [None, "x", [1, 2]]
    assert frame["id"].isna().tolist() == [False, True, True, True]


def test_make_result_takes_get_member_groups_answer_as_a_frame() -> None:
    result = make_result(
        method="POST", url="/me/getMemberGroups", status_code=200, data={"value": ["g1", None]}
    )
    assert result.kind is ResultKind.COLLECTION
    assert result.frame is not None
    assert result.frame["value"].tolist()[0] == "g1"
    assert result.frame["value"].isna().tolist() == [False, True]  # a null in a text column


def test_get_member_groups_through_the_shell(shell: InteractiveShell) -> None:
    with respx.mock(assert_all_called=True) as router:
        route = router.post(f"{GRAPH}/me/getMemberGroups").respond(
            200, json={"value": ["3f8c9d2e-group-one", "c0ffee00-group-two", None]}
        )
        shell.run_line_magic("graph", "connect mocked")
        result = shell.run_cell(
            '%%graph -o groups\nPOST /me/getMemberGroups\n\n{"securityEnabledOnly": false}',
            store_history=False,
        )
    assert result.error_in_exec is None, result.error_in_exec
    assert json.loads(route.calls.last.request.content) == {"securityEnabledOnly": False}
    groups = shell.user_ns["groups"]
    assert list(groups.columns) == ["value"]
    assert groups["value"].tolist()[:2] == ["3f8c9d2e-group-one", "c0ffee00-group-two"]
    assert groups["value"].isna().tolist() == [False, False, True]


# ---- exported CSV neutralises spreadsheet formulas ------------------------------------------

HOSTILE = [
    {"displayName": '=HYPERLINK("https://evil.example","click")', "n": -5, "x": 1.5},
    {"displayName": "+cmd|' /C calc'!A0", "n": 3, "x": -2.25},
    {"displayName": "@SUM(1+1)*cmd|' /C calc'!A0", "n": 0, "x": 0.0},
    {"displayName": "-2+3+cmd|' /C calc'!A0", "n": -1, "x": None},
    {"displayName": "\t=1+1", "n": 1, "x": 1.0},
    {"displayName": "\r=1+1", "n": 1, "x": 1.0},
    {"displayName": "-5", "n": 1, "x": 1.0},
    {"displayName": "+1.5e3", "n": 1, "x": 1.0},
    {"displayName": "Adele Vance", "n": 1, "x": 1.0, "=evil": "a"},
]


def _export(tmp_path: Path, guard: bool = True) -> list[list[str]]:
    path = tmp_path / "out.csv"
    with CsvExporter(path, formula_guard=guard) as exporter:
        exporter.write_items(HOSTILE[:4])
        exporter.write_items(HOSTILE[4:])  # the '=evil' column arrives late: a rewrite
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def test_text_that_starts_a_formula_gets_a_leading_quote(tmp_path: Path) -> None:
    header, *rows = _export(tmp_path)
    assert header == ["displayName", "n", "x", "'=evil"]
    assert [row[0] for row in rows] == ["'" + item["displayName"] for item in HOSTILE[:6]] + [
        "-5",
        "+1.5e3",
        "Adele Vance",
    ]


def test_numbers_are_not_mangled(tmp_path: Path) -> None:
    _, *rows = _export(tmp_path)
    assert [row[1] for row in rows[:4]] == ["-5", "3", "0", "-1"]  # ints, negative ones too
    assert [row[2] for row in rows[:4]] == ["1.5", "-2.25", "0.0", ""]
    assert guard_formula(-5) == -5 and guard_formula(-2.5) == -2.5 and guard_formula(True) is True


def test_the_guard_can_be_turned_off(tmp_path: Path) -> None:
    header, *rows = _export(tmp_path, guard=False)
    assert header[-1] == "=evil"
    assert [row[0] for row in rows] == [item["displayName"] for item in HOSTILE]


def test_the_pager_download_is_guarded_the_same_way() -> None:
    frame = items_to_frame(HOSTILE)
    safe = formula_safe_frame(frame)
    assert list(safe.columns) == ["displayName", "n", "x", "'=evil"]
    assert safe["displayName"].tolist() == ["'" + item["displayName"] for item in HOSTILE[:6]] + [
        "-5",
        "+1.5e3",
        "Adele Vance",
    ]
    assert safe["n"].tolist() == frame["n"].tolist()  # numbers as they were
    assert frame["displayName"][0] == HOSTILE[0]["displayName"]  # the frame itself is untouched


def test_the_pager_download_guards_text_held_as_categories_too() -> None:
    apps = ["=HYPERLINK(1)", "=HYPERLINK(1)", "Teams", None] * 3
    frame = items_to_frame([{"app": app, "n": n} for n, app in enumerate(apps)])
    assert isinstance(frame["app"].dtype, pd.CategoricalDtype)  # repeated text
    lines = formula_safe_frame(frame).to_csv(index=False).splitlines()
    assert lines[1:5] == ["'=HYPERLINK(1),0", "'=HYPERLINK(1),1", "Teams,2", ",3"]
    assert frame["app"][0] == "=HYPERLINK(1)"


def test_csv_formula_guard_setting_reaches_csv_export(shell: InteractiveShell) -> None:
    answer = {"value": [{"id": "u1", "displayName": "=1+1", "n": -5}]}
    with respx.mock(assert_all_called=True) as router:
        router.get(f"{GRAPH}/users").respond(200, json=answer)
        shell.run_line_magic("graph", "connect mocked")
        for guard, name in ((True, "guarded.csv"), (False, "raw.csv")):
            shell.run_line_magic("config", f"GraphMagic.csv_formula_guard = {guard}")
            ran = shell.run_cell(f"%%graph --csv {name} --quiet\nGET /users", store_history=False)
            assert ran.error_in_exec is None, ran.error_in_exec
    shell.run_line_magic("config", "GraphMagic.csv_formula_guard = True")
    assert Path("guarded.csv").read_text().splitlines()[1] == "u1,'=1+1,-5"
    assert Path("raw.csv").read_text().splitlines()[1] == "u1,=1+1,-5"


# ---- a dry run masks secrets by name ----------------------------------------------------------

CERT = "MIIDBTCCAe2gAwIBAgIQN33ROaIJ6bJBWDCxtmJEbjANBgkqhkiG9w0BAQsFADAt" * 3


@pytest.mark.parametrize(
    ("cell", "secrets"),
    [
        (
            "POST /users\n\n"
            '{"displayName": "Adele", "passwordProfile": {"password": "Pa55-w0rd!x", '
            '"forceChangePasswordNextSignIn": true}}',
            ["Pa55-w0rd!x"],
        ),
        (
            "POST /applications\n\n"
            '{"displayName": "app", "passwordCredentials": [{"displayName": "ci", '
            '"secretText": "Qx9~pasted-secret-text"}], '
            f'"keyCredentials": [{{"type": "AsymmetricX509Cert", "key": "{CERT}"}}]}}',
            ["Qx9~pasted-secret-text", CERT[:40]],
        ),
        (
            "POST /users/{{who}}/authentication/passwordMethods/{{who}}/resetPassword\n\n"
            "newPassword: {{new}}\n",
            ["N3w-pa55word"],
        ),
    ],
)
def test_a_dry_run_masks_passwords_and_credentials(
    shell: InteractiveShell, cell: str, secrets: list[str]
) -> None:
    shell.user_ns.update(who="adele", new="N3w-pa55word")
    with respx.mock(assert_all_called=False) as router:  # nothing may be sent
        shell.run_line_magic("graph", "connect mocked")
        with capture_output() as captured:
            ran = shell.run_cell(f"%%graph --dry-run\n{cell}", store_history=False)
        assert ran.error_in_exec is None, ran.error_in_exec
        assert not router.calls
    shown = captured.stdout + "".join(str(v) for out in captured.outputs for v in out.data.values())
    assert "nothing was sent" in shown
    assert '"***"' in shown
    for secret in secrets:
        assert secret not in shown
