"""``%%graph --delta NAME``: re-running a notebook fetches only what changed since the last run.

The first run scans the delta request fully and stores its deltaLink and the objects
(:mod:`graph_magic.notebook.delta_state`); a later run follows the stored deltaLink, folds the
changes in with the connector's one merge rule (:func:`~graph_magic.connector.delta_merge.
merge_delta`) and says how many objects were added, changed and removed. A deltaLink Graph no
longer honours (410 ``syncStateNotFound``, a token past its lifetime) is a full resync, said so
in the result. The state is replaced only once a round has ended; an interrupted or failed run
leaves it as it was.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from graph_magic.connector.delta_merge import merge_delta
from graph_magic.errors import GraphAPIError
from graph_magic.notebook.cell import RequestSpec
from graph_magic.notebook.delta_state import DeltaState, load_state, save_state
from graph_magic.notebook.display import GraphResult, Note, make_result
from graph_magic.notebook.dry_run import request_url
from graph_magic.notebook.errors import GraphUsageError
from graph_magic.notebook.scan import Job, pull_pages, spec_pages
from graph_magic.notebook.session import GraphSession

__all__ = ["run_delta"]


def run_delta(
    session: GraphSession, name: str, system: str, specs: list[RequestSpec], job: Job
) -> tuple[GraphResult, Any]:
    """Run one delta GET as round ``name`` of ``system``; (result, value for ``-o``)."""
    spec = _one_delta_read(specs, job)
    connector = session.connector(system, spec.version or session.system(system).version)
    request = request_url(connector, spec)
    folder = job.settings.delta_folder
    stored = load_state(folder, name)
    how = "first run: full scan"
    start = None
    if stored is not None and (stored.system, stored.request) == (system, request):
        start, how = stored.delta_link, "changes since the last run"
    elif stored is not None:
        how = f"full scan: the stored round was for {stored.request} on {stored.system}"
    try:
        items, delta_link = _round(session, connector, spec, job, start)
    except GraphAPIError as exc:
        if start is None or not _sync_state_gone(exc):
            raise
        items, delta_link = _round(session, connector, spec, job, None)
        start, how = None, "full resync: Graph no longer knows the stored round"
    if delta_link is None:
        raise GraphUsageError(
            f"{request} ended without a deltaLink, so it is not a delta query; --delta needs a "
            "delta request such as GET /users/delta"
        )
    base = stored.objects if start is not None and stored is not None else {}
    merged, counts = merge_delta(base, items)
    path = save_state(
        folder,
        name,
        DeltaState(delta_link, system, request, merged),
        flatten_depth=job.settings.flatten_depth,
    )
    result = make_result(
        method="GET",
        url=request,
        status_code=200,
        data={"value": list(merged.values())},
        raw=job.options.raw,
        flatten_depth=job.settings.flatten_depth,
        display_rows=job.settings.display_rows,
    )
    note = (
        f"delta {name} ({how}): {counts.added} added, {counts.changed} changed, "
        f"{counts.removed} removed; {len(merged)} stored in {_shown(path)}"
    )
    if not job.options.quiet:
        session.show(result)
        session.show(Note(note))
    value = result.value if job.options.raw else result.frame
    return result, value


def _one_delta_read(specs: list[RequestSpec], job: Job) -> RequestSpec:
    if len(specs) != 1 or specs[0].method != "GET":
        raise GraphUsageError("--delta runs one GET of a delta query, such as GET /users/delta")
    if job.options.csv or job.options.parquet:
        raise GraphUsageError(
            "--delta keeps its state as a Parquet file already (the note names it); "
            "--csv and --parquet go with plain scans"
        )
    if not job.paginate:
        raise GraphUsageError("--delta reads a whole round; it cannot be used with --no-paginate")
    if job.options.max_items is not None:
        raise GraphUsageError("--delta reads a whole round; it cannot be used with --max-items")
    return specs[0]


def _round(
    session: GraphSession, connector: Any, spec: RequestSpec, job: Job, start: str | None
) -> tuple[list[Any], str | None]:
    """Every item of one round (from the request, or from a stored deltaLink) and its end."""
    pages = spec_pages(connector, spec, job) if start is None else connector.iter_pages(start)
    items: list[Any] = []
    delta_link = None
    for page in pull_pages(session, pages):
        items += page.items
        delta_link = page.delta_link or delta_link
    return items, delta_link


def _sync_state_gone(exc: GraphAPIError) -> bool:
    """Graph's answer to a deltaLink it no longer honours (410, ``syncStateNotFound``)."""
    return exc.status_code == 410 or (exc.code or "").lower() == "syncstatenotfound"


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
