"""Request URLs for Graph: params assembly, split and join, and nextLink safety.

Pure functions, no I/O, so every rule about what goes on the wire can be tested on its own:

- a query string is built once from decoded values and URL-encoded exactly once;
- a nextLink or a full URL is only followed when it points at the configured Graph host,
  because the bearer token goes with it.

Which queries need Graph's advanced-query mode is :mod:`graph_magic.connector.advanced`.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote, unquote, urlsplit

from graph_magic.errors import GraphSecurityError

# Characters left as they are in a query value: OData's punctuation reads better unescaped and
# every server treats it alike. Everything else (space, &, =, +, #, %, quotes) is escaped.
_SAFE_IN_VALUE = "$'(),:/@*!;"


def parse_query(query: str) -> dict[str, str]:
    """Decode a query string into a dict, keeping ``+`` literal (Graph links never mean space)."""
    out: dict[str, str] = {}
    for part in query.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        out[unquote(name)] = unquote(value)
    return out


def encode_query(params: Mapping[str, object]) -> str:
    """Encode decoded params once; booleans become Graph's ``true``/``false``."""
    parts = []
    for name, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        parts.append(f"{quote(str(name), safe='$')}={quote(str(value), safe=_SAFE_IN_VALUE)}")
    return "&".join(parts)


def split_endpoint(base_url: str, endpoint: str) -> tuple[str, dict[str, str]]:
    """Turn a relative endpoint or a full Graph URL into (URL without query, decoded params).

    A relative endpoint hangs off ``base_url``; a full URL keeps its own version segment (a
    ``/beta`` URL goes to beta) but must be on the Graph host.
    """
    path, _, query = endpoint.partition("?")
    if "://" in path:
        ensure_same_origin(path, base_url)
        url = path
    else:
        url = base_url.rstrip("/") + "/" + path.lstrip("/")
    return url, parse_query(query)


def join_url(url: str, params: Mapping[str, object]) -> str:
    """Attach the encoded query string to a URL that has none."""
    query = encode_query(params)
    return f"{url}?{query}" if query else url


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or {"https": 443, "http": 80}.get(scheme)
    return scheme, (parts.hostname or "").lower(), port


def same_origin(url: str, base_url: str) -> bool:
    """True when scheme, host and port of ``url`` equal those of ``base_url``."""
    return _origin(url) == _origin(base_url)


def ensure_same_origin(url: str, base_url: str) -> None:
    """Refuse a URL that would carry the token off the configured Graph host."""
    if not same_origin(url, base_url):
        scheme, host, port = _origin(url)
        raise GraphSecurityError(
            f"Refusing to send the Graph token to {scheme}://{host}:{port}: only the configured "
            f"Graph host ({base_url}) receives it. A nextLink or URL pointing elsewhere is not "
            "followed.",
            url=f"{scheme}://{host}:{port}",
        )


def relative_path(url: str, base_url: str) -> str:
    """The path of a Graph URL below its version segment, e.g. ``/users/abc/memberOf``."""
    if "://" not in url:
        return "/" + url.partition("?")[0].lstrip("/")
    segments = [s for s in urlsplit(url).path.split("/") if s]
    # A full URL's leading segments mirror the base's path, the version being the last of them.
    base_depth = len([s for s in urlsplit(base_url).path.split("/") if s])
    return "/" + "/".join(segments[base_depth:])
