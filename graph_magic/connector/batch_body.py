"""How a sub-request's body travels inside a JSON ``$batch``: as JSON, or as base64 text.

Graph's JSON batching carries each body inside the envelope's JSON, so a body that is not JSON
(a photo, a zip package, a text body the cell encoded) goes as its base64 text, with the item's
``Content-Type`` saying what the bytes are; Graph decodes it before running the request.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, MutableMapping
from typing import Any

__all__ = ["decoded_size", "wire_body"]

_BYTES = (bytes, bytearray, memoryview)


def wire_body(body: Any, headers: MutableMapping[str, str]) -> Any:
    """``body`` as the envelope carries it. Bytes become base64 text (the Content-Type given, or
    ``application/octet-stream``); bytes declared JSON are sent as the JSON they hold."""
    if not isinstance(body, _BYTES):
        return body
    raw = bytes(body)
    if _is_json(headers):
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise ValueError(
                "a batch request's body is declared JSON (Content-Type) but is not JSON"
            ) from exc
    if not any(name.lower() == "content-type" for name in headers):
        headers["Content-Type"] = "application/octet-stream"
    return base64.b64encode(raw).decode("ascii")


def decoded_size(body: Any, headers: Mapping[str, str]) -> int | None:
    """How many bytes a base64 body of the envelope stands for (None: the body is JSON)."""
    if not isinstance(body, str) or _is_json(headers):
        return None
    try:
        return len(base64.b64decode(body, validate=True))
    except binascii.Error:
        return None


def _is_json(headers: Mapping[str, str]) -> bool:
    kind = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    return "json" in kind.lower()
