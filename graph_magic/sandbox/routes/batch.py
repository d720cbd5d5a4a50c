"""JSON batching: POST /$batch runs up to 20 sub-requests through the same routes.

The envelope is validated first (shape, size, unique ids, Content-Type with a body, known
dependsOn ids); a malformed batch is one 400. Then each item runs in order, its dependencies
first; a dependent of a failed item gets 424 without running, and the fault injector may answer
an item 429 on its own, with the envelope still 200, as on Graph.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import graph_magic.sandbox.graph_errors as ge
from graph_magic.sandbox.graph_errors import GraphError, bad_request
from graph_magic.sandbox.http import ODATA_JSON, GraphRequest, GraphResponse, compact_json

MAX_REQUESTS = 20

RunOne = Callable[[GraphRequest], GraphResponse]
ItemFault = Callable[[GraphRequest], dict[str, Any] | None]


def _invalid() -> GraphError:
    return bad_request(ge.INVALID_BATCH, code="BadRequest")


def _validate(payload: Any) -> list[dict[str, Any]]:
    if not isinstance(payload, dict) or not isinstance(payload.get("requests"), list):
        raise _invalid()
    items = payload["requests"]
    if not items:
        raise _invalid()
    if len(items) > MAX_REQUESTS:
        raise bad_request(ge.BATCH_TOO_MANY, code="BadRequest")
    seen: set[str] = set()
    for item in items:
        if not isinstance(item, dict):
            raise _invalid()
        item_id, method, url = item.get("id"), item.get("method"), item.get("url")
        if not isinstance(item_id, str) or not item_id or not isinstance(method, str):
            raise _invalid()
        if not isinstance(url, str) or not url:
            raise _invalid()
        if item_id.lower() in seen:
            raise bad_request(ge.BATCH_DUPLICATE_ID.format(id=item_id), code="BadRequest")
        seen.add(item_id.lower())
        headers = item.get("headers") or {}
        if not isinstance(headers, dict):
            raise _invalid()
        if "body" in item and not any(k.lower() == "content-type" for k in headers):
            raise bad_request(
                f"Write request id : {item_id} does not contain Content-Type header or body.",
                code="BadRequest",
            )
        _raw_body(item)  # a body that cannot be read refuses the batch before any item runs
        target = url.split("?", 1)[0].rstrip("/").lower()
        if target.endswith("/$batch") or target == "$batch":
            raise _invalid()
        depends = item.get("dependsOn", [])
        if not isinstance(depends, list) or not all(isinstance(d, str) for d in depends):
            raise _invalid()
    for item in items:
        for dep in item.get("dependsOn", []):
            if dep.lower() not in seen or dep.lower() == item["id"].lower():
                raise _invalid()
    return items


def _raw_body(item: dict[str, Any]) -> bytes:
    """An item's body as bytes: JSON as JSON text; any other Content-Type's body is base64 text
    (Graph's JSON batching), and base64 that does not decode is an invalid payload."""
    body = item.get("body")
    if body is None:
        return b""
    headers = {k.lower(): str(v) for k, v in (item.get("headers") or {}).items()}
    if isinstance(body, str) and "json" not in headers.get("content-type", ""):
        try:
            return base64.b64decode(body, validate=True)
        except binascii.Error as exc:
            raise _invalid() from exc
    return json.dumps(body).encode()


def _sub_request(envelope: GraphRequest, item: dict[str, Any]) -> GraphRequest:
    url = item["url"]
    if "://" in url:  # an absolute URL: keep its path and query
        parts = urlsplit(url)
        path, query = parts.path, parts.query
    else:
        path, _, query = url.partition("?")
    prefix = f"/{envelope.version}/"
    if path.startswith(prefix):
        path = path[len(prefix) - 1 :]
    if not path.startswith("/"):
        path = "/" + path
    headers = {k.lower(): str(v) for k, v in (item.get("headers") or {}).items()}
    headers.setdefault("client-request-id", envelope.headers.get("client-request-id", ""))
    return GraphRequest(
        method=item["method"].upper(),
        version=envelope.version,
        path=unquote(path),
        query=parse_qsl(query, keep_blank_values=True),
        headers=headers,
        body=_raw_body(item),
        origin=envelope.origin,
        principal=envelope.principal,
    )


def _item(item_id: str, response: GraphResponse) -> tuple[int, str]:
    """One item of the envelope as JSON text; a JSON body goes in as the handler wrote it.

    Handlers already answer serialised JSON, so the envelope embeds that text rather than
    parsing it and writing it out again (most of a batch's serving time, otherwise).
    """
    headers = dict(response.headers)
    if response.content_type:
        headers["Content-Type"] = response.content_type
    head = {"id": item_id, "status": response.status, "headers": headers}
    if not response.body:
        return response.status, compact_json(head)
    if response.content_type and "json" in response.content_type:
        body = response.body.decode()
    else:
        body = compact_json(response.body.decode("utf-8", "replace"))
    return response.status, f'{compact_json(head)[:-1]},"body":{body}}}'


def run_batch(
    envelope: GraphRequest,
    run_one: RunOne,
    failed: Callable[[str], GraphResponse],
    fault: ItemFault,
) -> GraphResponse:
    """Answer a $batch: 200 with one response per item, in the order given; 400 if malformed.

    ``run_one`` runs a sub-request through the routes (errors already rendered), ``failed``
    builds the 424 answer for a dependent of a failure, ``fault`` may throttle one item (it
    is handed the sub-request, to charge its service).
    """
    payload = envelope.json_body()
    items = _validate(payload)
    requests = {item["id"].lower(): item for item in items}
    answers: dict[str, tuple[int, str]] = {}
    running: set[str] = set()

    def run(item: dict[str, Any]) -> tuple[int, str]:
        key = item["id"].lower()
        if key in answers:
            return answers[key]
        if key in running:
            raise _invalid()
        running.add(key)
        deps = [run(requests[d.lower()]) for d in item.get("dependsOn", [])]
        if any(status >= 400 for status, _ in deps):
            answer = _item(item["id"], failed(item["id"]))
        else:
            sub = _sub_request(envelope, item)
            injected = fault(sub)
            if injected is not None:
                answer = injected["status"], compact_json({"id": item["id"], **injected})
            else:
                answer = _item(item["id"], run_one(sub))
        answers[key] = answer
        return answer

    for item in items:
        run(item)
    texts = (answers[item["id"].lower()][1] for item in items)
    body = '{"responses":[' + ",".join(texts) + "]}"
    return GraphResponse(200, body.encode(), ODATA_JSON)
