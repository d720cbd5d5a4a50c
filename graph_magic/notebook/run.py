"""Running a cell's requests: paging, writes, $batch, CSV export, dry runs, and the results.

:func:`run_cell` parses a cell and runs it through a :class:`GraphSession`'s connectors. A GET
pages through ``iter_pages``, pulled one page at a time from the caller's thread, so progress,
CSV writing and Ctrl-C all happen where the user is: an interrupted scan closes the page
generator, aborts the CSV file and assigns nothing. A write goes through ``perform_action``;
several requests go out as one ``$batch``. Every answer becomes a
:class:`~graph_magic.notebook.display.GraphResult`.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from graph_magic.connector.config import SystemConfig
from graph_magic.connector.hints import hint_for
from graph_magic.connector.masking import mask_headers, mask_text, mask_url
from graph_magic.connector.urls import encode_query, join_url, plan_advanced_query
from graph_magic.errors import (
    GraphAPIError,
    GraphBatchError,
    GraphMagicError,
    GraphSyntaxError,
)
from graph_magic.notebook.cell import RequestSpec, parse_cell
from graph_magic.notebook.csv_export import CsvExporter
from graph_magic.notebook.display import (
    DryRun,
    GraphBatchResult,
    GraphResult,
    Note,
    ProgressReporter,
    make_result,
)
from graph_magic.notebook.frames import items_to_frame
from graph_magic.notebook.options import RunOptions, Settings
from graph_magic.notebook.session import GraphSession

__all__ = ["NOTHING", "Outcome", "run_cell"]

NOTHING: Final = object()
"""Marks "nothing to assign": None is a legitimate value (a 204 has no data)."""

# Rows kept for the on-screen preview when --csv streams a scan that nobody assigns.
_CSV_PREVIEW_ROWS = 50


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
    specs = parse_cell(text, namespace)
    name = session.system_name(options.system, settings.default_system)
    system = session.system(name)
    session.last = []
    if options.dry_run:
        session.show(DryRun(_describe_requests(specs, system, options, settings)))
        for spec in specs:
            session.remember(name, spec.method, _spec_url(spec, system, options), None, "dry-run")
        return Outcome()
    job = _Job(options, settings, line_form or options.out is not None, line_form)
    runner = _CellRunner(session)
    if len(specs) == 1:
        outcome = runner.run_single(name, specs[0], job)
    else:
        outcome = runner.run_batch(name, specs, job)
    session.last = outcome.results
    return outcome


class _CellRunner:
    """The request logic of one cell, over the session's systems and connectors."""

    def __init__(self, session: GraphSession) -> None:
        self.session = session

    def _version(self, spec: RequestSpec, system: SystemConfig, options: RunOptions) -> str:
        return "beta" if options.beta else (spec.version or system.version)

    def run_single(self, name: str, spec: RequestSpec, job: _Job) -> Outcome:
        system = self.session.system(name)
        connector = self.session.connector(name, self._version(spec, system, job.options))
        url = _spec_url(spec, system, job.options)
        started = time.monotonic()
        try:
            leftover: list[dict[str, Any]] = []
            if spec.method == "GET":
                result, leftover = self._get(connector, spec, url, job, system)
            else:
                result = self._action(connector, spec, url, job)
        except KeyboardInterrupt:
            self.session.remember(name, spec.method, url, None, "interrupted")
            raise
        except GraphAPIError as exc:
            self.session.remember(
                name, spec.method, url, exc.status_code, f"error {exc.code or ''}"
            )
            raise
        result.elapsed = time.monotonic() - started
        self.session.remember(
            name,
            spec.method,
            url,
            result.status_code,
            "ok",
            _rows(result),
            result.pages,
            result.elapsed,
        )
        if result.more and job.options.csv is None and not job.options.raw:
            loader = self._loader(connector, spec, job, leftover)
            result.attach_loader(loader, lambda r: job.rebind(_data_of(r, job.options.raw)))
        value = _data_of(result, job.options.raw)
        if job.options.quiet:
            pass
        elif not job.line_form or value is None:
            self.session.show(result)
        elif result.more or result.csv_path is not None:
            self.session.show(Note("\n".join([result.summary(), *result.notes()])))
        return Outcome(results=[result], value=value)

    # -- GET: page by page ----------------------------------------------------------------

    def _get(
        self, connector: Any, spec: RequestSpec, url: str, job: _Job, system: SystemConfig
    ) -> tuple[GraphResult, list[dict[str, Any]]]:
        """Page through a GET; returns the result and the items --max-items cut off."""
        options, s = job.options, job.settings
        paginate = options.paginate
        if paginate is None:
            paginate = s.auto_paginate and system.auto_paginate
        select = _select(spec)
        exporter = None
        if options.csv:
            exporter = CsvExporter(options.csv, select=select, flatten_depth=s.flatten_depth)
        scan = _Scan(options.max_items, keep=exporter is None or job.keeps_value)
        reporter: ProgressReporter | None = None
        pages = connector.iter_pages(
            spec.path,
            headers=dict(spec.headers) or None,
            timeout=job.timeout,
            params=dict(spec.params) or None,
        )
        try:
            for page in self._pages(pages):
                fresh = scan.add(page)
                if exporter is not None:
                    exporter.write_items(fresh)
                if reporter is None and s.progress and not options.quiet:
                    reporter = ProgressReporter(page.count, delay=s.progress_delay)
                if reporter is not None:
                    reporter.update(scan.total, scan.pages)
                if not paginate or scan.full:
                    break
        except GraphAPIError as exc:
            if exporter is not None:
                exporter.abort()
            if exc.status_code not in options.expect:
                _keep_received(exc, scan, select, s.flatten_depth)
                raise
            upstream = exc.detail.get("upstream", {}).get("detail")
            expected = make_result(
                method=spec.method,
                url=url,
                status_code=exc.status_code,
                data=upstream,
                request_id=exc.request_id,
                display_rows=s.display_rows,
                pages=0,
            )
            return expected, []
        except BaseException as exc:
            if exporter is not None:
                exporter.abort()
            if isinstance(exc, GraphMagicError):
                _keep_received(exc, scan, select, s.flatten_depth)
            raise
        finally:
            if reporter is not None:
                reporter.close()
        rows_written = exporter.close() if exporter is not None else None
        result = scan.result(spec, url, select, job)
        if exporter is not None:
            result.csv_path = str(exporter.path)
            result.rows_written = rows_written
        return result, scan.leftover

    def _pages(self, pages: AsyncIterator[Any]) -> Iterator[Any]:
        """Pull pages one at a time through the loop thread; close the generator however we stop."""
        try:
            while True:
                page = self.session.run_sync(_anext(pages))
                if page is _END:
                    return
                yield page
        finally:
            with contextlib.suppress(Exception):
                self.session.run_sync(_aclose(pages))

    def _loader(
        self, connector: Any, spec: RequestSpec, job: _Job, leftover: list[dict[str, Any]]
    ) -> Callable[[str, int | None], tuple[list[dict[str, Any]], str | None, int]]:
        """The pager's "next page" / "load all": up to ``limit`` items (all with None).

        Items cut off a page (by ``--max-items`` or an earlier ``limit``) are kept and handed
        out first, so loading more never skips any.
        """
        headers = dict(spec.headers)
        pending = list(leftover)

        def load(next_link: str, limit: int | None) -> tuple[list[dict[str, Any]], str | None, int]:
            items, fetched, link = pending[:], 0, next_link
            pending.clear()
            if limit is None or len(items) < limit:
                more = _Scan(None, keep=True)
                scan = connector.iter_pages(next_link, headers=headers or None, timeout=job.timeout)
                for page in self._pages(scan):
                    more.add(page)
                    if limit is not None and len(items) + more.total >= limit:
                        break
                items += more.items or []
                fetched, link = more.pages, more.next_link
            if limit is not None and len(items) > limit and link is not None:
                # Keep the surplus for the next call: the link points past it.
                pending.extend(items[limit:])
                items = items[:limit]
            return items, link, fetched

        return load

    # -- writes ---------------------------------------------------------------------------

    def _action(self, connector: Any, spec: RequestSpec, url: str, job: _Job) -> GraphResult:
        command_config: dict[str, Any] = {
            "method": spec.method,
            "endpoint": spec.path,
            "params": dict(spec.params),
            "headers": dict(spec.headers),
        }
        if spec.body is not None:
            command_config["body"] = spec.body
        segments = [part for part in spec.path.split("/") if part]
        answer = self.session.run_sync(
            connector.perform_action(
                segments[0] if segments else "graph",
                spec.method.lower(),
                {},
                command_config,
                expected_outcomes=list(job.options.expect) or None,
                timeout=job.timeout,
            )
        )
        response = answer["response"]
        return make_result(
            method=spec.method,
            url=url,
            status_code=response["status_code"],
            data=response.get("data"),
            content_type=_header(response.get("headers") or {}, "content-type"),
            raw=job.options.raw,
            flatten_depth=job.settings.flatten_depth,
            display_rows=job.settings.display_rows,
            request_id=response.get("request_id"),
        )

    # -- several requests: one $batch -----------------------------------------------------

    def run_batch(self, name: str, specs: list[RequestSpec], job: _Job) -> Outcome:
        options = job.options
        system = self.session.system(name)
        version = self._batch_version(specs, system, options)
        connector = self.session.connector(name, version)
        started = time.monotonic()
        try:
            answer = self.session.run_sync(
                connector.perform_batch(
                    [_batch_request(spec) for spec in specs],
                    timeout=job.timeout,
                    continue_on_error=True,
                )
            )
        except KeyboardInterrupt:
            for spec in specs:
                url = _spec_url(spec, system, options)
                self.session.remember(name, spec.method, url, None, "interrupted")
            raise
        elapsed = time.monotonic() - started
        results: list[GraphResult] = []
        failures: list[tuple[RequestSpec, GraphResult]] = []
        armed: list[bool] = []  # the pager may rebind -o only once the cell has bound it

        def current() -> dict[str, Any]:
            return {sp.id: _data_of(r, options.raw) for sp, r in zip(specs, results, strict=True)}

        def on_change(_result: GraphResult) -> None:
            if armed:
                job.rebind(current())

        for spec, sub in zip(specs, answer["response"]["data"], strict=True):
            result = self._batch_result(connector, spec, sub, job, system, on_change)
            result.elapsed = elapsed
            status = result.status_code
            failed = not 200 <= status < 300 and status not in options.expect
            if failed:
                failures.append((spec, result))
            outcome = "error" if failed else "ok"
            self.session.remember(
                name,
                spec.method,
                result.url,
                status,
                outcome,
                _rows(result),
                result.pages,
                elapsed,
            )
            results.append(result)
        if not options.quiet:
            self.session.show(GraphBatchResult(results))
        if failures:
            raise _batch_error(failures)
        armed.append(True)
        return Outcome(results=results, value=current())

    def _batch_version(
        self, specs: list[RequestSpec], system: SystemConfig, options: RunOptions
    ) -> str:
        versions = [self._version(spec, system, options) for spec in specs]
        for spec, version in zip(specs, versions, strict=True):
            if version != versions[0]:
                raise GraphSyntaxError(
                    f"the requests of a cell go out as one $batch, so they must use one Graph "
                    f"version; request {spec.id} uses {version}, the first uses {versions[0]}. "
                    "Split the cell.",
                    line=spec.line,
                    column=1,
                )
        return versions[0]

    def _batch_result(
        self,
        connector: Any,
        spec: RequestSpec,
        sub: Mapping[str, Any],
        job: _Job,
        system: SystemConfig,
        on_change: Callable[[GraphResult], None],
    ) -> GraphResult:
        """One sub-response as a result; a collection's nextLink is followed when paging."""
        options, s = job.options, job.settings
        body = sub.get("body")
        status = int(sub.get("status") or 0)
        headers = sub.get("headers") or {}
        limit = options.max_items
        link, leftover = None, []
        if isinstance(body, dict) and isinstance(body.get("value"), list) and status < 300:
            link = body.get("@odata.nextLink")
            if limit is not None and len(body["value"]) > limit:
                leftover = body["value"][limit:]
                body = {**body, "value": body["value"][:limit]}
        more = link is not None or bool(leftover)
        result = make_result(
            method=spec.method,
            url=_spec_url(spec, system, options),
            status_code=status,
            data=body,
            content_type=_header(headers, "content-type") or "application/json",
            raw=options.raw,
            select=_select(spec),
            flatten_depth=s.flatten_depth,
            display_rows=s.display_rows,
            label=spec.id,
            request_id=_header(headers, "request-id") or None,
            next_link=link,
            more=more,
            max_items=limit,
            truncated_reason=("max_items" if leftover else "no_paginate") if more else None,
        )
        if link is None or options.raw:
            return result
        result.attach_loader(self._loader(connector, spec, job, leftover), on_change)
        paginate = options.paginate
        if paginate is None:
            paginate = s.auto_paginate and system.auto_paginate
        if paginate and (limit is None or result.rows < limit):
            result.load_more(None if limit is None else limit - result.rows)
            if result.more:
                result.truncated_reason = "max_items"
        return result


