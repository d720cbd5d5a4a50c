"""``--parquet`` from a cell: the scan's items typed in a file, alone or beside ``--csv``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq


def test_a_scan_streams_every_user_to_parquet(sandbox: Any, shell: Any, tmp_path: Path) -> None:
    target = tmp_path / "users.parquet"
    ran = sandbox(
        f"%%graph --parquet {target}\nGET /users?$select=displayName,accountEnabled,createdDateTime"
    )
    assert not ran.failed, ran.everything
    table = pq.read_table(target)
    assert table.num_rows == 250
    assert table.schema.field("createdDateTime").type == pa.timestamp("us", tz="UTC")
    assert table.schema.field("accountEnabled").type == pa.bool_()
    assert f"exported 250 rows to {target}" in ran.text


def test_csv_and_parquet_together(sandbox: Any, tmp_path: Path) -> None:
    csv, parquet = tmp_path / "g.csv", tmp_path / "g.parquet"
    ran = sandbox(f"%%graph --csv {csv} --parquet {parquet}\nGET /groups?$select=id,displayName")
    assert not ran.failed, ran.everything
    assert pq.read_table(parquet).num_rows == 40
    assert len(csv.read_text().splitlines()) == 41
    assert f"exported 40 rows to {csv} and {parquet}" in ran.text


def test_a_parquet_folder_is_refused_before_sending(sandbox: Any, tmp_path: Path) -> None:
    ran = sandbox(f"%%graph --parquet {tmp_path}\nGET /users")
    assert ran.failed
    assert "is a folder; name a file in it, such as" in str(ran.error)
    assert "users.parquet" in str(ran.error)
