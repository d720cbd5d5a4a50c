"""Reading Graph's answers: a body's data, Graph's error shape, and the standardized response.

Every rule about what an answer means lives here once, for the connector and the notebook alike:
which bodies are JSON, which are text (and in what charset), which stay bytes; where Graph puts
an error's code, message and request ids (``innerError``, spelled two ways in the wild); and
the response dict every connector call returns.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from graph_magic.connector.auth._base import token_grants
from graph_magic.connector.hints import hint_for
from graph_magic.connector.masking import mask_sent_secrets, mask_url
from graph_magic.errors import GraphAPIError, GraphBatchError

if TYPE_CHECKING:
    from graph_magic.connector.retry import RetryPolicy

__all__ = [
    "ErrorFields",
    "api_error",
    "batch_error",
    "data_of",
    "error_fields",
    "json_of",
    "loads",
    "response_error",
    "standard_response",
    "token_expired",
]

# CSV is text, but the result builders parse it from the bytes (a report's own encoding).
_BYTES_TEXT = ("text/csv",)


def loads(content: bytes) -> Any:
    """``json.loads`` whose every failure is a ValueError, nesting too deep included.

    A hostile body nested 100k deep makes the decoder raise RecursionError; the interpreter's
    recursion limit is the sane depth, and past it the body is as malformed as a truncated one.
    """
    try:
        return json.loads(content)
    except RecursionError:
        raise ValueError("JSON nested too deep to decode") from None


def json_of(content_type: str, content: bytes) -> Any:
    """The decoded body of a JSON answer; None when it is not JSON, empty or malformed."""
    if not content or "json" not in content_type:
        return None
    try:
        return loads(content)
    except ValueError:
        return None


def data_of(status_code: int, content_type: str, content: bytes, parsed: Any) -> Any:
    """An answer's data: its JSON, text for ``text/*`` (in its charset), else bytes; None if empty.

    ``parsed`` is :func:`json_of` of the same answer (computed once by whoever read it).
    """
    if status_code == 204 or not content:
        return None
    if parsed is not None:
        return parsed
    lowered = content_type.lower()
    if lowered.startswith("text/") and not lowered.startswith(_BYTES_TEXT):
        return content.decode(_charset(lowered), errors="replace")
    return content


def _charset(content_type: str) -> str:
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key == "charset" and value:
            return value.strip('"')
    return "utf-8"


@dataclass(frozen=True, slots=True)
class ErrorFields:
    """What Graph's error body says: ``{"error": {"code", "message", "innerError": {...}}}``."""

    code: str | None = None
    message: str | None = None
    request_id: str | None = None
    client_request_id: str | None = None
    date: str | None = None


def error_fields(body: Any) -> ErrorFields:
    """Read Graph's error shape from a decoded body; a plain-text body is the message."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return ErrorFields(message=body if isinstance(body, str) and body else None)
    inner = error.get("innerError") or error.get("innererror") or {}
    inner = inner if isinstance(inner, dict) else {}
    return ErrorFields(
        code=error.get("code"),
        message=error.get("message"),
        request_id=inner.get("request-id"),
        client_request_id=inner.get("client-request-id"),
        date=inner.get("date"),
    )


def _upstream(response: httpx.Response) -> Any:
    try:
        return loads(response.content) if response.content else None
    except ValueError:
        return response.text


def response_error(response: httpx.Response) -> ErrorFields:
    """:func:`error_fields` of an error answer as it came off the wire."""
    return error_fields(_upstream(response))


def token_expired(response: httpx.Response) -> bool:
    """True for Graph's 401 that says the token expired (worth one refresh and resend)."""
    fields = response_error(response)
    expired = "expired" in (fields.message or "").lower()
    return fields.code == "InvalidAuthenticationToken" and expired


def api_error(
    response: httpx.Response, *, method: str, url: str, path: str, retried: RetryPolicy
) -> GraphAPIError:
    """The GraphAPIError for an error answer; ``path`` (below the version) picks the hint.

    A secret the request sent that Graph repeats in its error is masked (``mask_sent_secrets``).
    """
    upstream = mask_sent_secrets(_upstream(response), _sent_body(response))
    fields = error_fields(upstream)
    headers = response.headers
    return GraphAPIError(
        response.status_code,
        url=mask_url(url),
        method=method,
        upstream=upstream,
        code=fields.code,
        message=fields.message,
        request_id=fields.request_id or headers.get("request-id"),
        client_request_id=fields.client_request_id or headers.get("client-request-id"),
        date=fields.date or headers.get("date"),
        hint=hint_for(
            response.status_code, fields.code, fields.message, method, path, _held(response)
        ),
        attempts=retried.attempts,
        retry_stop=retried.stop,
    )


def _sent_body(response: httpx.Response) -> bytes | None:
    try:
        return response.request.content
    except (RuntimeError, httpx.RequestNotRead):  # built without its request, or streamed
        return None


def _held(response: httpx.Response) -> tuple[str, ...]:
    """The permission names the request's own bearer token claims (for a 403's hint)."""
    try:
        authorization = response.request.headers.get("authorization", "")
    except RuntimeError:  # a response built without its request
        return ()
    grants = token_grants(authorization.removeprefix("Bearer ").strip())
    return grants.get("roles", ()) + grants.get("scopes", ())


def batch_error(
    status: int,
    body: Any,
    *,
    item_id: str,
    method: str,
    url: str,
    path: str,
    note: str | None = None,
    attempts: int = 1,
    partial: Any = None,
) -> GraphBatchError:
    """The GraphBatchError for a failed sub-response; ``note`` is appended to Graph's message."""
    fields = error_fields(body if isinstance(body, dict) else None)
    message = fields.message
    if note is not None:
        message = (message or "no message").rstrip(". ") + note
    return GraphBatchError(
        status,
        request_id_in_batch=item_id,
        url=url,
        method=method,
        upstream=body,
        code=fields.code,
        message=message,
        request_id=fields.request_id,
        client_request_id=fields.client_request_id,
        date=fields.date,
        hint=hint_for(status, fields.code, fields.message, method, path),
        attempts=attempts,
        partial=partial,
    )


def standard_response(
    *,
    status_code: int,
    data: Any,
    headers: Mapping[str, str],
    success: bool,
    accepted: bool = False,
    transaction_id: str,
    correlation_id: str,
    object_type: str | None,
    action: str | None,
    pages: int,
    next_link: str | None = None,
    truncated: bool = False,
    advanced_query: bool = False,
) -> dict[str, Any]:
    """The dict every connector call returns; ``accepted``: an error status the caller expected."""
    return {
        "status": "success" if success or accepted else "error",
        "transaction_id": transaction_id,
        "correlation_id": correlation_id,
        "object_type": object_type,
        "action": action,
        "response": {
            "status_code": status_code,
            "data": data,
            "headers": dict(headers),
            "success": success,
            "pages": pages,
            "next_link": next_link,
            "truncated": truncated,
            "advanced_query": advanced_query,
            "request_id": headers.get("request-id"),
        },
    }