@dataclass(frozen=True)
class _Job:
    """One run's options and settings, and what follows from them."""

    options: RunOptions
    settings: Settings
    keeps_value: bool
    line_form: bool = False

    @property
    def timeout(self) -> float:
        return self.options.timeout or self.settings.timeout

    def rebind(self, value: Any) -> None:
        """After the pager fetched more: the ``-o`` variable follows the grown result."""
        if self.options.out is not None and self.settings.bind is not None:
            self.settings.bind(self.options.out, value)


# --------------------------------------------------------------------------- paging state


def _keep_received(
    exc: GraphMagicError, scan: _Scan, select: list[str] | None, flatten_depth: int
) -> None:
    """Put the items of the pages that arrived before ``exc`` on it, as a DataFrame.

    A scan that fails on page 40 has 39 pages a user may not want to fetch again. The cell
    still fails and ``-o`` is left alone (a partial result must not pass for the whole), but
    ``exc.received`` holds what came, and the error block says so and how many pages it was.
    """
    if scan.pages == 0 or scan.items is None:  # nothing came, or --csv without -o kept none
        return
    exc.received = items_to_frame(scan.items, select=select, flatten_depth=flatten_depth)
    exc.received_pages = scan.pages


class _Scan:
    """What a page-by-page scan gathered: counts, the items kept, where it stopped."""

    def __init__(self, max_items: int | None, keep: bool) -> None:
        self.max_items = max_items
        self.items: list[dict[str, Any]] | None = [] if keep else None
        self.preview: list[dict[str, Any]] = []
        self.leftover: list[dict[str, Any]] = []
        self.total = 0
        self.pages = 0
        self.first: Any = None
        self.last: Any = None

    @property
    def full(self) -> bool:
        return self.max_items is not None and self.total >= self.max_items

    @property
    def next_link(self) -> str | None:
        return self.last.next_link if self.last is not None else None

    def add(self, page: Any) -> list[dict[str, Any]]:
        """Count one page in; returns its items, cut at ``max_items`` (the rest kept aside)."""
        self.pages += 1
        self.first = self.first or page
        self.last = page
        fresh = list(page.items)
        if self.max_items is not None and self.total + len(fresh) > self.max_items:
            keep = self.max_items - self.total
            fresh, self.leftover = fresh[:keep], fresh[keep:]
        self.total += len(fresh)
        if self.items is not None:
            self.items.extend(fresh)
        elif len(self.preview) < _CSV_PREVIEW_ROWS:
            self.preview.extend(fresh[: _CSV_PREVIEW_ROWS - len(self.preview)])
        return fresh

    def result(
        self, spec: RequestSpec, url: str, select: list[str] | None, job: _Job
    ) -> GraphResult:
        options, s = job.options, job.settings
        first = self.first
        common: dict[str, Any] = {
            "method": spec.method,
            "url": url,
            "select": select,
            "flatten_depth": s.flatten_depth,
            "display_rows": s.display_rows,
        }
        if first is None or not _is_collection(first):
            return make_result(
                status_code=first.status_code if first is not None else 204,
                data=_page_data(first) if first is not None else None,
                content_type=first.content_type if first is not None else None,
                raw=options.raw,
                request_id=_request_id(first.headers) if first is not None else None,
                **common,
            )
        more = self.next_link is not None or bool(self.leftover)
        reason = ("max_items" if self.full else "no_paginate") if more else None
        items = self.items if self.items is not None else self.preview
        facts: dict[str, Any] = {
            "status_code": first.status_code,
            "pages": self.pages,
            "more": more,
            "next_link": self.next_link,
            "count": first.count,
            "truncated_reason": reason,
            "max_items": self.max_items,
            "request_id": _request_id(first.headers),
            "content_type": "application/json",
            **common,
        }
        if options.raw:
            value: dict[str, Any] = {"value": items}
            if first.count is not None:
                value["@odata.count"] = first.count
            if self.next_link:
                value["@odata.nextLink"] = self.next_link
            return GraphResult(kind="raw", value=value, **facts)
        frame = items_to_frame(items, select=select, flatten_depth=s.flatten_depth)
        return GraphResult(kind="collection", frame=frame, **facts)


