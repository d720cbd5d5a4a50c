"""``--parquet``: pages streamed into a typed Parquet file that is complete or not there."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from graph_magic.notebook.parquet_export import ParquetExporter

PAGE_1 = [
    {
        "id": "1",
        "createdDateTime": "2025-05-01T10:00:00Z",
        "accountEnabled": True,
        "n": 3,
        "tags": ["a", "b"],
        "manager": None,
        "address": {"city": "Oslo"},
    },
    {
        "id": "2",
        "createdDateTime": "2025-05-02T11:30:00Z",
        "accountEnabled": False,
        "n": 4,
        "tags": [],
        "manager": None,
        "address": {"city": "Lima"},
    },
]
PAGE_2 = [
    {
        "id": "3",
        "createdDateTime": "2025-05-03T12:00:00Z",
        "accountEnabled": True,
        "n": 5,
        "tags": ["c"],
        "manager": "7",
        "address": {"city": "Oslo"},
        "late": 1.5,
    },
]


def test_columns_are_typed_as_graph_sent_them(tmp_path: Path) -> None:
    target = tmp_path / "users.parquet"
    exporter = ParquetExporter(target)
    exporter.write_items(PAGE_1)
    assert exporter.close() == 2
    schema = pq.read_schema(target)
    assert schema.field("createdDateTime").type == pa.timestamp("us", tz="UTC")
    assert schema.field("accountEnabled").type == pa.bool_()
    assert schema.field("n").type == pa.int64()
    assert pa.types.is_string(schema.field("address.city").type) or pa.types.is_large_string(
        schema.field("address.city").type
    )
    rows = pq.read_table(target).to_pylist()
    assert rows[0]["tags"] == '["a", "b"]'  # lists as JSON text, as --csv writes them


def test_a_late_column_and_a_late_type_join_the_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "users.parquet"
    exporter = ParquetExporter(target, select="id,n")
    exporter.write_items(PAGE_1)
    exporter.write_items(PAGE_2)  # adds "late"; "manager" was all missing, now text
    assert exporter.close() == 3
    table = pq.read_table(target)
    assert table.column_names[:2] == ["id", "n"]  # $select order first
    assert table.column("late").to_pylist() == [None, None, 1.5]
    assert table.column("manager").to_pylist() == [None, None, "7"]
    assert table.column("createdDateTime").type == pa.timestamp("us", tz="UTC")
    assert [p.name for p in tmp_path.iterdir()] == ["users.parquet"]  # no parts left


def test_a_column_of_two_types_becomes_text(tmp_path: Path) -> None:
    target = tmp_path / "mixed.parquet"
    exporter = ParquetExporter(target)
    exporter.write_items([{"id": "1", "value": 5}])
    exporter.write_items([{"id": "2", "value": "five"}])
    exporter.close()
    assert pq.read_table(target).column("value").to_pylist() == ["5", "five"]


def test_an_aborted_export_leaves_no_file_and_an_old_one_untouched(tmp_path: Path) -> None:
    target = tmp_path / "users.parquet"
    target.write_bytes(b"yesterday's export")
    exporter = ParquetExporter(target)
    exporter.write_items(PAGE_1)
    exporter.write_items(PAGE_2)
    exporter.abort()
    assert target.read_bytes() == b"yesterday's export"
    assert [p.name for p in tmp_path.iterdir()] == ["users.parquet"]


def test_an_empty_scan_writes_the_selected_columns(tmp_path: Path) -> None:
    target = tmp_path / "none.parquet"
    exporter = ParquetExporter(target, select="id,displayName")
    exporter.write_items([])
    assert exporter.close() == 0
    assert pq.read_schema(target).names == ["id", "displayName"]


def test_a_closed_exporter_refuses_more_pages(tmp_path: Path) -> None:
    exporter = ParquetExporter(tmp_path / "x.parquet")
    exporter.close()
    with pytest.raises(ValueError, match="already closed"):
        exporter.write_items(PAGE_1)
