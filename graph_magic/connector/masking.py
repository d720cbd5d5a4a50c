"""Masking: the one rule for hiding secrets in text, URLs and headers before anyone sees them.

A security rule, not a logging detail: the logger's filter, the spans' URLs, error messages,
the notebook's history and its dry run all call these, so a secret shape added here is hidden
everywhere at once. Covered: Authorization and cookie headers, bearer and basic credentials,
JWTs, client secrets, tokens in token responses, passwords, the ``secretText`` Graph returns from
``addPassword``, the ``key`` of ``keyCredentials`` (a base64 blob), private keys, the value of a
``{"key"|"name": "<secret name>", "value": ...}`` pair (synchronization secrets, password SSO
fields), credential query parameters, and the user info of a URL.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

if TYPE_CHECKING:
    import httpx

__all__ = [
    "MASK",
    "is_secret_name",
    "mask_headers",
    "mask_sent_secrets",
    "mask_text",
    "mask_url",
]

MASK = "***"

_SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-ms-token",
        "x-ms-client-secret",
        "x-ms-refresh-token",
        "x-ms-access-token",
        "x-ms-authorization-auxiliary",
        "x-ms-cpim-trans",
        "api-key",
        "x-api-key",
        "ocp-apim-subscription-key",
        "www-authenticate",
    }
)
# A secret-bearing name: compound names by their ending (client_secret, refresh_token,
# passwordProfile's password, x_api_key...), short ones only as the whole name, so that
# skiptoken, deltatoken or error_codes stay readable.
_COMPOUND = (
    r"[A-Za-z0-9_\-]*(?:_token|accesstoken|refreshtoken|idtoken|sastoken|secret|secrettext"
    r"|password|passwd|assertion|api_?key|private_?key|device_code)"
)
_TEXT_NAME = rf"(?:{_COMPOUND}|token|pwd)"
_JSON_STRING = r'"(?:[^"\\]|\\.)*"'
# What names a secret in a {"key": NAME, "value": ...} pair (synchronization secrets such as
# SecretToken, a password SSO field such as param_password): looser, as it is data, not a member.
_PAIR_NAME = r"[A-Za-z0-9_\-.]*(?:secret|token|password|passwd|pwd|apikey|api_key)[A-Za-z0-9_\-.]*"
# A URL inside any text (log lines of httpx's own, error messages): its query is masked.
_URL = re.compile(r"(?i)\bhttps?://[^\s'\"<>]+")
# User info in a URL (https://user:password@host/): httpx would send it as Basic auth.
_USER_INFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/\s@?#]+@")
_TEXT_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    # "Bearer <token>" anywhere (Authorization values, logged headers, error texts).
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9\-._~+/]+=*"), rf"\1 {MASK}"),
    # JWT-shaped strings: three base64url parts, the first starting like a JSON header.
    (re.compile(r"\beyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*"), MASK),
    (_USER_INFO, rf"\1{MASK}@"),
    # JSON members: "access_token": "...", "password": "...", "secretText": "..."
    (re.compile(rf'(?i)("{_TEXT_NAME}"\s*:\s*){_JSON_STRING}'), rf'\1"{MASK}"'),
    # keyCredentials' "key": a base64 certificate or key; a short "key" (a name) stays.
    (re.compile(r'("key"\s*:\s*)"[A-Za-z0-9+/=_\-\\]{32,}"'), rf'\1"{MASK}"'),
    # The value of a name/value pair whose name is a secret's: {"key": "SecretToken", "value": ..}
    (
        re.compile(
            rf'(?i)("(?:key|name|fieldId)"\s*:\s*"{_PAIR_NAME}"\s*,\s*"value"\s*:\s*){_JSON_STRING}'
        ),
        rf'\1"{MASK}"',
    ),
    # Form, query and "key=value" text: client_secret=..., access_token=..., &password=...
    (
        re.compile(rf"(?i)(?<![A-Za-z0-9_\-$])({_TEXT_NAME}\s*=\s*)[^&\s,;\"']+"),
        rf"\1{MASK}",
    ),
)
_NAME = re.compile(_TEXT_NAME, re.IGNORECASE)
# Query parameters whose value is a credential (SAS signatures, auth codes) besides the above.
_SECRET_PARAM = re.compile(rf"(?i)^(?:{_TEXT_NAME}|code|sig|signature|key)$")


def is_secret_name(name: str) -> bool:
    """True when a value named ``name`` (a config key, a JSON member, a header) is a secret."""
    lower = name.lower()
    return lower in _SECRET_HEADERS or _NAME.fullmatch(lower) is not None


def mask_text(text: str) -> str:
    """``text`` with every secret it may hold replaced by ``***``.

    Covers bearer/basic credentials, JWT-shaped strings, ``client_secret=`` and other
    ``key=value`` secrets in form bodies and query strings, and token/password members in JSON.
    """
    if not text:
        return text
    text = _URL.sub(lambda found: _mask_query(found.group()), text)
    for pattern, replacement in _TEXT_RULES:
        text = pattern.sub(replacement, text)
    return text


def mask_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
    """A copy of ``headers`` (a mapping or httpx.Headers) fit for a log line or a repr."""
    items = headers.items() if hasattr(headers, "items") else headers
    out: dict[str, str] = {}
    for name, value in items:
        lower = str(name).lower()
        if lower in _SECRET_HEADERS or (lower.startswith("x-ms-") and "token" in lower):
            out[str(name)] = MASK
        else:
            out[str(name)] = mask_text(str(value))
    return out


def mask_url(url: str | httpx.URL) -> str:
    """``url`` with secret-looking query values (``sig``, ``token``, ``code``...) masked."""
    return mask_text(str(url))


def _mask_query(url: str) -> str:
    """A URL with its credential query parameters (SAS ``sig``, ``code``...) masked."""
    try:
        parts = urlsplit(url)
    except ValueError:  # an unbalanced IPv6 bracket: no query to read
        return url
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if not any(_SECRET_PARAM.match(k) for k, _ in pairs):
        return url
    masked = [(k, MASK if _SECRET_PARAM.match(k) else v) for k, v in pairs]
    query = urlencode(masked, safe="$,()':*/")
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def mask_sent_secrets(value: Any, sent: bytes | None) -> Any:
    """``value`` (an error's text or Graph's error body) without the secrets ``sent`` carried.

    Graph may repeat a value the request sent in its error's prose ("password 'x' does not
    meet..."), where no member name marks it: the values the request body held under a secret's
    name (JSON members, form fields) are masked wherever they appear.
    """
    secrets = sorted(_sent_secrets(sent), key=len, reverse=True)
    return _replace_all(value, secrets) if secrets else value


def _sent_secrets(sent: bytes | None) -> set[str]:
    if not sent:
        return set()
    try:
        text = sent.decode("utf-8")
        return set(_named_values(json.loads(text)))
    except (UnicodeDecodeError, RecursionError):
        return set()
    except ValueError:  # not JSON: a form body, perhaps
        return {v for k, v in parse_qsl(text) if is_secret_name(k) and len(v) >= 4}


def _named_values(node: Any) -> Iterator[str]:
    """Every string held under a secret's name, anywhere in a decoded JSON body."""
    if isinstance(node, dict):
        for key, value in node.items():
            if is_secret_name(str(key)) and isinstance(value, str) and len(value) >= 4:
                yield value
            else:
                yield from _named_values(value)
    elif isinstance(node, list):
        for item in node:
            yield from _named_values(item)


def _replace_all(value: Any, secrets: list[str]) -> Any:
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, MASK)
        return value
    if isinstance(value, dict):
        return {k: _replace_all(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_all(v, secrets) for v in value]
    return value