_END: Final = object()


async def _anext(pages: AsyncIterator[Any]) -> Any:
    """The next page, or ``_END``: StopAsyncIteration must not cross the thread boundary."""
    try:
        return await pages.__anext__()
    except StopAsyncIteration:
        return _END


async def _aclose(pages: AsyncIterator[Any]) -> None:
    close = getattr(pages, "aclose", None)
    if close is not None:
        await close()


def _is_collection(page: Any) -> bool:
    return isinstance(page.json, dict) and isinstance(page.json.get("value"), list)


def _page_data(page: Any) -> Any:
    """A non-collection answer's data: JSON, text for text/*, bytes otherwise, None if empty."""
    if page.status_code == 204 or not page.content:
        return page.json
    if page.json is not None:
        return page.json
    if page.content_type.lower().startswith("text/") and "csv" not in page.content_type:
        return page.content.decode("utf-8", errors="replace")
    return page.content


# --------------------------------------------------------------------------- results


def _batch_error(failures: list[tuple[RequestSpec, GraphResult]]) -> GraphBatchError:
    spec, result = failures[0]
    body = result.value if isinstance(result.value, dict) else {}
    error = body.get("error") if isinstance(body.get("error"), dict) else {}
    code, message = error.get("code"), error.get("message")
    text = (message or "no message").rstrip(". ")
    if len(failures) > 1:
        text += f" (also failed: {', '.join(sp.id for sp, _ in failures[1:])})"
    text += ". Statuses listed in --expect are results instead."
    inner = error.get("innerError") or {}
    return GraphBatchError(
        result.status_code,
        request_id_in_batch=spec.id,
        url=result.url,
        method=spec.method,
        upstream=result.value,
        code=code,
        message=text,
        request_id=inner.get("request-id"),
        client_request_id=inner.get("client-request-id"),
        date=inner.get("date"),
        hint=hint_for(result.status_code, code, message, spec.method, spec.path),
    )


