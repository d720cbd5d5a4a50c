"""Running a cell's requests: one request or one ``$batch``, their results and history.

:func:`run_cell` parses a cell and runs it through a :class:`GraphSession`'s connectors. A GET
pages through :mod:`graph_magic.notebook.scan`; a write goes through ``perform_action``;
several requests go out as one ``$batch``; ``--dry-run`` prints what the connector would send
(:mod:`graph_magic.notebook.dry_run`). Every answer becomes a
:class:`~graph_magic.notebook.display.GraphResult`, and every request a history record.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import httpx

from graph_magic.connector.client import GraphConnector
from graph_magic.connector.config import SystemConfig
from graph_magic.connector.paging import Page, PageSet
from graph_magic.connector.responses import batch_error
from graph_magic.errors import GraphAPIError, GraphBatchError, GraphSyntaxError
from graph_magic.notebook.cell import RequestSpec, parse_cell
from graph_magic.notebook.column_types import KindLookup, metadata_kinds
from graph_magic.notebook.display import DryRun, GraphBatchResult, GraphResult, Note, make_result
from graph_magic.notebook.dry_run import (
    asks_count,
    batch_request,
    command_config,
    count_items,
    describe_requests,
    request_url,
    windows_of,
)
from graph_magic.notebook.errors import GraphUsageError
from graph_magic.notebook.fanout import fans_out, run_fanout, system_names
from graph_magic.notebook.options import RunOptions, Settings, graph_version, prioritized
from graph_magic.notebook.preflight import knowledge_for, preflight
from graph_magic.notebook.scan import Job, make_loader, run_get, select_of
from graph_magic.notebook.session import GraphSession

__all__ = ["NOTHING", "Outcome", "run_cell"]

NOTHING: Final = object()
"""Marks "nothing to assign": None is a legitimate value (a 204 has no data)."""


@dataclass
class Outcome:
    """What a run produced: its results and what ``-o`` / the line form get."""

    results: list[GraphResult] = field(default_factory=list)
    value: Any = NOTHING


def run_cell(
    session: GraphSession,
    text: str,
    namespace: Mapping[str, Any],
    options: RunOptions,
    settings: Settings,
    *,
    line_form: bool = False,
) -> Outcome:
    """Parse ``text`` and run its requests with the cell's ``options``; show the results.

    The line form (``users = %graph GET /users``) returns the data instead of showing the
    result, so it shows only what the data cannot say: a status line when there is no data
    (a 204), and the notes when more remained or rows went to a CSV file.
    """
    session.last = []
    if fans_out(options.system):
        for given, flag in ((options.delta, "--delta"), (options.parallel, "--parallel")):
            if given is not None:
                raise GraphUsageError(f"{flag} works on one system's scan; name one system")
        return _fan_out(session, text, namespace, options, settings, line_form)
    name = session.system_name(options.system, settings.default_system)
    system = session.system(name)
    specs = prioritized(
        parse_cell(text, namespace, graph_origin=system.graph_origin), options.priority
    )
    runner = _CellRunner(session, name, system)
    if options.parallel is not None:  # refused before anything is sent, dry run included
        windows_of(runner.connector_for(specs, options.beta), specs, options.parallel)
    if options.dry_run:
        runner.dry_run(specs, options, settings)
        return Outcome()
    preflight(session, name, specs, options.beta, options.strict or settings.strict)
    paginate = options.paginate
    if paginate is None:  # --parallel scans every window to its end
        paginate = options.parallel is not None or (settings.auto_paginate and system.auto_paginate)
    job = Job(options, settings, line_form or options.out is not None, paginate, line_form)
    if options.delta:
        from graph_magic.notebook.delta_sync import run_delta

        result, value = run_delta(session, options.delta, name, specs, job)
        session.last = [result]
        return Outcome(results=[result], value=value)
    single = len(specs) == 1
    outcome = runner.run_single(specs[0], job) if single else runner.run_batch(specs, job)
    session.last = outcome.results
    return outcome


def _fan_out(
    session: GraphSession,
    text: str,
    namespace: Mapping[str, Any],
    options: RunOptions,
    settings: Settings,
    line_form: bool,
) -> Outcome:
    """The cell against every system ``--system`` names (:mod:`graph_magic.notebook.fanout`)."""
    from graph_magic.connector.system_files import find_systems

    names = system_names(options.system or "", find_systems())
    paginate = settings.auto_paginate if options.paginate is None else options.paginate
    job = Job(options, settings, line_form or options.out is not None, paginate, line_form)
    result, value = run_fanout(session, text, namespace, job, names)
    if result is None:
        return Outcome()
    session.last = [result]
    return Outcome(results=[result], value=value)


class _CellRunner:
    """The request logic of one cell, over one system of the session."""

    def __init__(self, session: GraphSession, name: str, system: SystemConfig) -> None:
        self.session = session
        self.name = name
        self.system = system

    def connector_for(self, specs: list[RequestSpec], beta: bool) -> GraphConnector:
        """The connector of the Graph version the requests go to: --beta, else their URL's."""
        versions = [graph_version(beta, spec.version, self.system.version) for spec in specs]
        for spec, version in zip(specs, versions, strict=True):
            if version != versions[0]:
                raise GraphSyntaxError(
                    f"the requests of a cell go out as one $batch, so they must use one Graph "
                    f"version; request {spec.id} uses {version}, the first uses {versions[0]}. "
                    "Split the cell.",
                    line=spec.line,
                    column=1,
                )
        return self.session.connector(self.name, versions[0])

    def _remember(self, spec: RequestSpec, url: str, status: int | None, outcome: str) -> None:
        self.session.remember(self.name, spec.method, url, status, outcome)

    def _record(self, spec: RequestSpec, result: GraphResult, outcome: str) -> None:
        rows = len(result.frame) if result.frame is not None and result.kind in _ROWS else None
        self.session.remember(
            self.name,
            spec.method,
            result.url,
            result.status_code,
            outcome,
            rows,
            result.pages,
            result.elapsed,
        )

    def dry_run(self, specs: list[RequestSpec], options: RunOptions, settings: Settings) -> None:
        """Show what the connector would send; history says it was a dry run."""
        connector = self.connector_for(specs, options.beta)
        counted = None
        if asks_count(specs) and options.parallel is None:
            counted = self.session.run_sync(count_items(connector, specs[0]))
        described = describe_requests(
            specs,
            connector,
            settings.masked_headers,
            options.max_items,
            parallel=options.parallel,
            counted=counted,
        )
        self.session.show(DryRun(described))
        for spec in specs:
            self._remember(spec, request_url(connector, spec), None, "dry-run")

    def run_single(self, spec: RequestSpec, job: Job) -> Outcome:
        connector = self.connector_for([spec], job.options.beta)
        url = request_url(connector, spec)
        started = time.monotonic()
        try:
            leftover: list[dict[str, Any]] = []
            if spec.method == "GET":
                kinds = self._kinds(spec, job.options.beta)
                result, leftover = run_get(self.session, connector, spec, url, job, kinds)
            else:
                result = self._action(connector, spec, url, job)
        except KeyboardInterrupt:
            self._remember(spec, url, None, "interrupted")
            raise
        except GraphAPIError as exc:
            self._remember(spec, url, exc.status_code, f"error {exc.code or ''}")
            raise
        result.elapsed = time.monotonic() - started
        self._record(spec, result, "ok")
        exporting = job.options.csv is not None or job.options.parquet is not None
        if result.more and not exporting and not job.options.raw:
            loader = make_loader(self.session, connector, spec, job.timeout, leftover)
            result.attach_loader(loader, lambda r: job.rebind(_value_of(r, job.options.raw)))
        value = _value_of(result, job.options.raw)
        if job.options.quiet:
            pass
        elif not job.line_form or value is None:
            self.session.show(result)
        elif result.more or result.csv_path is not None or result.parquet_path is not None:
            self.session.show(Note("\n".join([result.summary(), *result.notes()])))
        return Outcome(results=[result], value=value)

    def _kinds(self, spec: RequestSpec, beta: bool) -> KindLookup | None:
        """What the metadata says the columns of ``spec``'s items hold (None: it cannot say)."""
        version = graph_version(beta, spec.version, self.system.version)
        knowledge = knowledge_for(self.system, version)
        if knowledge is None:
            return None
        resolution = knowledge.resolve(spec.path)
        return metadata_kinds(knowledge, resolution.type if resolution.known else None)

    def _action(
        self, connector: GraphConnector, spec: RequestSpec, url: str, job: Job
    ) -> GraphResult:
        segments = [part for part in spec.path.split("/") if part]
        answer = self.session.run_sync(
            connector.perform_action(
                segments[0] if segments else "graph",
                spec.method.lower(),
                {},
                command_config(spec),
                expected_outcomes=list(job.options.expect) or None,
                timeout=job.timeout,
            )
        )
        response = answer["response"]
        headers = httpx.Headers(response.get("headers") or {})
        return make_result(
            method=spec.method,
            url=url,
            status_code=response["status_code"],
            data=response.get("data"),
            content_type=headers.get("content-type", ""),
            raw=job.options.raw,
            flatten_depth=job.settings.flatten_depth,
            display_rows=job.settings.display_rows,
            request_id=response.get("request_id"),
        )

    # -- several requests: one $batch -----------------------------------------------------

    def run_batch(self, specs: list[RequestSpec], job: Job) -> Outcome:
        options = job.options
        connector = self.connector_for(specs, options.beta)
        urls = [request_url(connector, spec) for spec in specs]
        started = time.monotonic()
        try:
            answer = self.session.run_sync(
                connector.perform_batch(
                    [batch_request(spec) for spec in specs],
                    timeout=job.timeout,
                    continue_on_error=True,
                )
            )
        except KeyboardInterrupt:
            for spec, url in zip(specs, urls, strict=True):
                self._remember(spec, url, None, "interrupted")
            raise
        elapsed = time.monotonic() - started
        results: list[GraphResult] = []
        failures: list[tuple[RequestSpec, GraphResult]] = []
        armed: list[bool] = []  # the pager may rebind -o only once the cell has bound it

        def current() -> dict[str, Any]:
            return {sp.id: _value_of(r, options.raw) for sp, r in zip(specs, results, strict=True)}

        def on_change(_result: GraphResult) -> None:
            if armed:
                job.rebind(current())

        subs = answer["response"]["data"]
        for spec, url, sub in zip(specs, urls, subs, strict=True):
            result = self._batch_result(connector, spec, url, sub, job, on_change, elapsed)
            status = result.status_code
            failed = not 200 <= status < 300 and status not in options.expect
            if failed:
                failures.append((spec, result))
            self._record(spec, result, "error" if failed else "ok")
            results.append(result)
        if not options.quiet:
            self.session.show(GraphBatchResult(results))
        if failures:
            raise _batch_failure(failures)
        armed.append(True)
        return Outcome(results=results, value=current())

    def _batch_result(
        self,
        connector: GraphConnector,
        spec: RequestSpec,
        url: str,
        sub: Mapping[str, Any],
        job: Job,
        on_change: Callable[[GraphResult], None],
        elapsed: float,
    ) -> GraphResult:
        """One sub-response as a result; a collection's nextLink is followed when paging.

        ``elapsed`` is the batch's time; following the nextLink adds its own.
        """
        options, s = job.options, job.settings
        status = int(sub.get("status") or 0)
        headers = httpx.Headers(sub.get("headers") or {})
        page = Page(1, url, status, headers, sub.get("body"))
        found, body = PageSet(options.max_items), page.json
        if status < 300 and page.is_collection:
            found.add(page)
            if found.leftover:
                body = {**body, "value": found.items}
        result = make_result(
            method=spec.method,
            url=url,
            status_code=status,
            data=body,
            content_type=headers.get("content-type") or "application/json",
            raw=options.raw,
            select=select_of(spec),
            flatten_depth=s.flatten_depth,
            display_rows=s.display_rows,
            label=spec.id,
            request_id=headers.get("request-id") or None,
            elapsed=elapsed,
            next_link=found.next_link,
            more=found.more,
            max_items=options.max_items,
            truncated_reason=(
                ("max_items" if found.leftover else "no_paginate") if found.more else None
            ),
        )
        if found.next_link is None or options.raw:
            return result
        loader = make_loader(self.session, connector, spec, job.timeout, found.leftover)
        result.attach_loader(loader, on_change)
        limit = options.max_items
        if job.paginate and (limit is None or result.rows < limit):
            result.load_more(None if limit is None else limit - result.rows)
            if result.more:
                result.truncated_reason = "max_items"
        return result


# Result kinds whose frame's length is the row count history records.
_ROWS = ("collection", "csv")


def _batch_failure(failures: list[tuple[RequestSpec, GraphResult]]) -> GraphBatchError:
    spec, result = failures[0]
    note = ""
    if len(failures) > 1:
        note += f" (also failed: {', '.join(sp.id for sp, _ in failures[1:])})"
    note += ". Statuses listed in --expect are results instead."
    return batch_error(
        result.status_code,
        result.value,
        item_id=spec.id,
        method=spec.method,
        url=result.url,
        path=spec.path,
        note=note,
    )


def _value_of(result: GraphResult, raw: bool) -> Any:
    """What ``-o`` binds and the line form returns: the DataFrame, else the value."""
    if raw:
        return result.value
    return result.frame if result.frame is not None else result.value
