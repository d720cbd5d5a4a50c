"""Security scenarios: hostile interpolation values, secrets in logs and in the magic's output,
and the token never going to another host.

Like the fault scenarios, each returns an :class:`~reliability_kit.Outcome` whose figures go in
the report and whose details the tests assert on.
"""

from __future__ import annotations

import io
import json
import logging
import random
import re
from collections.abc import Sequence
from contextlib import redirect_stderr
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx

from graph_magic.connector import telemetry
from graph_magic.connector.auth import make_token_provider
from graph_magic.connector.client import GraphConnector
from graph_magic.connector.config import LoggingSettings, SystemConfig
from graph_magic.errors import GraphAPIError
from graph_magic.notebook.dry_run import command_config
from graph_magic.sandbox import SandboxOptions, create_app, msal_http_client, shared_app
from tests.reliability.reliability_kit import (
    SANDBOX_SECRETS,
    Figures,
    Outcome,
    Recorder,
    RecordingSleep,
    TokenRecorder,
    app_token,
    azure_system,
    bearer_system,
    count_leaks,
    in_process,
    injector,
    new_user,
    options,
    served,
)

# --------------------------------------------------------------------------- hostile values

FRAGMENTS = [
    "'", "''", '"', "&", "&$top=999", "#", "#frag", "?", "?$select=id", "/", "..", "../..", ".",
    "%2F", "%2e%2e", "%", "%00", "%25", "\n", "\r\n", "\t", "}}", "{{", "{{v}}", "=", "+", " ",
    ";", ",", "\\", "$filter", "$batch", ":", "@", "*", "(", ")", "[", "]", "<script>", "é",
    "😀", "\u202e", "\u0000", "\ufeff", "İ", "ß", "null", "true", "0", "-1", "1e999", "NaN",
    "http://evil.example.com/", "//evil.example.com", "Authorization: Bearer x", "\\u0022",
    "a", "b", "user", "O'Brien",
]  # fmt: skip
PATH_QUERY_CELL = """GET /users/{{v}}/memberOf
$filter: displayName eq '{{v}}'
$top: 5
"""
BODY_CELL = """POST /users

{"displayName": "pre {{v}} post", "raw": {{v}}, "list": [{{v}}, 1]}
"""
HEADER_CELL = """GET /users
X-Probe: {{v}}
"""


def hostile_values(count: int = 1000, seed: int = 6) -> list[str]:
    """``count`` distinct non-empty strings made of 1-4 hostile fragments."""
    rng = random.Random(seed)
    values: dict[str, None] = dict.fromkeys(FRAGMENTS)
    while len(values) < count:
        values["".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(1, 4)))] = None
    return list(values)[:count]