def _data_of(result: GraphResult, raw: bool) -> Any:
    """What ``-o`` binds and the line form returns: the DataFrame, else the value."""
    if raw:
        return result.value
    return result.frame if result.frame is not None else result.value


def _rows(result: GraphResult) -> int | None:
    if result.frame is not None and result.kind in ("collection", "csv"):
        return len(result.frame)
    return None


# --------------------------------------------------------------------------- requests


def _select(spec: RequestSpec) -> list[str] | None:
    for name, value in spec.params.items():
        if name.lower() == "$select":
            return [part.strip() for part in value.split(",") if part.strip()]
    return None


def _spec_url(spec: RequestSpec, system: SystemConfig, options: RunOptions) -> str:
    """The request's full URL as results and history show it (secret-looking values masked)."""
    version = "beta" if options.beta else (spec.version or system.version)
    return mask_url(join_url(f"{system.graph_origin}/{version}{spec.path}", spec.params))


def _batch_request(spec: RequestSpec) -> dict[str, Any]:
    request: dict[str, Any] = {
        "id": spec.id,
        "method": spec.method,
        "url": spec.path + (("?" + encode_query(spec.params)) if spec.params else ""),
    }
    if spec.headers:
        request["headers"] = dict(spec.headers)
    if spec.body is not None:
        request["body"] = spec.body
        headers = request.setdefault("headers", {})
        if not any(key.lower() == "content-type" for key in headers):
            headers["Content-Type"] = "application/json"
    if spec.depends_on:
        request["dependsOn"] = list(spec.depends_on)
    return request


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return str(value)
    return ""


