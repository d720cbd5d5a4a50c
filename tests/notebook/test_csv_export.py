"""CsvExporter: pages streamed to a CSV file whose columns stay right however they arrive."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from graph_magic.notebook.csv_export import CsvExporter
from graph_magic.notebook.frames import items_to_frame


def _pages(count: int, per_page: int = 5) -> list[list[dict]]:
    pages = []
    for p in range(count):
        page = []
        for i in range(per_page):
            n = p * per_page + i
            item = {
                "id": f"s{n}",
                "userPrincipalName": f"u{n}@contoso.com",
                "status": {"errorCode": 0, "failureReason": None},
                "appliedPolicies": [{"id": "p1", "result": "success"}] if n % 2 else [],
            }
            if p >= 6:  # a column Graph first sends on page 7
                item["riskDetail"] = "none"
                item["location"] = {"city": "Oslo"}
            page.append(item)
        pages.append(page)
    return pages


def _leftovers(directory) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def test_a_column_first_seen_on_page_7_does_not_corrupt_the_file(tmp_path):
    pages = _pages(9)
    target = tmp_path / "signins.csv"
    exporter = CsvExporter(target)
    for page in pages:
        exporter.write_items(page)
    assert exporter.close() == 45
    assert _leftovers(tmp_path) == ["signins.csv"]

    back = pd.read_csv(target, keep_default_na=False)
    everything = items_to_frame([item for page in pages for item in page])
    assert list(back.columns) == list(everything.columns)
    assert len(back) == len(everything)
    assert back["riskDetail"].tolist() == [""] * 30 + ["none"] * 15
    assert back["location.city"].tolist() == [""] * 30 + ["Oslo"] * 15
    assert back["id"].tolist() == everything["id"].tolist()
    assert back["status.errorCode"].tolist() == everything["status.errorCode"].tolist()


def test_lists_and_dicts_are_written_as_json(tmp_path):
    target = tmp_path / "out.csv"
    with CsvExporter(target, flatten_depth=0) as exporter:
        exporter.write_items([{"id": "1", "tags": ["a", "b"], "status": {"errorCode": 5}}])
    back = pd.read_csv(target)
    assert json.loads(back.loc[0, "tags"]) == ["a", "b"]
    assert json.loads(back.loc[0, "status"]) == {"errorCode": 5}


def test_missing_and_null_values_are_empty_cells(tmp_path):
    target = tmp_path / "out.csv"
    with CsvExporter(target) as exporter:
        exporter.write_items([{"id": "1", "mail": None, "n": 1.5}, {"id": "2"}])
    assert target.read_text(encoding="utf-8").splitlines() == ["id,mail,n", "1,,1.5", "2,,"]


def test_select_order_is_kept_across_pages(tmp_path):
    target = tmp_path / "out.csv"
    exporter = CsvExporter(target, select=["mail", "displayName", "manager"])
    exporter.write_items([{"displayName": "A", "mail": "a@x"}])
    exporter.write_items([{"displayName": "B", "mail": "b@x", "manager": {"id": "m"}}])
    exporter.close()
    back = pd.read_csv(target)
    assert list(back.columns) == ["mail", "displayName", "manager.id"]
    assert back["displayName"].tolist() == ["A", "B"]
    assert math.isnan(back.loc[0, "manager.id"])


def test_abort_leaves_no_file_and_no_temporary_file(tmp_path):
    exporter = CsvExporter(tmp_path / "out.csv")
    exporter.write_items(_pages(1)[0])
    exporter.abort()
    assert _leftovers(tmp_path) == []


def test_an_error_inside_the_with_block_aborts(tmp_path):
    with pytest.raises(RuntimeError), CsvExporter(tmp_path / "out.csv") as exporter:
        exporter.write_items(_pages(1)[0])
        raise RuntimeError("Ctrl-C while paging")
    assert _leftovers(tmp_path) == []


def test_an_existing_file_is_untouched_until_close(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old\n")
    exporter = CsvExporter(target)
    exporter.write_items(_pages(1)[0])
    assert target.read_text() == "old\n"
    exporter.abort()
    assert target.read_text() == "old\n"


def test_no_items_gives_a_header_of_the_selected_columns(tmp_path):
    target = tmp_path / "out.csv"
    exporter = CsvExporter(target, select="displayName,mail")
    exporter.write_items([])
    assert exporter.close() == 0
    assert target.read_text().splitlines() == ["displayName,mail"]


def test_writing_after_close_is_refused(tmp_path):
    exporter = CsvExporter(tmp_path / "out.csv")
    exporter.close()
    with pytest.raises(ValueError, match="closed"):
        exporter.write_items([{"id": "1"}])