class Wire(httpx.AsyncBaseTransport):
    """Records each request as sent; answers an empty collection (201 for a POST)."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.requests.append(request)
        if request.method == "POST":
            return httpx.Response(201, json={"id": "new"})
        return httpx.Response(200, json={"value": []})


def path_query_problems(value: str, request: httpx.Request) -> list[str]:
    """How the wire request for PATH_QUERY_CELL differs from its one allowed shape."""
    problems = []
    url = request.url
    if (url.scheme, url.host, url.fragment) != ("https", "graph.microsoft.com", ""):
        problems.append(f"origin or fragment changed: {url}")
    path, _, query = url.raw_path.partition(b"?")
    segments = path.decode("ascii").split("/")
    if len(segments) != 5 or segments[:3] != ["", "v1.0", "users"] or segments[4] != "memberOf":
        problems.append(f"path segments changed: {path!r}")
    elif unquote(segments[3]) != value:
        problems.append(f"path value altered: {segments[3]!r}")
    pairs = []
    for part in query.decode("ascii").split("&"):
        name, _, raw = part.partition("=")
        pairs.append((unquote(name), unquote(raw)))
    if sorted(k for k, _ in pairs) != ["$count", "$filter", "$top"]:
        problems.append(f"query keys changed: {query!r}")
    else:
        params = dict(pairs)
        if params["$filter"] != "displayName eq '" + value.replace("'", "''") + "'":
            problems.append(f"$filter altered: {params['$filter']!r}")
        if params["$top"] != "5":
            problems.append("$top altered")
    return problems


def body_problems(value: str, request: httpx.Request) -> list[str]:
    """How the wire request for BODY_CELL differs from its one allowed shape."""
    problems = []
    if request.url.raw_path != b"/v1.0/users":
        problems.append(f"URL changed: {request.url}")
    if json.loads(request.content) != {
        "displayName": f"pre {value} post",
        "raw": value,
        "list": [value, 1],
    }:
        problems.append(f"body changed: {request.content!r}")
    return problems


async def interpolation(count: int) -> Outcome:
    """``count`` hostile values in path, query, header and body positions, to the wire."""
    from graph_magic.errors import GraphSyntaxError
    from graph_magic.notebook.cell import parse_cell

    values = hostile_values(count)
    wire = Wire()
    changed: list[tuple[str, list[str]]] = []
    refused: list[str] = []
    headers_sent: list[str] = []
    conn = GraphConnector(
        bearer_system("token-for-the-wire"), sleep=RecordingSleep(), transport=wire
    )
    async with conn:
        for cell, check in ((PATH_QUERY_CELL, path_query_problems), (BODY_CELL, body_problems)):
            start = len(wire.requests)
            for value in values:
                (spec,) = parse_cell(cell, {"v": value})
                await conn.perform_action("probe", "send", None, command_config(spec))
            for value, request in zip(values, wire.requests[start:], strict=True):
                problems = check(value, request)
                if problems:
                    changed.append((value, problems))
        start = len(wire.requests)
        for value in values:
            try:
                (spec,) = parse_cell(HEADER_CELL, {"v": value})
            except GraphSyntaxError:
                refused.append(value)
                continue
            headers_sent.append(value)
            await conn.perform_action("probe", "send", None, command_config(spec))
        header_requests = wire.requests[start:]
    baseline = sorted(k.lower() for k in header_requests[0].headers) if header_requests else []
    for value, request in zip(headers_sent, header_requests, strict=True):
        names = sorted(k.lower() for k in request.headers)
        if names != baseline or request.headers["x-probe"].strip() != value.strip():
            changed.append((value, [f"headers changed: {names}"]))
    figures = Figures(
        f"{count} hostile values in path, query, header, body",
        requests=len(wire.requests),
        expected=3 * count,
        received=len(wire.requests) + len(refused) - len(changed),
        ok=not changed,
        note=f"{len(changed)} structure changes; {len(refused)} header values refused "
        "(line breaks, non-ASCII)",
    )
    return Outcome(
        figures,
        extra={
            "changed": changed,
            "refused": refused,
            "wire": wire.requests,
            "values": values,
            "headers_sent": headers_sent,
        },
    )


# --------------------------------------------------------------------------- logs


PASSWORD = "Sandbox-P@ssw0rd-9931"
DEBUG_LOGGING = {
    "enabled": True,
    "request": True,
    "response": True,
    "auth": True,
    "format": "detailed",
}


class _Capture(logging.Handler):
    """Keeps every record, formatted the detailed way and as its raw attributes."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.names: list[str] = []
        self.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s")
        )

    def emit(self, record: logging.LogRecord) -> None:
        self.names.append(record.name)
        self.lines.append(self.format(record))
        self.lines.append(repr(record.__dict__))


