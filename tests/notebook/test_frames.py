"""items_to_frame / entity_to_frame / csv_to_frame: Graph JSON as the DataFrames analysts see."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from graph_magic.notebook.frames import csv_to_frame, entity_to_frame, flatten_item, items_to_frame


def _user(i: int, **extra: object) -> dict:
    return {
        "@odata.type": "#microsoft.graph.user",
        "id": f"u{i}",
        "displayName": f"User {i}",
        "businessPhones": [f"+1 555 {i:04d}"],
        "signInActivity": {"lastSignInDateTime": f"2026-01-{i + 1:02d}T00:00:00Z"},
        "manager": {"id": f"m{i}", "officeLocation": {"city": "Oslo", "geo": {"lat": 59.9}}},
        "manager@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users/$entity",
        **extra,
    }


def test_nested_objects_become_dotted_columns_and_lists_stay_lists():
    frame = items_to_frame([_user(0), _user(1)])
    assert list(frame.columns) == [
        "id",
        "displayName",
        "businessPhones",
        "signInActivity.lastSignInDateTime",
        "manager.id",
        "manager.officeLocation.city",
        "manager.officeLocation.geo",
    ]
    assert len(frame) == 2
    assert frame.loc[1, "businessPhones"] == ["+1 555 0001"]
    assert frame.loc[0, "manager.officeLocation.geo"] == {"lat": 59.9}


@pytest.mark.parametrize(
    ("depth", "expected"),
    [
        (0, ["id", "manager"]),
        (1, ["id", "manager.id", "manager.officeLocation"]),
        (2, ["id", "manager.id", "manager.officeLocation.city", "manager.officeLocation.geo"]),
        (3, ["id", "manager.id", "manager.officeLocation.city", "manager.officeLocation.geo.lat"]),
    ],
)
def test_flatten_depth_limits_how_deep_objects_are_split(depth, expected):
    office = {"city": "Oslo", "geo": {"lat": 1}}
    item = {"id": "1", "manager": {"id": "m", "officeLocation": office}}
    assert list(items_to_frame([item], flatten_depth=depth).columns) == expected


def test_annotations_are_left_out_at_every_level():
    item = {
        "@odata.context": "ctx",
        "@odata.etag": "W/1",
        "id": "1",
        "members@odata.navigationLink": "x",
        "manager": {"@odata.type": "#microsoft.graph.user", "id": "m"},
        "photo@odata.mediaReadLink": {"href": "x"},
    }
    second = {**item, "id": "2"}
    frame = items_to_frame([item, second])
    assert list(frame.columns) == ["id", "manager.id"]
    assert frame["id"].tolist() == ["1", "2"]


def test_select_order_wins_over_the_order_graph_sent():
    items = [{"id": "1", "mail": "a@contoso.com", "displayName": "A", "manager": {"id": "m"}}]
    frame = items_to_frame(items, select=["displayName", "manager", "mail"])
    assert list(frame.columns) == ["displayName", "manager.id", "mail", "id"]


def test_select_accepts_a_comma_string_nested_paths_and_other_case():
    items = [{"id": "1", "displayName": "A", "signInActivity": {"lastSignInDateTime": "t"}}]
    frame = items_to_frame(items, select="signInActivity/lastSignInDateTime,DisplayName")
    assert list(frame.columns) == ["signInActivity.lastSignInDateTime", "displayName", "id"]


def test_selected_property_no_item_carried_still_gets_a_column():
    frame = items_to_frame([{"displayName": "A"}], select=["displayName", "mail"])
    assert list(frame.columns) == ["displayName", "mail"]
    assert math.isnan(frame.loc[0, "mail"])


def test_empty_collection_is_an_empty_frame_with_the_selected_columns():
    frame = items_to_frame([], select=["displayName", "mail"])
    assert list(frame.columns) == ["displayName", "mail"]
    assert len(frame) == 0
    assert items_to_frame([]).shape == (0, 0)


def test_missing_values_fill_like_pandas_and_late_columns_keep_their_rows():
    items = [
        {"id": "1", "n": 1, "o": None},
        {"id": "2", "o": [1]},
        {"id": "3", "n": 3, "late": "x"},
    ]
    frame = items_to_frame(items)
    assert list(frame.columns) == ["id", "n", "o", "late"]
    assert frame["o"].tolist()[:2] == [None, [1]]  # null as sent, lacking as NaN
    assert math.isnan(frame.loc[2, "o"])
    assert frame["n"].isna().tolist() == [False, True, False]
    assert frame["late"].isna().tolist() == [True, True, False]
    assert frame.loc[2, "late"] == "x"


def test_a_property_null_in_some_rows_and_an_object_in_others_gives_both_columns():
    items = [{"id": "1", "manager": None}, {"id": "2", "manager": {"id": "m"}}]
    frame = items_to_frame(items)
    assert list(frame.columns) == ["id", "manager", "manager.id"]
    assert frame["manager.id"].isna().tolist() == [True, False]


def test_same_columns_and_values_as_json_normalize():
    items = [_user(i) for i in range(30)]
    items[3]["extra"] = 5
    items[7]["manager"] = None
    items[9]["businessPhones"] = []
    ours = items_to_frame(items)
    plain = [{k: v for k, v in item.items() if "@odata." not in k} for item in items]
    for item in plain:
        if isinstance(item.get("manager"), dict):
            item["manager"] = dict(item["manager"])
    theirs = pd.json_normalize(plain, max_level=2)
    assert sorted(ours.columns) == sorted(theirs.columns)
    for name in ours.columns:  # same values; ours are typed (timestamps parsed, ints kept)
        mine, plain_column = ours[name], theirs[name]
        if isinstance(mine.dtype, pd.DatetimeTZDtype):
            plain_column = pd.to_datetime(plain_column, utc=True)
        assert mine.isna().tolist() == plain_column.isna().tolist(), name
        assert mine.dropna().tolist() == plain_column.dropna().tolist(), name
    assert str(ours["signInActivity.lastSignInDateTime"].dtype) == "datetime64[us, UTC]"


ROWS = 10_000  # several of the blocks the frame is typed in


def test_a_large_frame_types_each_column_by_all_its_rows_not_by_its_first_ones():
    items = [
        {"n": 1, "f": 1.5, "s": "a", "mixed": "a", "ts": "2026-01-01T00:00:00Z", "ok": True}
        for _ in range(ROWS)
    ]
    items[-1] = {"n": 2.5, "f": 2, "s": None, "mixed": 7, "ts": "soon", "ok": None, "late": "x"}
    frame = items_to_frame(items)
    assert {name: str(dtype) for name, dtype in frame.dtypes.items()} == {
        "n": "float64",  # an int column with one float is floats, as a whole
        "f": "float64",
        "s": "category",
        "mixed": "object",  # strings and a number: the values Graph sent
        "ts": "category",  # one value not an instant: strings
        "ok": "boolean",
        "late": "str",  # first seen in the last row: missing before it
    }
    assert frame["n"].iloc[[0, -1]].tolist() == [1.0, 2.5]
    assert frame["mixed"].iloc[[0, -1]].tolist() == ["a", 7]
    assert frame["ts"].iloc[-1] == "soon" and frame["s"].isna().sum() == 1
    assert frame["late"].isna().sum() == ROWS - 1 and frame["late"].iloc[-1] == "x"


def test_a_dotted_key_and_the_object_path_of_the_same_name_give_the_later_ones_values():
    items = [{"id": str(i), "a.b": f"key {i}"} for i in range(ROWS)]
    items.append({"id": "last", "a": {"b": "from the object"}})
    frame = items_to_frame(items)
    assert list(frame.columns) == ["id", "a.b"]
    assert frame["a.b"].isna().sum() == ROWS and frame["a.b"].iloc[-1] == "from the object"


def test_flatten_item_and_entity_to_frame_give_a_property_value_table():
    user = _user(0)
    assert flatten_item(user)["manager.officeLocation.city"] == "Oslo"
    table = entity_to_frame(user)
    assert list(table.columns) == ["property", "value"]
    values = dict(zip(table["property"], table["value"], strict=True))
    assert values["signInActivity.lastSignInDateTime"] == "2026-01-01T00:00:00Z"
    assert values["businessPhones"] == ["+1 555 0000"]
    assert not any("@odata" in name for name in values)


def test_csv_download_with_a_byte_order_mark_becomes_a_frame():
    body = (
        "\ufeffReport Refresh Date,User Principal Name,Is Deleted\n2026-11-01,a@contoso.com,False\n"
    )
    frame = csv_to_frame(body.encode("utf-8"))
    assert list(frame.columns) == ["Report Refresh Date", "User Principal Name", "Is Deleted"]
    assert frame.loc[0, "User Principal Name"] == "a@contoso.com"
    assert csv_to_frame(b"").empty