def _request_id(headers: Mapping[str, str] | None) -> str | None:
    return _header(headers or {}, "request-id") or None


# --------------------------------------------------------------------------- dry run


def _describe_requests(
    specs: list[RequestSpec], system: SystemConfig, options: RunOptions, s: Settings
) -> str:
    """The requests as HTTP text, with what the connector adds (advanced-query headers)."""
    masked = {name.lower() for name in s.masked_headers}
    blocks = []
    for spec in specs:
        plan = plan_advanced_query(
            spec.path, spec.params, spec.headers, system.advanced_query, method=spec.method
        )
        version = "beta" if options.beta else (spec.version or system.version)
        url = join_url(
            f"{system.graph_origin}/{version}{spec.path}", {**spec.params, **plan.params}
        )
        headers = {"Authorization": "Bearer <token>", **plan.headers, **spec.headers}
        if spec.body is not None and not any(k.lower() == "content-type" for k in headers):
            headers["Content-Type"] = system.default_content_type
        lines = [f"### {spec.id}"] if len(specs) > 1 else []
        lines.append(f"{spec.method} {mask_url(url)}")
        for key, value in mask_headers(headers).items():
            lines.append(f"{key}: {'***' if key.lower() in masked else value}")
        if spec.body is not None:
            body = json.dumps(spec.body, indent=2, ensure_ascii=False, default=str)
            lines += ["", mask_text(body)]
        blocks.append("\n".join(lines))
    count = f"{len(specs)} request{'s' if len(specs) != 1 else ''}"
    batch = " as one $batch" if len(specs) > 1 else ""
    footer = f"(dry run: {count}{batch} to system '{system.name}'; nothing was sent)"
    return "\n\n".join([*blocks, footer])