async def log_scan() -> Outcome:
    """A busy session logged at DEBUG, ``format: detailed``; every output scanned for secrets.

    Paging, a creation with a password, a $batch, two errors, and a token that Graph stops
    accepting (401, refresh). Scanned: the graph_magic handler's stream, every record of every
    logger (msal's too), and the reprs of results, errors, the system and describe().
    """
    opts = options(users=60)
    app = create_app(opts)
    system = azure_system(logging=DEBUG_LOGGING)
    recorder = TokenRecorder(
        make_token_provider(system, http_client=msal_http_client(None, app=app))
    )
    capture = _Capture()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    stream = io.StringIO()
    try:
        with redirect_stderr(stream):
            texts = await _busy_session(app, system, recorder)
    finally:
        root.removeHandler(capture)
        root.setLevel(old_level)
        telemetry.configure_logging(LoggingSettings())
    outputs = [stream.getvalue(), *capture.lines, *texts]
    secrets = [*recorder.tokens, *SANDBOX_SECRETS, PASSWORD]
    leaks = count_leaks(outputs, secrets)
    figures = Figures(
        "logs at DEBUG, format detailed (+ reprs, errors)",
        requests=injector(app).counters.requests,
        leaks=sum(leaks.values()),
        ok=not leaks,
        note=f"{len(capture.names)} log records, {len(set(recorder.tokens))} tokens and "
        f"{len(SANDBOX_SECRETS) + 1} secrets searched",
    )
    return Outcome(
        figures,
        extra={
            "leaks": leaks,
            "stream": stream.getvalue(),
            "lines": capture.lines,
            "loggers": set(capture.names),
            "tokens": recorder.tokens,
        },
    )


async def _busy_session(app: Any, system: SystemConfig, provider: Any) -> list[str]:
    texts: list[str] = []
    body = new_user("leakprobe")
    body["passwordProfile"]["password"] = PASSWORD
    async with in_process(app, system, RecordingSleep(), token_provider=provider) as conn:
        calls: list[tuple[str, str, dict[str, Any] | None]] = [
            ("GET", "/users", None),
            ("POST", "/users", body),
        ]
        for method, endpoint, payload in calls:
            config = {"method": method, "endpoint": endpoint, "params": {"$top": 20}}
            if payload is not None:
                config = {"method": method, "endpoint": endpoint, "body": payload}
            texts.append(repr(await conn.perform_action("u", "x", None, config)))
        out = await conn.perform_batch(
            [
                {"method": "GET", "url": "/users?$top=3"},
                {"method": "POST", "url": "/users", "body": {**body, "mailNickname": "x y"}},
            ],
            continue_on_error=True,
        )
        texts.append(repr(out))
        for endpoint in ("/users/nobody@contoso.com", "/nonsense"):
            try:
                await conn.perform_action("u", "g", None, {"method": "GET", "endpoint": endpoint})
            except GraphAPIError as exc:
                texts += [str(exc), repr(exc), repr(exc.detail)]
        # Graph stops accepting the token (its clock jumps past the expiry): 401, one refresh.
        app.state.tokens.clock = lambda: 4_000_000_000.0
        out = await conn.perform_action("u", "g", None, {"method": "GET", "endpoint": "/users"})
        texts += [repr(out), repr(conn.token_provider.describe()), repr(conn.system)]
    return texts


# --------------------------------------------------------------------------- the magic

MAGIC_PASSWORD = "Magic-P@ssw0rd-5150"
WRONG_SECRET = "wrong-secret-4242-xyz"
JWT = re.compile(r"eyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]*")
PACKAGE_SYSTEMS = Path(__file__).resolve().parents[2] / "graph_magic" / "systems"
MAGIC_CELLS: list[tuple[str, bool]] = [
    ("%graph connect loud", False),
    ("%graph status", False),
    ("%graph systems", False),
    (
        f'%%graph --dry-run\nGET /users\n$top: 5\n###\nPOST /users\n\n{{"passwordProfile": '
        f'{{"password": "{MAGIC_PASSWORD}"}}, "displayName": "x"}}',
        False,
    ),
    ("%%graph -o users\nGET /users\n$top: 5\n$select: id,displayName", False),
    (
        '%%graph\nPOST /users\n\n{"accountEnabled": true, "displayName": "Magic Probe", '
        '"mailNickname": "magicprobe", "userPrincipalName": "magicprobe@contoso.com", '
        f'"passwordProfile": {{"password": "{MAGIC_PASSWORD}"}}}}',
        False,
    ),
    ("%graph GET /users/nobody@contoso.com", True),
    ("%%graph\nGET /users\n$top: {{missing}}", True),
    ("%%graph --dry-run\nGET /users\nX-Api: Bearer eyJhbGciOiJub25lIn0.eyJ4IjoxfQ.c2ln", False),
    ("%graph history", False),
    ("%graph connect limited", False),
    ("%graph GET /auditLogs/signIns", True),
    ("%graph connect wrongsecret", True),
    ("%graph status", False),
    ("%graph connect bearer", False),
    ("%graph status", False),
    ("%%graph --dry-run\nGET /users", False),
    ("%graph GET /users/nobody@contoso.com", True),
    ("%graph systems", False),
]
"""(cell, whether it must fail): connect, status, dry runs, results, every kind of error."""


