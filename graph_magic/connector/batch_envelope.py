"""Reading a $batch answer: its sub-responses matched to the ids that were asked.

Graph answers a batch's requests in any order, keyed by id. An answer that is not JSON, has no
``responses`` list, or holds a sub-response for no id asked cannot be trusted as a whole: it is
a GraphResponseError, with the sub-responses that are sound on it. An id answered twice (which
answer did Graph mean?), not at all, or with no valid status stands as that item's 502, so the
other items' answers, and the writes they report, are kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from graph_magic.connector.masking import mask_url
from graph_magic.connector.responses import loads
from graph_magic.errors import GraphResponseError

__all__ = ["missing_response", "read_envelope"]


def _problem(item_id: str, code: str, message: str, upstream: Any = None) -> dict[str, Any]:
    """A 502 sub-response standing for an answer Graph did not give soundly."""
    error: dict[str, Any] = {"code": code, "message": message}
    if upstream is not None:
        error["upstream"] = upstream
    return {"id": item_id, "status": 502, "headers": {}, "body": {"error": error}}


def missing_response(item_id: str) -> dict[str, Any]:
    """The 502 that stands for an item the $batch answer left out."""
    message = f"The $batch answer had no response for request id {item_id!r}."
    return _problem(item_id, "MissingBatchResponse", message)


def read_envelope(content: bytes, asked: Sequence[str], *, url: str) -> dict[str, dict[str, Any]]:
    """One $batch answer's sub-responses by lower-cased id, checked against the ids ``asked``.

    Not JSON or no ``responses`` list: GraphResponseError. A sub-response that is not an
    object with an id, or has an id not asked, is a GraphResponseError too, with the sound
    answers (keyed) on ``.partial`` for :func:`run_batches` to report. An id answered twice, or
    an answer whose status or headers are not Graph's shape, becomes that item's 502.
    """
    try:
        body = loads(content)
    except ValueError as exc:
        raise _broken(f"is not JSON ({exc})", url, {}) from None
    responses = body.get("responses") if isinstance(body, dict) else None
    if not isinstance(responses, list):
        raise _broken("has no 'responses' list", url, {})
    wanted = {item_id.lower(): item_id for item_id in asked}
    answers: dict[str, dict[str, Any]] = {}
    seen: dict[str, list[Any]] = {}
    strays = 0
    for answer in responses:
        key = str(answer.get("id")).lower() if isinstance(answer, dict) else None
        if key not in wanted:
            strays += 1
            continue
        seen.setdefault(key, []).append(answer)
    for key, found in seen.items():
        answers[key] = _sound(wanted[key], found)
    if strays:
        raise _broken(f"holds {strays} sub-response(s) for no id that was asked", url, answers)
    return answers


def _sound(item_id: str, found: list[Any]) -> dict[str, Any]:
    """The one answer for ``item_id``, or the 502 that says why it cannot be trusted."""
    if len(found) > 1:
        message = f"The $batch answer had {len(found)} responses for request id {item_id!r}."
        return _problem(item_id, "DuplicateBatchResponse", message, found)
    answer = found[0]
    status, headers = answer.get("status"), answer.get("headers")
    valid = isinstance(status, int) and not isinstance(status, bool) and 100 <= status <= 599
    if valid and (headers is None or isinstance(headers, dict)):
        return answer
    message = f"The $batch response for request id {item_id!r} has no valid status or headers."
    return _problem(item_id, "MalformedBatchResponse", message, answer)


def _broken(what: str, url: str, sound: dict[str, dict[str, Any]]) -> GraphResponseError:
    where = mask_url(url)
    return GraphResponseError(
        f"the $batch answer from {where} {what}; its writes may have happened: every sound "
        "answer received, writes included, is on .partial",
        url=where,
        partial=sound,
    )
