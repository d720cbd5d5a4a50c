"""GraphResult and GraphBatchResult: what a user sees for each kind of answer."""

from __future__ import annotations

import re

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from graph_magic.notebook.display import GraphBatchResult, GraphResult, ResultKind, make_result

USERS_URL = "https://graph.microsoft.com/v1.0/users?$select=displayName,id"


@pytest.fixture
def collection(make_users):
    """``collection(**facts)``: a 120-user result fetched in 3 pages."""

    def build(**facts):
        return _collection(make_users(0, 120), **facts)

    return build


def _collection(users, **facts):
    data = {"@odata.context": "ctx", "value": users}
    defaults = {"pages": 3, "elapsed": 1.2345, "request_id": "req-7f3a"}
    return make_result(
        method="GET",
        url=USERS_URL,
        status_code=200,
        data=data,
        content_type="application/json",
        select=["displayName", "id"],
        **{**defaults, **facts},
    )


def test_collection_text_says_rows_and_pages_then_the_table(collection):
    result = collection()
    text = repr(result)
    lines = text.splitlines()
    assert lines[0] == "users: 120 rows · 3 pages"
    header = re.split(r"\s+", lines[1].strip())
    assert header[:4] == ["displayName", "id", "manager.id", "businessPhones"]
    assert "User 0" in text and "User 119" in text
    assert "..." in text  # 120 rows do not all print with display_rows=50


def test_text_is_deterministic_and_has_no_timing_or_request_id(collection):
    first = repr(collection(elapsed=0.111, request_id="aaa"))
    second = repr(collection(elapsed=9.999, request_id="bbb"))
    assert first == second
    assert "0.111" not in first and "aaa" not in first and "req" not in first


def test_text_rendering_ignores_the_sessions_pandas_options(collection):
    import pandas as pd

    plain = repr(collection())
    with pd.option_context("display.max_rows", 5, "display.width", 20, "display.precision", 1):
        assert repr(collection()) == plain


def test_html_adds_timing_and_request_id_and_escapes_cells():
    result = make_result(
        method="GET",
        url=USERS_URL,
        status_code=200,
        data={"value": [{"displayName": "<script>alert(1)</script>"}]},
        elapsed=1.2345,
        request_id="req-7f3a",
    )
    page = result._repr_html_()
    assert '<span class="gm-elapsed">1.23 s</span>' in page
    assert '<span class="gm-request-id">req-7f3a</span>' in page
    assert "<script>" not in page
    assert "&lt;script&gt;" in page


@pytest.mark.parametrize(
    ("facts", "note"),
    [
        (
            {"more": True, "next_link": "x", "truncated_reason": "max_items", "max_items": 100},
            "more available: stopped at --max-items 100 (nextLink kept)",
        ),
        (
            {"more": True, "next_link": "x", "truncated_reason": "no_paginate"},
            "more available: paging off (--no-paginate), nextLink kept",
        ),
        ({"more": True, "next_link": "x"}, "more available: nextLink kept"),
    ],
)
def test_a_truncated_result_says_so(collection, facts, note):
    result = collection(**facts)
    assert repr(result).splitlines()[1] == note
    assert note in result._repr_html_()


def test_count_and_csv_export_are_reported(collection):
    result = collection(count=2345, csv_path="out.csv", rows_written=120)
    lines = repr(result).splitlines()
    assert lines[0] == "users: 120 rows of 2,345 (@odata.count) · 3 pages"
    assert lines[1] == "exported 120 rows to out.csv"


def test_a_csv_export_keeping_only_a_preview_counts_every_exported_row(collection):
    result = collection(csv_path="out.csv", rows_written=5000)
    lines = repr(result).splitlines()
    assert lines[0] == "users: 5,000 rows · 3 pages"
    assert lines[1] == (
        "exported 5,000 rows to out.csv; the first 120 are kept here (add -o NAME to keep them all)"
    )


def test_count_from_the_body_is_used():
    result = make_result(
        method="GET", url=USERS_URL, status_code=200, data={"@odata.count": 7, "value": []}
    )
    assert result.count == 7
    assert repr(result).splitlines()[0] == "users: 0 rows of 7 (@odata.count) · 1 page"


def test_entity_shows_as_a_property_value_table():
    user = {"@odata.context": "ctx", "id": "u1", "displayName": "Adele", "manager": {"id": "m"}}
    result = make_result(method="GET", url="/users/u1", status_code=200, data=user)
    assert result.kind == "entity"
    lines = repr(result).splitlines()
    assert lines[0] == "u1: 3 properties"
    assert re.split(r"\s+", lines[1].strip()) == ["property", "value"]
    assert re.split(r"\s+", lines[2].strip()) == ["id", "u1"]
    assert "manager.id" in repr(result)
    assert result.value == user


@pytest.mark.parametrize(
    ("data", "kind", "value"),
    [("250", "number", 250), (b"42", "number", 42), ("hello", "text", "hello")],
)
def test_text_bodies_are_numbers_or_text(data, kind, value):
    result = make_result(
        method="GET", url="/users/$count", status_code=200, data=data, content_type="text/plain"
    )
    assert (result.kind, result.value) == (kind, value)
    assert repr(result) == f"$count: {kind}\n{value}"


