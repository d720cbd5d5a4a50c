"""Which collections a scan may cut into time windows: Graph's time-ordered logs, by path."""

from __future__ import annotations

import pytest

from graph_magic.knowledge.time_ordered import time_ordered


@pytest.mark.parametrize(
    ("path", "prop"),
    [
        ("/auditLogs/signIns", "createdDateTime"),
        ("auditlogs/SIGNINS/", "createdDateTime"),  # Graph's paths ignore case
        ("/auditLogs/directoryAudits?$top=5", "activityDateTime"),
        ("/auditLogs/provisioning", "activityDateTime"),
    ],
)
def test_the_log_collections_are_time_ordered_by_their_timestamp(path: str, prop: str) -> None:
    entry = time_ordered(path)
    assert entry is not None and entry.time_property == prop and entry.retention_days == 30


@pytest.mark.parametrize(
    "path", ["/users", "/auditLogs", "/auditLogs/signIns/abc", "/security/alerts_v2"]
)
def test_other_paths_are_not(path: str) -> None:
    assert time_ordered(path) is None
