"""Hostile system files and secrets: alias bombs, user info in base_url, secrets by name, the cache.

Each case builds the file or answer an attacker (or a careless paste) would, and asserts the
refusal: a GraphConfigError naming the key and file, a mask, a 0600 file. An alias bomb is
judged by the memory its refusal took (deterministic), not by a timing.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from graph_magic.connector.config import load_system
from graph_magic.connector.system_files import ALIAS_BUDGET, MAX_NESTING
from graph_magic.errors import GraphConfigError

WriteSystem = Callable[[Path, str, str], Path]

# Seven levels, each aliasing the one before nine times: 9**7 = 4.8 million leaves from 330 bytes.
LAUGHS = "token: t\nscopes:\n" + "".join(
    f"- &{level} [{','.join([f'*{prev}'] * 9) if prev else ','.join(['lol'] * 9)}]\n"
    for prev, level in zip(["", *"abcdef"], "abcdefg", strict=True)
)
# The same growth through YAML merge keys instead of sequences.
MERGE_LAUGHS = "token: t\nsandbox:\n  x0: &a0 {k0: lol, k1: lol, k2: lol, k3: lol}\n" + "".join(
    f"  x{n}: &a{n} {{{', '.join(f'm{i}: *a{n - 1}' for i in range(9))}}}\n" for n in range(1, 8)
)


def _refusal(path: Path) -> tuple[GraphConfigError, int]:
    """The error loading ``path`` raises, and the peak memory (bytes) the refusal took."""
    tracemalloc.start()
    try:
        with pytest.raises(GraphConfigError) as info:
            load_system(path, environ={})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return info.value, peak


# ---- 1. YAML aliases are bounded ------------------------------------------------------------


def test_the_billion_laughs_system_file_is_refused_at_the_alias(
    tmp_path: Path, write_system: WriteSystem
) -> None:
    assert len(LAUGHS) < 400
    path = write_system(tmp_path, "laughs", LAUGHS)
    error, peak = _refusal(path)
    assert error.file == str(path)
    # Level e's first alias is the one that passes the budget: line 7, the '*d' at column 7.
    assert "invalid YAML at line 7, column 7" in str(error)
    assert f"YAML aliases repeat more than {ALIAS_BUDGET:,} nodes" in str(error)
    assert str(path) in str(error)
    assert peak < 2_000_000  # the unbounded load took 240 MB


def test_merge_key_laughs_are_refused_too(tmp_path: Path, write_system: WriteSystem) -> None:
    path = write_system(tmp_path, "merge", MERGE_LAUGHS)
    error, peak = _refusal(path)
    assert error.file == str(path)
    assert "aliases repeat more than" in str(error)
    assert peak < 2_000_000


def test_an_alias_inside_its_own_anchor_is_refused(
    tmp_path: Path, write_system: WriteSystem
) -> None:
    path = write_system(tmp_path, "loop", "token: t\nscopes: &s [a, *s]\n")
    error, _ = _refusal(path)
    assert "line 2, column 16" in str(error)
    assert "inside its own anchor" in str(error)


def test_flow_nesting_is_refused_at_the_bracket_past_the_bound(
    tmp_path: Path, write_system: WriteSystem
) -> None:
    text = "token: t\nscopes: " + "[" * 50_000 + "]" * 50_000
    path = write_system(tmp_path, "deep", text)
    error, peak = _refusal(path)
    assert error.file == str(path)
    column = len("scopes: ") + MAX_NESTING + 1  # the first bracket too many
    assert f"line 2, column {column}: YAML nests deeper than {MAX_NESTING}" in str(error)
    assert peak < 2_000_000


def test_block_nesting_is_bounded_too(tmp_path: Path, write_system: WriteSystem) -> None:
    lines = [f"{' ' * level}k{level}:" for level in range(MAX_NESTING + 5)]
    path = write_system(tmp_path, "blocks", "token: t\nsandbox:\n" + "\n".join(lines) + " x\n")
    error, _ = _refusal(path)
    assert f"YAML nests deeper than {MAX_NESTING} levels" in str(error)


def test_nesting_within_the_bound_loads(tmp_path: Path, write_system: WriteSystem) -> None:
    depth = MAX_NESTING - 2  # the document's mapping and scopes' list are two levels
    text = "token: t\nscopes: " + "[" * depth + "x" + "]" * depth + "\n"
    with pytest.raises(GraphConfigError, match="expected a list of strings"):
        load_system(write_system(tmp_path, "deep-ok", text), environ={})


def test_a_few_aliases_still_load(tmp_path: Path, write_system: WriteSystem) -> None:
    text = "token: t\nscopes: [&s 'https://graph.microsoft.com/User.Read', *s, *s]\n"
    system = load_system(write_system(tmp_path, "ok", text), environ={})
    assert system.scopes == ("https://graph.microsoft.com/User.Read",) * 3
