"""One cell, many tenants: ``%%graph --system a,b,c`` (or ``--system 'customer-*'``).

A consultant with many customer tenants asks each the same question. The cell's request is
built for each system (with that system's host, cloud and version), the scans run concurrently
on the loop thread, each within its own system's limits (every system has its own connector and
its own ``rate_limit_key``), and the answers come back as one DataFrame with a ``system`` column.
A system that fails (an expired secret, a 403, throttled past its retries) does not sink the
others: the result keeps what answered and says which failed and why. Only reads fan out: a
write to many tenants at once is refused, since one is rarely meant.
"""

from __future__ import annotations

import asyncio
import fnmatch
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from graph_magic.connector.client import GraphConnector
from graph_magic.connector.paging import PageSet
from graph_magic.errors import GraphFanoutError, GraphMagicError
from graph_magic.notebook.cell import RequestSpec, parse_cell
from graph_magic.notebook.display import DryRun, GraphResult, Note, make_result
from graph_magic.notebook.dry_run import describe_requests, request_url
from graph_magic.notebook.errors import GraphUsageError
from graph_magic.notebook.options import RunOptions, Settings, graph_version, prioritized
from graph_magic.notebook.scan import Job, exporters_for, finish_exports, select_of, spec_pages
from graph_magic.notebook.session import GraphSession

__all__ = ["fans_out", "run_fanout", "system_names"]

_PATTERN = set("*?[")


def fans_out(requested: str | None) -> bool:
    """Whether ``--system`` names several systems (a list or a pattern), not one."""
    return bool(requested) and ("," in requested or bool(_PATTERN & set(requested)))


def system_names(requested: str, known: Iterable[str]) -> list[str]:
    """The systems ``requested`` names, in order and once each; patterns match known names.

    A plain name is kept as written (a YAML path is a system too, and loading it says what is
    wrong); a pattern that matches nothing is an error listing what there is.
    """
    known = sorted(known)
    names: list[str] = []
    for part in (piece.strip() for piece in requested.split(",")):
        if not part:
            continue
        if _PATTERN & set(part):
            matched = fnmatch.filter(known, part)
            if not matched:
                raise GraphUsageError(
                    f"--system '{part}' matches no system; the systems are: {', '.join(known)}"
                )
            names.extend(matched)
        else:
            names.append(part)
    return list(dict.fromkeys(names))


@dataclass
class _Answer:
    """One system's scan: its items, or the error that ended it."""

    name: str
    url: str
    found: PageSet | None = None
    error: BaseException | None = None


def run_fanout(
    session: GraphSession,
    text: str,
    namespace: Mapping[str, Any],
    job: Job,
    names: list[str],
) -> tuple[GraphResult | None, Any]:
    """Run a one-GET cell against every system in ``names``; (result, value for ``-o``)."""
    options, settings = job.options, job.settings
    systems = {name: session.system(name) for name in names}  # a bad name fails before sending
    specs = {
        name: _one_read(
            prioritized(
                parse_cell(text, namespace, graph_origin=system.graph_origin), options.priority
            )
        )
        for name, system in systems.items()
    }
    connectors = {name: _connector(session, name, specs[name], options) for name in names}
    if options.dry_run:
        for name in names:
            described = describe_requests(
                [specs[name]], connectors[name], settings.masked_headers, options.max_items
            )
            session.show(DryRun(f"system {name}:\n{described}"))
            url = request_url(connectors[name], specs[name])
            session.remember(name, "GET", url, None, "dry-run")
        return None, None
    started = time.monotonic()
    answers = session.run_sync(_scan_all(connectors, specs, job))
    for answer in answers:
        _remember(session, specs[answer.name], answer)
    answered = [a for a in answers if a.found is not None]
    failed = [a for a in answers if a.error is not None]
    if not answered:
        raise GraphFanoutError({a.name: a.error for a in failed})  # type: ignore[misc]
    result = _combined(answered, specs[answered[0].name], options, settings)
    result.elapsed = time.monotonic() - started
    frame = result.frame
    if frame is not None:
        frame.attrs["systems_answered"] = [a.name for a in answered]
        frame.attrs["systems_failed"] = {a.name: _said(a.error) for a in failed}
    _export(answered, specs, job, result)
    if not options.quiet:
        session.show(result)
        session.show(Note(_report(answered, failed)))
    value = frame if frame is not None else result.value
    return result, (result.value if options.raw else value)