def write_magic_systems(directory: Path) -> list[str]:
    """``loud`` (the sandbox logging at DEBUG, its own tenant), ``wrongsecret``, ``limited``
    and ``bearer`` (a static token in the YAML); returns the secrets planted in them."""
    directory.mkdir(parents=True, exist_ok=True)
    sandbox = (PACKAGE_SYSTEMS / "sandbox.yaml").read_text()
    if "seed: 42" not in sandbox:
        raise AssertionError("systems/sandbox.yaml no longer says 'seed: 42'")
    # its own tenant (seed 4242), so the user created here stays out of other tests' way
    (directory / "loud.yaml").write_text(
        sandbox.replace("seed: 42", "seed: 4242")
        + "\nlogging:\n  enabled: true\n  request: true\n  response: true\n  auth: true\n"
        "  format: detailed\n"
    )
    (directory / "wrongsecret.yaml").write_text(sandbox.replace("sandbox-secret", WRONG_SECRET))
    (directory / "limited.yaml").write_text((PACKAGE_SYSTEMS / "sandbox-limited.yaml").read_text())
    token = app_token(shared_app(SandboxOptions(seed=42)))
    (directory / "bearer.yaml").write_text(
        f"auth_type: bearer\ntoken: {token}\ntransport: sandbox\nsandbox:\n  seed: 42\n"
    )
    return [WRONG_SECRET, token]


def run_cell(shell: Any, cell: str) -> tuple[bool, str]:
    """Run a cell; (failed, every byte shown: display data of every kind, stdout, stderr)."""
    from IPython.utils.capture import capture_output

    with capture_output() as captured:
        result = shell.run_cell(cell, store_history=False)
    shown = [str(value) for out in captured.outputs for value in out.data.values()]
    failed = result.error_in_exec is not None or result.error_before_exec is not None
    return failed, "\n".join([*shown, captured.stdout, captured.stderr])


def magic_scan(shell: Any, planted: Sequence[str]) -> Outcome:
    """Run MAGIC_CELLS in ``shell`` (graph_magic loaded, the systems of
    :func:`write_magic_systems` visible) and scan everything shown and logged for the tokens
    the session held, JWT-shaped text, the sandbox's secrets and the ``planted`` ones."""
    from graph_magic.notebook import runtime

    capture = _Capture()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    outputs: list[str] = []
    tokens: list[str] = []
    unexpected: list[str] = []
    magic = shell.magics_manager.registry["GraphMagic"]
    try:
        for cell, should_fail in MAGIC_CELLS:
            failed, text = run_cell(shell, cell)
            if failed != should_fail:
                unexpected.append(f"{cell.splitlines()[0]} -> {text[:300]}")
            outputs.append(text)
            if cell.startswith("%graph connect") and not failed:
                provider = magic.session.provider(cell.split()[-1])
                tokens.append(runtime.run_sync(provider.get_token()))
    finally:
        root.removeHandler(capture)
        root.setLevel(old_level)
        telemetry.configure_logging(LoggingSettings())
    everything = [*outputs, *capture.lines]
    secrets = [*tokens, *SANDBOX_SECRETS, *planted, MAGIC_PASSWORD]
    leaks = count_leaks(everything, secrets)
    jwts = [m.group(0)[:20] for text in everything for m in JWT.finditer(text)]
    figures = Figures(
        "magic: connect, status, --dry-run, results, error blocks, history, DEBUG logs",
        expected=len(MAGIC_CELLS),
        received=len(MAGIC_CELLS) - len(unexpected),
        leaks=sum(leaks.values()) + len(jwts),
        ok=not leaks and not jwts and not unexpected,
        note=f"{len(capture.names)} log records; {len(set(tokens))} tokens searched",
    )
    return Outcome(
        figures,
        extra={
            "leaks": leaks,
            "jwts": jwts,
            "unexpected": unexpected,
            "outputs": outputs,
            "lines": capture.lines,
            "tokens": tokens,
        },
    )


