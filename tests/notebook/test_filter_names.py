"""Which names of a $filter expression the pre-flight check looks up on the request's type."""

from __future__ import annotations

import pytest

from graph_magic.notebook.filter_names import filter_properties


@pytest.mark.parametrize(
    ("expression", "names"),
    [
        ("displayName eq 'Adele'", ["displayName"]),
        ("startswith(displayName,'A') and userType eq 'Guest'", ["displayName", "userType"]),
        (
            "assignedLicenses/any(a:a/skuId eq cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46)",
            ["assignedLicenses"],
        ),
        ("signInActivity/lastSignInDateTime le 2024-01-01T00:00:00Z", ["signInActivity"]),
        ("mail eq 'department eq x' or mail eq 'it''s city'", ["mail"]),
        ("importance eq microsoft.graph.importance'high'", ["importance"]),
        ("microsoft.graph.user/department eq 'Sales'", []),
        (
            "createdDateTime ge duration'P1D' and id eq @p1 and $it/id ne null",
            ["createdDateTime", "id"],
        ),
        (
            "members/$count gt 0 and not(groupTypes/any(c:c eq 'Unified'))",
            ["members", "groupTypes"],
        ),
        (
            "userType in ('Guest','Member') and accountEnabled eq true",
            ["userType", "accountEnabled"],
        ),
        ("score add 1 gt 2.5 and flag has x'01'", ["score", "flag"]),
        ("displayName eq 'unterminated", ["displayName"]),
    ],
)
def test_only_the_types_own_property_names_are_read(expression: str, names: list[str]) -> None:
    assert filter_properties(expression) == names