def _one_read(specs: list[RequestSpec]) -> RequestSpec:
    if len(specs) > 1:
        raise GraphUsageError(
            "a cell sent to several systems holds one request; send a $batch to one system"
        )
    (spec,) = specs
    if spec.method != "GET":
        raise GraphUsageError(
            f"only reads go to several systems at once, not {spec.method}: a write to many "
            "tenants is rarely meant; run it with one --system at a time"
        )
    return spec


def _connector(
    session: GraphSession, name: str, spec: RequestSpec, options: RunOptions
) -> GraphConnector:
    version = graph_version(options.beta, spec.version, session.system(name).version)
    return session.connector(name, version)


async def _scan_all(
    connectors: dict[str, GraphConnector], specs: dict[str, RequestSpec], job: Job
) -> list[_Answer]:
    """Every system's scan at once; an error ends that system's scan only."""
    return list(
        await asyncio.gather(*(_scan(name, connectors[name], specs[name], job) for name in specs))
    )


async def _scan(name: str, connector: GraphConnector, spec: RequestSpec, job: Job) -> _Answer:
    answer = _Answer(name, request_url(connector, spec))
    found = PageSet(job.options.max_items)
    pages = spec_pages(connector, spec, job)
    try:
        async for page in pages:
            found.add(page)
            if not job.paginate or found.full:
                break
    except GraphMagicError as exc:
        answer.error = exc
        return answer
    finally:
        await pages.aclose()
    answer.found = found
    return answer


def _tagged(answer: _Answer) -> list[dict[str, Any]]:
    """The answer's items with its system first; an item that is not an object is a value."""
    assert answer.found is not None
    return [
        {"system": answer.name, **(item if isinstance(item, dict) else {"value": item})}
        for item in answer.found.items
    ]


def _combined(
    answered: list[_Answer], spec: RequestSpec, options: RunOptions, settings: Settings
) -> GraphResult:
    items = [item for answer in answered for item in _tagged(answer)]
    select = select_of(spec)
    more = any(a.found is not None and a.found.more for a in answered)
    return make_result(
        method="GET",
        url=answered[0].url,
        status_code=200,
        data={"value": items},
        raw=options.raw,
        select=["system", *select] if select else None,
        flatten_depth=settings.flatten_depth,
        display_rows=settings.display_rows,
        pages=sum(a.found.pages for a in answered if a.found is not None),
        more=more,
        max_items=options.max_items,
        truncated_reason="max_items" if more else None,
    )


def _export(
    answered: list[_Answer], specs: dict[str, RequestSpec], job: Job, result: GraphResult
) -> None:
    """``--csv`` and ``--parquet`` of the combined rows, a system's rows at a time."""
    select = select_of(specs[answered[0].name])
    columns = ["system", *select] if select else None
    exporters = exporters_for(job.options, columns, job.settings, None)
    try:
        for answer in answered:
            for exporter in exporters:
                exporter.write_items(_tagged(answer))
    except BaseException:
        for exporter in exporters:
            exporter.abort()
        raise
    finish_exports(exporters, result)


def _remember(session: GraphSession, spec: RequestSpec, answer: _Answer) -> None:
    if answer.found is not None:
        found = answer.found
        session.remember(answer.name, "GET", answer.url, 200, "ok", len(found.items), found.pages)
    else:
        status = getattr(answer.error, "status_code", None)
        session.remember(answer.name, spec.method, answer.url, status, "error")


def _said(error: BaseException | None) -> str:
    return f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"


def _report(answered: list[_Answer], failed: list[_Answer]) -> str:
    """Which systems answered (with their rows), and which failed and why."""
    lines = [f"{len(answered)} of {len(answered) + len(failed)} systems answered:"]
    for answer in answered:
        assert answer.found is not None
        lines.append(f"  {answer.name}: {len(answer.found.items)} rows")
    for answer in failed:
        lines.append(f"  {answer.name}: failed, {_said(answer.error)}")
    return "\n".join(lines)