@pytest.mark.parametrize("content_type", ["text/csv", "application/octet-stream"])
def test_csv_report_becomes_a_frame(content_type):
    body = b"\xef\xbb\xbfReport Refresh Date,User Principal Name\r\n2026-11-01,a@contoso.com\r\n"
    result = make_result(
        method="GET",
        url="https://graph.microsoft.com/v1.0/reports/getOffice365ActiveUserDetail(period='D7')",
        status_code=200,
        data=body,
        content_type=content_type,
    )
    assert result.kind == "csv"
    assert list(result.frame.columns) == ["Report Refresh Date", "User Principal Name"]
    assert repr(result).startswith("getOffice365ActiveUserDetail(period='D7'): 1 row\n")


def test_image_is_shown_as_an_image():
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
    result = make_result(
        method="GET", url="/me/photo/$value", status_code=200, data=png, content_type="image/png"
    )
    assert result.kind == "image"
    assert repr(result) == "$value: image, 48 bytes (image/png)"
    assert 'src="data:image/png;base64,' in result._repr_html_()
    InteractiveShell.instance()  # display() publishes only through a shell
    with capture_output() as captured:
        result._ipython_display_()
    kinds = [sorted(output.data) for output in captured.outputs]
    assert ["text/plain"] in kinds
    assert any("image/png" in k for k in kinds)


def test_no_content_is_one_status_line():
    result = make_result(method="DELETE", url="/users/u1", status_code=204, data=None)
    assert result.kind == "empty"
    assert repr(result) == "DELETE u1: 204 No Content"


def test_an_expected_error_status_shows_graphs_code_and_message():
    error = {"code": "Request_ResourceNotFound", "message": "Resource 'x' does not exist."}
    body = {"error": error}
    result = make_result(method="GET", url="/users/x", status_code=404, data=body)
    assert result.kind == "error"
    head = repr(result).splitlines()[0]
    assert head == "GET x: 404 Request_ResourceNotFound: Resource 'x' does not exist."


def test_an_expected_error_keeps_its_changing_ids_out_of_the_text_form():
    inner = {"request-id": "4f1c", "client-request-id": "9a7e", "date": "2025-06-02T09:00:07"}
    error = {"code": "Request_ResourceNotFound", "message": "gone", "innerError": inner}
    result = make_result(
        method="GET", url="/users/x", status_code=404, data={"error": error}, request_id="4f1c"
    )
    text = repr(result)
    assert '"code": "Request_ResourceNotFound"' in text and '"message": "gone"' in text
    assert all(value not in text for value in inner.values())
    html = result._repr_html_()
    assert "9a7e" not in html and "2025-06-02" not in html
    assert '<span class="gm-request-id">4f1c</span>' in html  # the id, in its own span


def test_raw_shows_the_json():
    result = make_result(method="GET", url="/me", status_code=200, data={"id": "1"}, raw=True)
    assert repr(result) == 'me: raw\n{\n  "id": "1"\n}'


def test_display_without_widgets_publishes_text_and_html(collection):
    shell = InteractiveShell.instance()
    assert getattr(shell, "kernel", None) is None  # no widget front end here
    result = collection()
    with capture_output() as captured:
        result._ipython_display_()
    (output,) = captured.outputs
    assert output.data["text/plain"] == repr(result)
    assert output.data["text/html"] == result._repr_html_()


def test_batch_result_is_indexable_by_position_and_id_and_shows_each(collection):
    first = collection(label="1")
    second = make_result(
        method="GET", url="/users/$count", status_code=200, data="120", label="count"
    )
    batch = GraphBatchResult([first, second])
    assert len(batch) == 2
    assert batch[0] is first and batch["count"] is second and batch[-1] is second
    assert batch.ids() == ["1", "count"]
    with pytest.raises(KeyError):
        batch["missing"]
    text = repr(batch)
    assert text.startswith("batch: 2 requests\n\n[1] users: 120 rows")
    assert "[count] $count: number\n120" in text
    with capture_output() as captured:
        batch._ipython_display_()
    assert [o.data["text/plain"] for o in captured.outputs] == [repr(first), repr(second)]


def test_graph_result_defaults_are_a_plain_object():
    result = GraphResult(kind="empty", method="delete", url="/users/1", status_code=204)
    assert result.rows == 0
    assert result.method == "DELETE"
    assert not result.can_load


def test_a_kind_is_an_enum_equal_to_its_string_and_shown_as_it():
    result = GraphResult(kind="number", url="/users/$count", value=7)
    assert result.kind is ResultKind.NUMBER and result.kind == "number"
    assert repr(result) == "$count: number\n7"
    assert ResultKind.COLLECTION.has_rows and ResultKind.CSV.has_rows
    assert ResultKind.ENTITY.shows_frame and not ResultKind.ENTITY.has_rows
    assert not ResultKind.RAW.shows_frame


def test_from_items_builds_the_collection_a_scan_gathered(make_users):
    users = make_users(0, 3)
    result = GraphResult.from_items(
        users, url=USERS_URL, pages=2, more=True, next_link="next", count=9, select=["id"]
    )
    assert result.kind is ResultKind.COLLECTION and result.value is None
    assert list(result.frame.columns[:2]) == ["id", "displayName"]
    assert repr(result).splitlines()[:2] == [
        "users: 3 rows of 9 (@odata.count) · 2 pages",
        "more available: nextLink kept",
    ]


def test_from_items_with_raw_keeps_graphs_collection_shape(make_users):
    users = make_users(0, 2)
    result = GraphResult.from_items(users, raw=True, url=USERS_URL, count=2, next_link="next")
    assert result.kind is ResultKind.RAW and result.frame is None
    assert result.value == {"value": users, "@odata.count": 2, "@odata.nextLink": "next"}
    bare = GraphResult.from_items(users, raw=True, url=USERS_URL)
    assert bare.value == {"value": users}
