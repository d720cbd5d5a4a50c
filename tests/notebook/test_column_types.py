"""The dtype each column of a frame gets (column_types): from Graph's JSON and Graph's metadata."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib
import pandas as pd
import pytest

from graph_magic.knowledge import Knowledge
from graph_magic.notebook.column_types import concat_frames, metadata_kinds
from graph_magic.notebook.csv_export import CsvExporter
from graph_magic.notebook.frames import items_to_frame

matplotlib.use("Agg")
NAN = float("nan")


def _column(values: list[object], kinds: object = None) -> pd.Series:
    """``values`` as one column ``c`` of a frame built from items (absent where NAN)."""
    items = [{} if v is NAN else {"c": v} for v in values]
    return items_to_frame(items, kinds=kinds)["c"]


def test_repeated_strings_are_categories_sorted_by_text_and_unique_ones_arrow_strings():
    apps = _column(["Teams", "Outlook", "Teams", "Azure", "Outlook", "Teams", None, NAN])
    assert isinstance(apps.dtype, pd.CategoricalDtype)
    assert list(apps.cat.categories) == ["Azure", "Outlook", "Teams"]
    assert apps.sort_values().tolist()[:3] == ["Azure", "Outlook", "Outlook"]
    assert apps.isna().tolist() == [False] * 6 + [True, True]
    ids = _column(["a1", "b2", "c3", None])
    assert ids.dtype == pd.StringDtype("pyarrow", na_value=NAN)
    assert ids.tolist()[:3] == ["a1", "b2", "c3"] and math.isnan(ids[3])


def test_graph_instants_are_utc_datetimes_whatever_their_precision_and_zone():
    when = _column(
        ["2026-11-01T10:00:00Z", "2026-11-01T12:00:00.1234567+02:00", "0001-01-01T00:00:00Z", NAN]
    )
    assert str(when.dtype) == "datetime64[us, UTC]"
    assert when[0] == when[1].floor("s") == pd.Timestamp("2026-11-01T10:00:00Z")
    assert when[1].microsecond == 123456  # Graph's seventh digit dropped, not the value
    assert when[2].year == 1  # Graph's "never" fits
    assert pd.isna(when[3])


@pytest.mark.parametrize(
    "values",
    [
        ["2024-01-01", "2024-02-01"],  # Edm.Date: no time, no zone
        ["2024-01-01T10:00:00", "2024-02-01T10:00:00"],  # no zone: which clock?
        ["2024-01-01T10:00:00Z", "soon"],
    ],
)
def test_strings_that_are_not_all_instants_stay_strings(values):
    assert _column(values).tolist() == values


@pytest.mark.parametrize(
    ("values", "dtype", "expected"),
    [
        ([True, False, True], "bool", [True, False, True]),
        ([True, None, NAN], "boolean", [True, pd.NA, pd.NA]),
        ([1, 2, 3], "int64", [1, 2, 3]),
        ([50126, None, 0], "Int64", [50126, pd.NA, 0]),
        ([7, NAN, 8], "Int64", [7, pd.NA, 8]),  # an item lacking it
        ([1.5, 2, NAN], "float64", [1.5, 2.0, NAN]),
    ],
)
def test_booleans_and_numbers_keep_their_kind_with_missing_values(values, dtype, expected):
    column = _column(values)
    assert str(column.dtype) == dtype
    assert [str(v) for v in column.tolist()] == [str(v) for v in expected]


def test_lists_mixed_values_and_nulls_stay_the_objects_graph_sent():
    phones = [["+1 555"], []]
    assert _column(phones).tolist() == phones
    assert _column(phones)[0] is not None
    assert _column(["a", 1, None]).tolist() == ["a", 1, None]
    assert _column(["a", 1]).dtype == object
    nulls = _column([None, None])
    assert nulls.dtype == object and nulls.tolist() == [None, None]


def test_items_that_are_not_objects_are_one_typed_value_column():
    frame = items_to_frame(["g1", "g2", "g3"])  # POST /me/getMemberGroups answers ids
    assert frame["value"].tolist() == ["g1", "g2", "g3"]
    assert frame["value"].dtype == pd.StringDtype("pyarrow", na_value=NAN)


@pytest.fixture(scope="module")
def sign_in_kinds():
    knowledge = Knowledge.for_cloud("global")
    return metadata_kinds(knowledge, knowledge.resolve("/auditLogs/signIns").type)


def test_metadata_names_the_kind_of_each_dotted_column(sign_in_kinds):
    assert sign_in_kinds("createdDateTime") == "datetime"
    assert sign_in_kinds("isInteractive") == "boolean"
    assert sign_in_kinds("status.errorCode") == "integer"
    assert sign_in_kinds("deviceDetail.isCompliant") == "boolean"
    assert sign_in_kinds("riskDetail") == "category"  # an enum
    assert sign_in_kinds("appDisplayName") == "string"
    assert sign_in_kinds("riskEventTypes") is None  # a collection: its values decide
    assert sign_in_kinds("status.noSuchThing") is None
    knowledge = Knowledge.for_cloud("global")
    user = metadata_kinds(knowledge, "microsoft.graph.user")
    assert user("manager.deletedDateTime") == "datetime"  # through an expanded navigation
    assert metadata_kinds(knowledge, None) is None


def test_metadata_types_what_the_json_alone_cannot(sign_in_kinds):
    items = [
        {"riskDetail": "none", "deviceDetail": {"isCompliant": None}, "createdDateTime": None},
        {"riskDetail": "adminDismissedAllRiskForUser", "deviceDetail": {}, "createdDateTime": None},
    ]
    frame = items_to_frame(items, kinds=sign_in_kinds)
    assert isinstance(frame["riskDetail"].dtype, pd.CategoricalDtype)  # unique, but an enum
    assert str(frame["deviceDetail.isCompliant"].dtype) == "boolean"  # all null, yet a boolean
    assert str(frame["createdDateTime"].dtype) == "datetime64[us, UTC]"


def test_metadata_never_fails_a_column_whose_values_disagree(sign_in_kinds):
    frame = items_to_frame(
        [{"createdDateTime": "yesterday"}, {"createdDateTime": "today"}], kinds=sign_in_kinds
    )
    assert frame["createdDateTime"].tolist() == ["yesterday", "today"]


def _sign_ins(count: int) -> list[dict]:
    apps = ["Microsoft Teams", "Graph Explorer", "Office 365 Exchange Online"]
    return [
        {
            "id": f"id-{i}",
            "createdDateTime": f"2026-11-{1 + i % 28:02d}T10:00:{i % 60:02d}.{i % 1000:03d}Z",
            "userPrincipalName": f"user{i % 5}@contoso.com",
            "appDisplayName": apps[i % 3],
            "isInteractive": i % 4 != 0,
            "status": {"errorCode": 50126 if i % 10 == 0 else 0, "failureReason": None},
            "location": {"city": ["Oslo", "Paris"][i % 2], "geoCoordinates": None},
            "riskEventTypes": [],
        }
        for i in range(count)
    ]


def test_ordinary_pandas_operations_work_on_a_typed_frame(sign_in_kinds):
    frame = items_to_frame(_sign_ins(40), kinds=sign_in_kinds)
    failed = frame.groupby("appDisplayName")["status.errorCode"].apply(lambda s: (s != 0).sum())
    assert failed.to_dict() == {
        "Graph Explorer": 1,
        "Microsoft Teams": 2,
        "Office 365 Exchange Online": 1,
    }
    assert frame["location.city"].value_counts().to_dict() == {"Oslo": 20, "Paris": 20}
    assert frame["userPrincipalName"].str.split("@").str[0].iloc[6] == "user1"
    assert frame["appDisplayName"].str.startswith("Microsoft").sum() == 14
    people = pd.DataFrame({"userPrincipalName": ["user1@contoso.com"], "dept": ["Legal"]})
    assert len(frame.merge(people, on="userPrincipalName")) == 8
    newest = frame.sort_values("createdDateTime").iloc[-1]
    assert newest["createdDateTime"] == frame["createdDateTime"].max()
    assert frame.set_index("createdDateTime").resample("7D").size().sum() == 40
    assert frame[frame["isInteractive"]].shape[0] == 30
    assert frame["appDisplayName"].sort_values().iloc[0] == "Graph Explorer"
    assert frame.groupby("location.city").size().plot.bar() is not None
    assert frame.to_csv(index=False).count("\n") == 41
    labels = frame["appDisplayName"].where(frame["isInteractive"])  # as the README says:
    assert labels.astype(str).fillna("none").value_counts()["none"] == 10  # new label: astype


def test_csv_export_still_writes_graphs_own_text(tmp_path: Path, sign_in_kinds):
    items = _sign_ins(3)
    path = tmp_path / "signins.csv"
    with CsvExporter(path) as exporter:
        exporter.write_items(items)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[1].startswith("id-0,2026-11-01T10:00:00.000Z,user0@contoso.com,Microsoft Teams")
    assert ",False,50126," in lines[1]
    frame = items_to_frame(items, kinds=sign_in_kinds)  # while the frame holds datetimes
    assert str(frame["createdDateTime"].dtype) == "datetime64[us, UTC]"


def test_stacking_pages_keeps_each_columns_type():
    first = items_to_frame([{"app": "Teams", "ok": True}, {"app": "Teams", "ok": False}])
    more = items_to_frame([{"app": "Azure"}, {"app": "Azure"}])
    joined = concat_frames([first, more])
    assert isinstance(joined["app"].dtype, pd.CategoricalDtype)
    assert list(joined["app"].cat.categories) == ["Azure", "Teams"]
    assert joined["app"].tolist() == ["Teams", "Teams", "Azure", "Azure"]
    assert str(joined["ok"].dtype) == "boolean"
    assert joined["ok"].tolist()[:2] == [True, False] and joined["ok"].isna().sum() == 2


def test_a_value_among_thousands_repeats_though_the_first_rows_are_nearly_all_different():
    users = _column([f"user{i % 2_000}@contoso.com" for i in range(10_000)])
    assert isinstance(users.dtype, pd.CategoricalDtype)
    assert len(users.cat.categories) == 2_000
    ids = _column([f"id-{i}" for i in range(10_000)])
    assert ids.dtype == pd.StringDtype("pyarrow", na_value=NAN)
