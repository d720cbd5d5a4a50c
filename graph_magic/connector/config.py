"""System configurations: defaults, ``${VAR}`` interpolation and validation, loaded once.

A *system* says which Graph to talk to and how to authenticate. It is a dict (usually a YAML
file ``systems/NAME.yaml``) turned once, at load time, into a frozen :class:`SystemConfig`, so a
typo, a wrong type, a missing credential or a missing environment variable fails with a
:class:`~graph_magic.errors.GraphConfigError` naming the key and the file before any request.
The key sets and the defaults are the dataclasses' own fields, so a new setting is declared
once. Finding and reading the files is :mod:`graph_magic.connector.system_files`'s job.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from graph_magic.connector.auth_types import AUTH_TYPES, check_auth, environment_credentials
from graph_magic.connector.cassette_settings import RecordSettings, read_record, read_replay
from graph_magic.connector.graph_endpoint import (
    cloud_sign_in,
    default_base_url,
    read_base_url,
    system_cloud,
)
from graph_magic.connector.limits_config import LimitSettings, read_limits, read_priority
from graph_magic.connector.system_files import (
    ConfigReader,
    find_system_file,
    find_systems,
    join_key,
    read_system_file,
    system_dirs,
)
from graph_magic.knowledge.clouds import CLOUDS, cloud_of

if TYPE_CHECKING:
    import httpx

    from graph_magic.connector.sandbox_transport import SandboxOptions

__all__ = [
    "AUTH_TYPES",
    "Credentials",
    "LoggingSettings",
    "RetrySettings",
    "SystemConfig",
    "Timeouts",
    "find_systems",
    "load_system",
    "system_dirs",
]

ADVANCED_QUERY_MODES = ("auto", "always", "never")
TRANSPORTS = ("http", "sandbox")
LOG_FORMATS = ("basic", "detailed")

DEFAULT_BASE_URL = "https://graph.microsoft.com/v1.0"
DEFAULT_RESOURCE = "https://graph.microsoft.com"
DEFAULT_AUTHORITY = "https://login.microsoftonline.com"
DEFAULT_TOKEN_CACHE = "~/.cache/graph-magic/msal.json"
DEFAULT_MAX_RESPONSE_BYTES = 100 * 1024 * 1024


@dataclass(frozen=True)
class Credentials:
    """What an app registration needs to get a token; ``client_secret`` never shows in a repr."""

    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    certificate_path: str | None = None
    tenant_id: str | None = None
    federated_token_file: str | None = None
    resource: str = DEFAULT_RESOURCE
    authority: str = DEFAULT_AUTHORITY


@dataclass(frozen=True)
class Timeouts:
    """httpx timeouts in seconds (None: no limit); the defaults are httpx's own 5 seconds."""

    connect: float | None = 5.0
    read: float | None = 5.0
    write: float | None = 5.0
    pool: float | None = 5.0

    def as_httpx(self, *, read: float | None = None) -> httpx.Timeout:
        """These timeouts as the one ``httpx.Timeout`` every client (Graph's, msal's) uses.

        ``read`` replaces the read timeout when given: a caller's own bound on the wait for one
        answer; connect, write and pool stay the system's.
        """
        import httpx  # here, so that loading a config does not import the HTTP client

        return httpx.Timeout(
            connect=self.connect,
            read=self.read if read is None else read,
            write=self.write,
            pool=self.pool,
        )


@dataclass(frozen=True)
class RetrySettings:
    """The retry policy's knobs; see DESIGN "Connector API" for how each is used."""

    max_attempts: int = 4
    backoff_base: float = 0.5
    backoff_factor: float = 2.0
    jitter: float = 0.1
    retry_on_status: tuple[int, ...] = (408, 429, 500, 502, 503, 504)
    retry_after_header_names: tuple[str, ...] = (
        "retry-after",
        "x-ms-retry-after-ms",
        "retry-after-ms",
    )
    max_total_seconds: float = 300.0


@dataclass(frozen=True)
class LoggingSettings:
    """What the ``graph_magic`` logger records; off unless ``enabled``. Secrets are always masked.

    ``basic`` logs one line per request/response; ``detailed`` adds headers and bodies.
    """

    enabled: bool = False
    request: bool = True
    response: bool = True
    auth: bool = False
    format: str = "basic"


