"""System configurations: defaults, YAML discovery, ``${VAR}`` interpolation and validation.

A *system* says which Graph to talk to and how to authenticate. It is a dict (usually a YAML
file ``systems/NAME.yaml``) turned once, at load time, into a frozen :class:`SystemConfig`, so a
typo, a wrong type, a missing credential or a missing environment variable fails with a
:class:`~graph_magic.errors.GraphConfigError` naming the key and the file before any request.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from graph_magic.errors import GraphConfigError

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

AUTH_TYPES = ("bearer", "azure", "device_code", "credential")
ADVANCED_QUERY_MODES = ("auto", "always", "never")
TRANSPORTS = ("http", "sandbox")
LOG_FORMATS = ("basic", "detailed")

DEFAULT_BASE_URL = "https://graph.microsoft.com/v1.0"
DEFAULT_RESOURCE = "https://graph.microsoft.com"
DEFAULT_AUTHORITY = "https://login.microsoftonline.com"
DEFAULT_TOKEN_CACHE = "~/.cache/graph-magic/msal.json"
_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
_PACKAGE_SYSTEMS = Path(__file__).resolve().parents[1] / "systems"
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class Credentials:
    """What an app registration needs to get a token; ``client_secret`` never shows in a repr."""

    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    certificate_path: str | None = None
    tenant_id: str | None = None
    resource: str = DEFAULT_RESOURCE
    authority: str = DEFAULT_AUTHORITY


@dataclass(frozen=True)
class Timeouts:
    """httpx timeouts in seconds (None: no limit); the defaults are httpx's own 5 seconds."""

    connect: float | None = 5.0
    read: float | None = 5.0
    write: float | None = 5.0
    pool: float | None = 5.0


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
    base_url: str = DEFAULT_BASE_URL
    auth_type: str = "bearer"
    token: str | None = field(default=None, repr=False)
    credentials: Credentials = field(default_factory=Credentials)
    scopes: tuple[str, ...] = (f"{DEFAULT_RESOURCE}/.default",)
    token_cache: str | None = None
    default_content_type: str = "application/json"
    max_concurrent_requests: int = 4
    rate_limit_key: str = DEFAULT_BASE_URL
    timeouts: Timeouts = field(default_factory=Timeouts)
    retry: RetrySettings = field(default_factory=RetrySettings)
    logging: LoggingSettings = field(default_factory=LoggingSettings)
    auto_paginate: bool = True
    advanced_query: str = "auto"
    transport: str = "http"
    sandbox: dict[str, Any] = field(default_factory=dict, compare=False)
    credential: object | None = field(default=None, repr=False, compare=False)

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


# --------------------------------------------------------------------------- discovery


def system_dirs(environ: Mapping[str, str] | None = None) -> list[Path]:
    """The directories searched for ``NAME.yaml``, first match wins.

    ``$GRAPH_MAGIC_SYSTEMS`` (one or more paths, ``os.pathsep``-separated), ``./systems/``,
    ``~/.config/graph-magic/systems/``, then the package's shipped defaults.
    """
    env = os.environ if environ is None else environ
    dirs: list[Path] = []
    for part in (env.get("GRAPH_MAGIC_SYSTEMS") or "").split(os.pathsep):
        if part.strip():
            dirs.append(Path(part.strip()).expanduser())
    dirs.append(Path.cwd() / "systems")
    dirs.append(Path.home() / ".config" / "graph-magic" / "systems")
    dirs.append(_PACKAGE_SYSTEMS)
    return dirs


def find_systems(environ: Mapping[str, str] | None = None) -> dict[str, Path]:
    """Every system name visible from here and the file that defines it, in discovery order."""
    found: dict[str, Path] = {}
    for directory in system_dirs(environ):
        if not directory.is_dir():
            continue
        for path in sorted(directory.iterdir()):
            if path.suffix in (".yaml", ".yml") and path.is_file():
                found.setdefault(path.stem, path)
    return found


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
    path = _resolve_path(source, env)
    data = _read_yaml(path)
    return _build(data, name or path.stem, str(path), env)


