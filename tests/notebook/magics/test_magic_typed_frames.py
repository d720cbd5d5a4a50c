"""A cell's DataFrame is typed from Graph's metadata for the path it read, and stays typed."""

from __future__ import annotations

from typing import Any

import pandas as pd

_SIGN_INS = """%%graph -o sign_ins --max-items 30
GET /auditLogs/signIns
$select: id,createdDateTime,appDisplayName,riskDetail,isInteractive,status,deviceDetail
$top: 10"""


def test_sign_ins_bind_typed_by_what_the_metadata_says(sandbox: Any, shell: Any) -> None:
    ran = sandbox(_SIGN_INS)
    assert not ran.failed, ran.everything
    frame = shell.user_ns["sign_ins"]
    assert len(frame) == 30
    assert str(frame["createdDateTime"].dtype) == "datetime64[us, UTC]"
    assert isinstance(frame["appDisplayName"].dtype, pd.CategoricalDtype)
    assert isinstance(frame["riskDetail"].dtype, pd.CategoricalDtype)  # an enum
    assert frame["isInteractive"].dtype == bool
    assert frame["status.errorCode"].dtype == "int64"
    # null in every sign-in, typed by the metadata (Edm.Boolean) rather than left as objects
    assert str(frame["deviceDetail.isCompliant"].dtype) == "boolean"
    assert frame["id"].dtype == pd.StringDtype("pyarrow", na_value=float("nan"))
    assert frame["createdDateTime"].is_monotonic_decreasing  # newest first, as Graph sends


def test_the_pagers_next_pages_keep_the_columns_types(sandbox: Any, shell: Any, magic: Any) -> None:
    ran = sandbox(_SIGN_INS)
    assert not ran.failed, ran.everything
    result = magic.session.last[0]
    assert result.load_more(40) == 40  # the pager's "next page" / "load all"
    grown = shell.user_ns["sign_ins"]
    assert len(grown) == 70
    assert str(grown["createdDateTime"].dtype) == "datetime64[us, UTC]"
    assert isinstance(grown["appDisplayName"].dtype, pd.CategoricalDtype)
    assert str(grown["deviceDetail.isCompliant"].dtype) == "boolean"
    assert grown["createdDateTime"].notna().all()