@dataclass(frozen=True)
class SystemConfig:
    """One validated system. Built by :func:`load_system`; a plain value afterwards."""

    name: str = "default"
    source: str = "<defaults>"
    cloud: str | None = None  # global, usgov, ...: from base_url's host when left out
    base_url: str = DEFAULT_BASE_URL
    auth_type: str = "bearer"
    token: str | None = field(default=None, repr=False)
    credentials: Credentials = field(default_factory=Credentials)
    scopes: tuple[str, ...] = (f"{DEFAULT_RESOURCE}/.default",)
    token_cache: str | None = None
    default_content_type: str = "application/json"
    max_concurrent_requests: int = 4
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    rate_limit_key: str = DEFAULT_BASE_URL
    timeouts: Timeouts = field(default_factory=Timeouts)
    retry: RetrySettings = field(default_factory=RetrySettings)
    logging: LoggingSettings = field(default_factory=LoggingSettings)
    auto_paginate: bool = True
    advanced_query: str = "auto"
    limits: LimitSettings = field(default_factory=LimitSettings)
    throttle_priority: str | None = None  # x-ms-throttle-priority on every request: Low...
    transport: str = "http"
    sandbox: SandboxOptions | None = field(default=None, compare=False)
    record: RecordSettings | None = None
    replay: str | None = None
    credential: object | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.cloud is None:
            object.__setattr__(self, "cloud", cloud_of(self.base_url))

    @property
    def graph_origin(self) -> str:
        """``scheme://host[:port]`` of base_url: the only place the token may be sent."""
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def version(self) -> str:
        """The API version segment of base_url (``v1.0``, ``beta``), or "" when there is none."""
        segments = [s for s in urlsplit(self.base_url).path.split("/") if s]
        return segments[0] if segments else ""


# --------------------------------------------------------------------------- loading


def load_system(
    source: str | os.PathLike[str] | Mapping[str, Any] | SystemConfig,
    *,
    environ: Mapping[str, str] | None = None,
    name: str | None = None,
) -> SystemConfig:
    """Load and validate a system from a name, a YAML path, a dict, or return a SystemConfig.

    ``environ`` (default ``os.environ``) feeds ``${VAR}`` interpolation and ``$GRAPH_TOKEN``.
    A dict may hold ``name`` and, for ``auth_type: credential``, the ``credential`` object.
    """
    if isinstance(source, SystemConfig):
        return source
    env = dict(os.environ if environ is None else environ)
    if isinstance(source, Mapping):
        data = dict(source)
        label = "<dict>"
        sys_name = name or str(data.pop("name", None) or "custom")
        return _build(data, sys_name, label, env)
    path = find_system_file(source, env)
    data = read_system_file(path)
    return _build(data, name or path.stem, str(path), env)


# --------------------------------------------------------------------------- validation


def _keys(cls: type) -> frozenset[str]:
    """The keys a config section accepts: the fields of the dataclass it becomes."""
    return frozenset(f.name for f in fields(cls))


# name and source come from where the system was found, credential only from a dict.
_TOP_KEYS = _keys(SystemConfig) - {"name", "source"}
_DEFAULTS = SystemConfig()


def _build(data: dict[str, Any], name: str, file: str, env: Mapping[str, str]) -> SystemConfig:
    r = ConfigReader(file, env)
    r.check_keys(data, _TOP_KEYS, "")
    credential_obj = data.pop("credential", None)
    data = r.interpolate(data, "")
    values = {key: _FIELD_READERS[key](r, value, key) for key, value in data.items()}
    cloud = system_cloud(r, values.get("cloud"), values.get("base_url"))
    values["cloud"] = cloud.name if cloud else None
    values.setdefault("base_url", default_base_url(cloud))
    credentials = replace(
        values.get("credentials", _DEFAULTS.credentials),
        **cloud_sign_in(data.get("credentials"), cloud),
    )
    values["credentials"] = credentials
    if values.get("scopes") is None:
        values["scopes"] = (f"{credentials.resource}/.default",)
    if values.get("transport") == "sandbox":
        values["sandbox"] = _sandbox_cloud(r, values.get("sandbox"), cloud.name if cloud else None)
    if not values.get("rate_limit_key"):
        values["rate_limit_key"] = values.get("base_url", _DEFAULTS.base_url)
    if "token_cache" not in data:
        values["token_cache"] = _token_cache(r, DEFAULT_TOKEN_CACHE, "token_cache")
    auth_type = values.get("auth_type", _DEFAULTS.auth_type)
    if values.get("record") and values.get("replay"):
        raise r.error("a system either records or replays, not both", "replay")
    given = asdict(credentials)
    from_env = environment_credentials(auth_type, given, env)
    if from_env:
        credentials = values["credentials"] = replace(credentials, **from_env)
    if not values.get("replay"):  # a replay needs no credential: it never asks for a token
        check_auth(r, auth_type, {**given, **from_env}, values.get("token"), credential_obj, env)
    if auth_type == "bearer" and not values.get("token"):
        values["token"] = env.get("GRAPH_TOKEN")
    return SystemConfig(name=name, source=file, credential=credential_obj, **values)