def _resolve_path(source: str | os.PathLike[str], env: Mapping[str, str]) -> Path:
    text = os.fspath(source)
    candidate = Path(text).expanduser()
    looks_like_path = candidate.suffix in (".yaml", ".yml") or os.sep in text or "/" in text
    if looks_like_path:
        if candidate.is_file():
            return candidate
        raise GraphConfigError(f"system file '{text}' not found", file=text)
    known = find_systems(env)
    if text in known:
        return known[text]
    names = ", ".join(sorted(known)) or "none"
    raise GraphConfigError(
        f"unknown system '{text}'; known systems: {names} "
        f"(searched {', '.join(str(d) for d in system_dirs(env))})"
    )


def _line_and_column(text: str, position: int) -> tuple[int, int]:
    """1-based line and column of a character offset in ``text``."""
    before = text[:position]
    return before.count("\n") + 1, position - (before.rfind("\n") + 1) + 1


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise GraphConfigError(
            f"cannot read the system file: {exc.strerror}", file=str(path)
        ) from None
    try:
        data = yaml.safe_load(text)
    except yaml.reader.ReaderError as exc:
        # The reader refuses a character before any parsing, so it has no mark: locate it.
        line, column = _line_and_column(text, exc.position)
        raise GraphConfigError(
            f"invalid YAML at line {line}, column {column}: "
            f"character {exc.character!r} is not allowed in YAML",
            file=str(path),
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise GraphConfigError(f"invalid YAML{where}: {problem}", file=str(path)) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise GraphConfigError(
            f"a system file must hold a mapping of keys, not {type(data).__name__}",
            file=str(path),
        )
    return data


# --------------------------------------------------------------------------- validation


_TOP_KEYS = {
    "base_url",
    "auth_type",
    "token",
    "credentials",
    "scopes",
    "token_cache",
    "default_content_type",
    "max_concurrent_requests",
    "rate_limit_key",
    "timeouts",
    "retry",
    "logging",
    "auto_paginate",
    "advanced_query",
    "transport",
    "sandbox",
    "credential",
}
_CREDENTIAL_KEYS = {
    "client_id",
    "client_secret",
    "certificate_path",
    "tenant_id",
    "resource",
    "authority",
}


class _Reader:
    """Reads typed values out of one config dict, raising errors that name the key and file."""

    def __init__(self, file: str, env: Mapping[str, str]) -> None:
        self.file = file
        self.env = env

    def error(self, message: str, key: str) -> GraphConfigError:
        return GraphConfigError(message, key=key, file=self.file)

    def interpolate(self, value: Any, key: str) -> Any:
        if isinstance(value, str):
            return _VAR.sub(lambda m: self._lookup(m.group(1), key), value)
        if isinstance(value, list):
            return [self.interpolate(v, f"{key}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, dict):
            return {k: self.interpolate(v, _join(key, str(k))) for k, v in value.items()}
        return value

    def _lookup(self, var: str, key: str) -> str:
        if var not in self.env:
            raise self.error(f"environment variable '{var}' is not set", key)
        return self.env[var]

    def check_keys(self, data: Mapping[str, Any], allowed: set[str], prefix: str) -> None:
        for k in data:
            if not isinstance(k, str) or k not in allowed:
                close = difflib.get_close_matches(str(k), sorted(allowed), n=1)
                hint = f"did you mean '{close[0]}'? " if close else ""
                raise self.error(
                    f"unknown key; {hint}allowed here: {', '.join(sorted(allowed))}",
                    _join(prefix, str(k)),
                )

    def string(self, value: Any, key: str, *, optional: bool = True) -> str | None:
        if value is None and optional:
            return None
        if not isinstance(value, str):
            raise self.error(f"expected a string, got {_kind(value)}", key)
        return value

    def boolean(self, value: Any, key: str) -> bool:
        if not isinstance(value, bool):
            raise self.error(f"expected true or false, got {_kind(value)}", key)
        return value

    def integer(self, value: Any, key: str, *, minimum: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(f"expected an integer, got {_kind(value)}", key)
        if value < minimum:
            raise self.error(f"must be at least {minimum}, got {value}", key)
        return value

    def number(self, value: Any, key: str, *, optional: bool = False) -> float | None:
        if value is None and optional:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.error(f"expected a number, got {_kind(value)}", key)
        if value < 0:
            raise self.error(f"must not be negative, got {value}", key)
        return float(value)

    def choice(self, value: Any, key: str, choices: tuple[str, ...]) -> str:
        if not isinstance(value, str) or value not in choices:
            raise self.error(f"must be one of {', '.join(choices)}; got {value!r}", key)
        return value

    def mapping(self, value: Any, key: str) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise self.error(f"expected a mapping, got {_kind(value)}", key)
        return dict(value)

    def string_list(self, value: Any, key: str) -> tuple[str, ...]:
        if isinstance(value, str):
            return tuple(value.split())
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error(f"expected a list of strings, got {_kind(value)}", key)
        return tuple(value)


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _kind(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, (bool, int, float, str)):
        return f"{type(value).__name__} {value!r}"
    return type(value).__name__


def _build(data: dict[str, Any], name: str, file: str, env: Mapping[str, str]) -> SystemConfig:
    r = _Reader(file, env)
    r.check_keys(data, _TOP_KEYS, "")
    credential_obj = data.pop("credential", None)
    data = r.interpolate(data, "")

    base_url = _base_url(r, data.get("base_url", DEFAULT_BASE_URL))
    auth_type = r.choice(data.get("auth_type", "bearer"), "auth_type", AUTH_TYPES)
    credentials = _credentials(r, r.mapping(data.get("credentials"), "credentials"))
    scopes_raw = data.get("scopes")
    fields = {
        "base_url": base_url,
        "auth_type": auth_type,
        "token": r.string(data.get("token"), "token"),
        "credentials": credentials,
        "scopes": (
            r.string_list(scopes_raw, "scopes")
            if scopes_raw is not None
            else (f"{credentials.resource}/.default",)
        ),
        "token_cache": _token_cache(r, data.get("token_cache", DEFAULT_TOKEN_CACHE)),
        "default_content_type": r.string(
            data.get("default_content_type", "application/json"),
            "default_content_type",
            optional=False,
        ),
        "max_concurrent_requests": r.integer(
            data.get("max_concurrent_requests", 4), "max_concurrent_requests", minimum=1
        ),
        "rate_limit_key": r.string(data.get("rate_limit_key"), "rate_limit_key") or base_url,
        "timeouts": _timeouts(r, data.get("timeouts")),
        "retry": _retry(r, r.mapping(data.get("retry"), "retry")),
        "logging": _logging(r, data.get("logging")),
        "auto_paginate": r.boolean(data.get("auto_paginate", True), "auto_paginate"),
        "advanced_query": r.choice(
            data.get("advanced_query", "auto"), "advanced_query", ADVANCED_QUERY_MODES
        ),
        "transport": r.choice(data.get("transport", "http"), "transport", TRANSPORTS),
        "sandbox": _sandbox(r, data.get("sandbox")),
    }
    _check_auth(r, auth_type, credentials, fields["token"], credential_obj, env)
    if auth_type == "bearer" and not fields["token"]:
        fields["token"] = env.get("GRAPH_TOKEN")
    return SystemConfig(name=name, source=file, credential=credential_obj, **fields)


def _base_url(r: _Reader, value: Any) -> str:
    url = (r.string(value, "base_url", optional=False) or "").strip().rstrip("/")
    parts = urlsplit(url)
    if not parts.hostname:
        raise r.error(f"'{url}' is not an absolute URL (https://host/version)", "base_url")
    if parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS:
        return url
    if parts.scheme != "https":
        raise r.error(
            f"'{url}' must use https (plain http only for 127.0.0.1 or localhost)", "base_url"
        )
    if parts.query or parts.fragment:
        raise r.error(f"'{url}' must not carry a query string or fragment", "base_url")
    return url


def _credentials(r: _Reader, data: dict[str, Any]) -> Credentials:
    r.check_keys(data, _CREDENTIAL_KEYS, "credentials")
    values = {k: r.string(v, f"credentials.{k}") for k, v in data.items()}
    if values.get("certificate_path"):
        values["certificate_path"] = os.path.expanduser(values["certificate_path"])
    for key, default in (("resource", DEFAULT_RESOURCE), ("authority", DEFAULT_AUTHORITY)):
        values[key] = (values.get(key) or default).rstrip("/")
    return Credentials(**values)


def _check_auth(
    r: _Reader,
    auth_type: str,
    creds: Credentials,
    token: str | None,
    credential_obj: object | None,
    env: Mapping[str, str],
) -> None:
    """Refuse a system whose auth type lacks what it needs, at load time."""
    if auth_type in ("azure", "device_code"):
        for key in ("tenant_id", "client_id"):
            if not getattr(creds, key):
                message = f"auth_type {auth_type} needs credentials.{key}"
                raise r.error(message, f"credentials.{key}")
    if auth_type == "azure":
        if not creds.client_secret and not creds.certificate_path:
            raise r.error(
                "auth_type azure needs credentials.client_secret or credentials.certificate_path",
                "credentials.client_secret",
            )
        if creds.certificate_path and not os.path.isfile(creds.certificate_path):
            raise r.error(
                f"certificate file '{creds.certificate_path}' not found",
                "credentials.certificate_path",
            )
    elif auth_type == "bearer" and not token and not env.get("GRAPH_TOKEN"):
        raise r.error("auth_type bearer needs a token (the key or $GRAPH_TOKEN)", "token")
    elif auth_type == "credential" and not callable(getattr(credential_obj, "get_token", None)):
        raise r.error(
            "auth_type credential needs a 'credential' object with get_token(*scopes) "
            "(pass it in the system dict, e.g. DefaultAzureCredential())",
            "credential",
        )


def _token_cache(r: _Reader, value: Any) -> str | None:
    if value is False or value is None:
        return None
    path = r.string(value, "token_cache")
    if value is True or not path:
        path = DEFAULT_TOKEN_CACHE
    return os.path.abspath(os.path.expanduser(path))


def _timeouts(r: _Reader, value: Any) -> Timeouts:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = r.number(value, "timeouts")
        return Timeouts(seconds, seconds, seconds, seconds)
    data = r.mapping(value, "timeouts")
    r.check_keys(data, {"connect", "read", "write", "pool"}, "timeouts")
    return Timeouts(**{k: r.number(v, f"timeouts.{k}", optional=True) for k, v in data.items()})


def _retry(r: _Reader, data: dict[str, Any]) -> RetrySettings:
    allowed = set(RetrySettings.__dataclass_fields__)
    r.check_keys(data, allowed, "retry")
    out: dict[str, Any] = {}
    for k, v in data.items():
        key = f"retry.{k}"
        if k == "max_attempts":
            out[k] = r.integer(v, key, minimum=1)
        elif k == "retry_on_status":
            if not isinstance(v, list) or not all(
                isinstance(s, int) and not isinstance(s, bool) and 100 <= s <= 599 for s in v
            ):
                raise r.error("expected a list of HTTP status codes", key)
            out[k] = tuple(v)
        elif k == "retry_after_header_names":
            out[k] = tuple(h.lower() for h in r.string_list(v, key))
        else:
            out[k] = r.number(v, key)
    return RetrySettings(**out)


def _logging(r: _Reader, value: Any) -> LoggingSettings:
    if isinstance(value, bool):
        return LoggingSettings(enabled=value)
    data = r.mapping(value, "logging")
    r.check_keys(data, {"enabled", "request", "response", "auth", "format"}, "logging")
    out: dict[str, Any] = {}
    for k, v in data.items():
        if k == "format":
            out[k] = r.choice(v, "logging.format", LOG_FORMATS)
        else:
            out[k] = r.boolean(v, f"logging.{k}")
    return LoggingSettings(**out)


def _sandbox(r: _Reader, value: Any) -> dict[str, Any]:
    data = r.mapping(value, "sandbox")
    if not data:
        return {}
    from graph_magic.sandbox.options import SandboxOptions

    try:
        SandboxOptions.from_dict(data)
    except (ValueError, TypeError) as exc:
        text = str(exc)
        named = re.search(r"'([^']+)'", text)
        sub = named.group(1) if named else ""
        if named and "fault" in text:
            sub = f"faults.{sub}"
        raise r.error(text, f"sandbox.{sub}" if sub else "sandbox") from None
    return data
