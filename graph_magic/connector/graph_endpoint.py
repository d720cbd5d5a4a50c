"""Which Graph a system talks to: its ``base_url``, checked, and its cloud's defaults.

``base_url`` is where the token goes, so it is refused at load time when it could leak one
(user info, plain http off loopback). A system may name its cloud (``cloud: usgov``) or leave it
to its ``base_url``'s host; the cloud then supplies every default that differs between clouds,
so a government system needs one line, and a ``base_url`` on another cloud's Graph host is
refused: a token for one cloud is never sent to another. The table of clouds itself is Graph
knowledge (:mod:`graph_magic.knowledge.clouds`); this module only applies it to a system.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from graph_magic.knowledge.clouds import CLOUD_TABLE, Cloud, cloud_named, cloud_of

if TYPE_CHECKING:
    from graph_magic.connector.system_files import ConfigReader

_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
#: The cloud a system without ``cloud:`` signs in to when its host names none (a sandbox).
GLOBAL = CLOUD_TABLE["global"]


def system_cloud(r: ConfigReader, named: str | None, base_url: str | None) -> Cloud | None:
    """The system's cloud: the one it names, else the one its ``base_url`` host belongs to.

    None when neither says (a sandbox served on loopback, a proxy): such a system signs in to
    the global cloud and gets no metadata checks. Raises the reader's error when ``base_url``
    is on another cloud's Graph host than the one named.
    """
    host_cloud = cloud_of(base_url) if base_url else None
    if named is None:
        return cloud_named(host_cloud) if host_cloud else (None if base_url else GLOBAL)
    cloud = cloud_named(named)
    if host_cloud is not None and host_cloud != cloud.name:
        raise r.error(
            f"'{base_url}' is the {host_cloud} cloud's Graph, but the system says cloud "
            f"{cloud.name}, whose Graph is {cloud.graph_url}; a token of one cloud is never "
            "sent to another",
            "base_url",
        )
    return cloud


def default_base_url(cloud: Cloud | None) -> str:
    """``https://<the cloud's Graph host>/v1.0``."""
    return f"{(cloud or GLOBAL).graph_url}/v1.0"


def cloud_sign_in(given: Mapping[str, Any] | None, cloud: Cloud | None) -> dict[str, str]:
    """The cloud's ``resource`` and ``authority`` for the credential keys the file left out."""
    cloud = cloud or GLOBAL
    defaults = {"resource": cloud.graph_url, "authority": cloud.authority}
    return {key: value for key, value in defaults.items() if not (given or {}).get(key)}


def read_base_url(r: ConfigReader, value: Any, key: str) -> str:
    """``base_url`` stripped of a trailing slash, or the reader's error naming what is wrong."""
    url = (r.string(value, key, optional=False) or "").strip().rstrip("/")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:  # an unclosed IPv6 bracket, a port that is not a number
        raise r.error(f"'{_without_user_info(url)}' is not a valid URL: {exc}", key) from None
    if "@" in parts.netloc:
        # httpx would send user:password as Basic auth in place of the token, and the URL is
        # shown everywhere (status, history, logs): refuse it without echoing the password.
        raise r.error(
            f"'{_without_user_info(url)}' must not carry user info (user:password@); "
            "the token or credentials keys say how to sign in",
            key,
        )
    if not parts.hostname:
        raise r.error(f"'{url}' is not an absolute URL (https://host/version)", key)
    if port == 0:
        raise r.error(f"'{url}' has port 0; a port is 1 to 65535", key)
    if parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS:
        return url
    if parts.scheme != "https":
        raise r.error(f"'{url}' must use https (plain http only for 127.0.0.1 or localhost)", key)
    if parts.query or parts.fragment:
        raise r.error(f"'{url}' must not carry a query string or fragment", key)
    return url


def _without_user_info(url: str) -> str:
    """``url`` with anything before an ``@`` in its authority shown as ``***``."""
    scheme, sep, rest = url.partition("://")
    authority, slash, path = rest.partition("/")
    if not sep or "@" not in authority:
        return url
    return f"{scheme}://***@{authority.rpartition('@')[2]}{slash}{path}"