def _credentials(r: ConfigReader, value: Any, key: str) -> Credentials:
    data = r.mapping(value, key)
    r.check_keys(data, _keys(Credentials), key)
    values = {k: r.string(v, join_key(key, k)) for k, v in data.items()}
    for path_key in ("certificate_path", "federated_token_file"):
        if values.get(path_key):
            values[path_key] = os.path.expanduser(values[path_key])
    for name in ("resource", "authority"):  # absent: the cloud's, filled in by _build
        if values.get(name):
            values[name] = values[name].rstrip("/")
        else:
            values.pop(name, None)
    return Credentials(**values)


def _scopes(r: ConfigReader, value: Any, key: str) -> tuple[str, ...] | None:
    return None if value is None else r.string_list(value, key)


def _token_cache(r: ConfigReader, value: Any, key: str) -> str | None:
    if value is False or value is None:
        return None
    path = r.string(value, key)
    if value is True or not path:
        path = DEFAULT_TOKEN_CACHE
    return os.path.abspath(os.path.expanduser(path))


def _timeouts(r: ConfigReader, value: Any, key: str) -> Timeouts:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = r.number(value, key)
        return Timeouts(seconds, seconds, seconds, seconds)
    data = r.mapping(value, key)
    r.check_keys(data, _keys(Timeouts), key)
    return Timeouts(**{k: r.number(v, join_key(key, k), optional=True) for k, v in data.items()})


def _retry(r: ConfigReader, value: Any, key: str) -> RetrySettings:
    data = r.mapping(value, key)
    r.check_keys(data, _keys(RetrySettings), key)
    out: dict[str, Any] = {}
    for k, v in data.items():
        where = join_key(key, k)
        if k == "max_attempts":
            out[k] = r.integer(v, where, minimum=1)
        elif k == "retry_on_status":
            if not isinstance(v, list) or not all(
                isinstance(s, int) and not isinstance(s, bool) and 100 <= s <= 599 for s in v
            ):
                raise r.error("expected a list of HTTP status codes", where)
            out[k] = tuple(v)
        elif k == "retry_after_header_names":
            out[k] = tuple(h.lower() for h in r.string_list(v, where))
        else:
            out[k] = r.number(v, where)
    return RetrySettings(**out)


def _logging(r: ConfigReader, value: Any, key: str) -> LoggingSettings:
    if isinstance(value, bool):
        return LoggingSettings(enabled=value)
    data = r.mapping(value, key)
    r.check_keys(data, _keys(LoggingSettings), key)
    out: dict[str, Any] = {}
    for k, v in data.items():
        if k == "format":
            out[k] = r.choice(v, join_key(key, k), LOG_FORMATS)
        else:
            out[k] = r.boolean(v, join_key(key, k))
    return LoggingSettings(**out)


def _sandbox(r: ConfigReader, value: Any, key: str) -> SandboxOptions | None:
    """The parsed sandbox options (None when there are none), refused key by key."""
    data = r.mapping(value, key)
    if not data:
        return None
    from graph_magic.connector.sandbox_transport import SandboxOptionError, parse_options

    try:
        return parse_options(data)
    except SandboxOptionError as exc:
        raise r.error(str(exc), join_key(key, exc.key)) from None


def _sandbox_cloud(
    r: ConfigReader, options: SandboxOptions | None, cloud: str | None
) -> SandboxOptions:
    """The sandbox options of a ``transport: sandbox`` system, standing in for its cloud."""
    from graph_magic.connector.sandbox_transport import SandboxOptionError, for_cloud

    try:
        return for_cloud(options, cloud or "global")
    except SandboxOptionError as exc:
        raise r.error(str(exc), join_key("sandbox", exc.key)) from None


# How each top-level key is read: reader(r, value, key). A key that is absent keeps the
# dataclass default; _build derives the defaults that depend on other keys (scopes,
# rate_limit_key) and the token cache, which is on unless switched off.
_FIELD_READERS: dict[str, Callable[[ConfigReader, Any, str], Any]] = {
    "cloud": partial(ConfigReader.choice, choices=CLOUDS),
    "base_url": read_base_url,
    "auth_type": partial(ConfigReader.choice, choices=AUTH_TYPES),
    "token": ConfigReader.string,
    "credentials": _credentials,
    "scopes": _scopes,
    "token_cache": _token_cache,
    "default_content_type": partial(ConfigReader.string, optional=False),
    "max_concurrent_requests": partial(ConfigReader.integer, minimum=1),
    "max_response_bytes": partial(ConfigReader.integer, minimum=1),
    "rate_limit_key": ConfigReader.string,
    "timeouts": _timeouts,
    "retry": _retry,
    "logging": _logging,
    "auto_paginate": ConfigReader.boolean,
    "advanced_query": partial(ConfigReader.choice, choices=ADVANCED_QUERY_MODES),
    "limits": read_limits,
    "throttle_priority": read_priority,
    "transport": partial(ConfigReader.choice, choices=TRANSPORTS),
    "sandbox": _sandbox,
    "record": read_record,
    "replay": read_replay,
}
