r"""``\{{`` in a real cell: a literal ``{{`` in the request; a stray ``{{`` names the escape."""

from __future__ import annotations

from typing import Any

from graph_magic.errors import GraphSyntaxError


def test_dry_run_prints_escaped_braces_as_literal_text(sandbox: Any, shell: Any) -> None:
    shell.user_ns["n"] = 42  # app, t, name and user are not defined: nothing looks them up
    ran = sandbox(
        "%%graph --dry-run\n"
        r"PATCH /applications/\{{app}}?tag=\{{t}}" + "\n"
        r"X-Template: \{{name}} is {{n}}" + "\n"
        "\n"
        r'{"notes": "Dear \{{user.name}}, {{n}}", "path": "C:\\{{n}}"}'
    )
    assert not ran.failed, ran.everything
    assert ran.text == (
        "PATCH https://graph.microsoft.com/v1.0/applications/%7B%7Bapp}}?tag=%7B%7Bt%7D%7D\n"
        "Authorization: ***\n"
        "X-Template: {{name}} is 42\n"
        "Content-Type: application/json\n"
        "\n"
        "{\n"
        '  "notes": "Dear {{user.name}}, 42",\n'
        r'  "path": "C:\\42"' + "\n"
        "}\n"
        "\n"
        "(dry run: 1 request to system 'sandbox'; nothing was sent)"
    )


def test_a_stray_open_brace_pair_fails_the_cell_and_suggests_the_escape(
    sandbox: Any, magic: Any
) -> None:
    before = len(magic.session.history)
    ran = sandbox('%%graph\nPOST /groups\n\n{"description": "{{#each members}}"}')
    assert isinstance(ran.error, GraphSyntaxError)
    assert (ran.error.line, ran.error.column) == (3, 20)
    assert r"a literal '{{' is written '\{{'" in ran.stdout
    assert '{"description": "{{#each members}}"}\n' in ran.stdout and "^" in ran.stdout
    assert len(magic.session.history) == before