# --------------------------------------------------------------------------- foreign hosts

REPORT = "/reports/getOffice365ActiveUserDetail(period='D7')"


class ForeignLinks:
    """ASGI wrapper that rewrites every ``old`` byte string in answers to ``new``."""

    def __init__(self, app: Any, old: str, new: str) -> None:
        self.app, self.old, self.new = app, old.encode(), new.encode()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: Any) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            else:
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        body = b"".join(chunks).replace(self.old, self.new)
        headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body})


async def foreign_hosts() -> Outcome:
    """nextLinks, redirects and $batch URLs pointing at another host, in-process and served.

    ``leaks`` counts requests that reached a host other than the configured one while
    carrying Authorization (must be 0); ``requests`` counts everything the servers saw.
    """
    from graph_magic.errors import GraphSecurityError

    seen: list[tuple[str, str, str, bool]] = []
    refused = 0
    # served: a nextLink on the other loopback name, then the report redirect
    app = create_app(options(users=30))
    recorder = Recorder(app)
    with served(ForeignLinks(recorder, "//127.0.0.1:", "//localhost:")) as server:
        system = bearer_system(app_token(app), server.url())
        async with GraphConnector(system, sleep=RecordingSleep()) as conn:
            try:
                await conn.perform_action(
                    "u", "l", None, {"method": "GET", "endpoint": "/users?$top=10"}
                )
            except GraphSecurityError:
                refused += 1
    graph_host = f"127.0.0.1:{server.port}"
    seen += [(m, h, p, a and h != graph_host) for m, h, p, a in recorder.seen]
    app = create_app(options(users=30))
    recorder = Recorder(app)
    with served(recorder) as server:
        system = bearer_system(app_token(app), server.url())
        async with GraphConnector(system, sleep=RecordingSleep()) as conn:
            await conn.perform_action("r", "get", None, {"method": "GET", "endpoint": REPORT})
    graph_host = f"127.0.0.1:{server.port}"
    redirected = sum(1 for _, h, _, _ in recorder.seen if h != graph_host)
    seen += [(m, h, p, a and h != graph_host) for m, h, p, a in recorder.seen]
    # in-process: the report redirect and a $batch URL on another host
    app = create_app(options(users=30))
    recorder = Recorder(app)
    async with in_process(recorder, bearer_system(app_token(app)), RecordingSleep()) as conn:
        await conn.perform_action("r", "get", None, {"method": "GET", "endpoint": REPORT})
        try:
            await conn.perform_batch(
                [{"method": "GET", "url": "https://evil.example.com/v1.0/users"}]
            )
        except GraphSecurityError:
            refused += 1
    redirected += sum(1 for _, h, _, _ in recorder.seen if h != "graph.microsoft.com")
    seen += [(m, h, p, a and h != "graph.microsoft.com") for m, h, p, a in recorder.seen]
    leaks = sum(1 for *_, leaked in seen if leaked)
    figures = Figures(
        "nextLink / $batch URL / redirect to another host",
        requests=len(seen),
        expected=2 + 2,
        received=refused + redirected,
        leaks=leaks,
        ok=leaks == 0 and refused == 2 and redirected == 2,
        note=f"{refused} refused before sending, {redirected} redirects followed without "
        "Authorization",
    )
    return Outcome(figures, extra={"seen": seen, "refused": refused, "redirected": redirected})
