"""Shared machinery of the benchmarks: a served sandbox, alternating timed runs, medians, tables.

Every comparison follows the same recipe (issue 7's rules): the sandbox tenant is served by
uvicorn on 127.0.0.1 in a child process (so it does not share the client's interpreter lock), with
its injected latency; each side runs once untimed (connections, imports, caches), then the sides
run in alternating order for several rounds, and the medians and their ratios are reported beside
the latency bound and the sandbox's own serving cost, which are measured the same way.
"""

from __future__ import annotations

import asyncio
import gc
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

import httpx

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run from a checkout, uninstalled
    sys.path.insert(0, str(REPO))

TENANT = "contoso.onmicrosoft.com"
APP_ID = "sandbox-app"
APP_SECRET = "sandbox-secret"  # the sandbox's published secret, not a real one
SCOPE = "https://graph.microsoft.com/.default"

T = TypeVar("T")


# ---------------------------------------------------------------------------- served sandbox


class ServedSandbox:
    """The sandbox tenant served on 127.0.0.1 by a child process, with a control channel.

    The child (this module run as a script) builds the tenant from ``options`` (SandboxOptions
    as a dict), serves it on a free port and answers ``counters`` (requests seen, faults
    injected, resource units charged) on its stdin/stdout, so a benchmark can read how many 429s
    the server really sent. The child exits when its stdin closes, even if this process dies.
    """

    def __init__(self, options: Mapping[str, Any]) -> None:
        self.options = dict(options)
        self.port = 0
        self._process: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()

    def __enter__(self) -> ServedSandbox:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def origin(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """Graph's v1.0 root on the served sandbox."""
        return f"{self.origin}/v1.0"

    def start(self) -> None:
        """Start the child and wait until it serves (building a big tenant takes seconds)."""
        self._process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "serve", json.dumps(self.options)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=str(REPO),
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline().strip()
        if not line.startswith("ready "):
            self.stop()
            raise RuntimeError(f"the served sandbox failed to start: {line or 'no answer'}")
        self.port = int(line.split()[1])

    def counters(self) -> dict[str, Any]:
        """The server's counters now: ``requests``, ``faults`` by kind, ``resource_units``."""
        return json.loads(self._ask("counters"))

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the serving child has used so far."""
        import psutil

        assert self._process is not None
        times = psutil.Process(self._process.pid).cpu_times()
        return times.user + times.system

    def _ask(self, command: str) -> str:
        assert self._process is not None and self._process.stdin and self._process.stdout
        with self._lock:
            self._process.stdin.write(command + "\n")
            self._process.stdin.flush()
            return self._process.stdout.readline()

    def token(self, client_id: str = APP_ID, client_secret: str = APP_SECRET) -> str:
        """An app token from the sandbox's token endpoint (client credentials, as msal asks)."""
        response = httpx.post(
            f"{self.origin}/{TENANT}/oauth2/v2.0/token",
            data={
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": client_secret,
                "scope": SCOPE,
            },
            timeout=30,
        )
        response.raise_for_status()
        return response.json()["access_token"]

    def stop(self) -> None:
        """Close the child's stdin (it stops serving); kill it if it does not exit."""
        process, self._process = self._process, None
        if process is None:
            return
        try:
            if process.stdin:
                process.stdin.close()
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        if process.stdout:
            process.stdout.close()


def _serve_child(options: dict[str, Any]) -> None:
    """Child process: build the tenant, serve it, answer stdin commands until stdin closes."""
    from graph_magic.sandbox import SandboxOptions, create_app, make_server

    sandbox_options = SandboxOptions.from_dict(options)
    app = create_app(sandbox_options)
    server = make_server(sandbox_options, 0, app=app)
    out = sys.stdout

    def control() -> None:
        while not server.started:
            if server.should_exit:
                return
            time.sleep(0.01)
        out.write(f"ready {server.servers[0].sockets[0].getsockname()[1]}\n")
        out.flush()
        for command in sys.stdin:
            if command.strip() != "counters":
                break
            out.write(json.dumps(app.counters.as_dict()) + "\n")
            out.flush()
        server.should_exit = True

    threading.Thread(target=control, daemon=True).start()
    server.run()


def counter_delta(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """What the server counted between two ``counters()`` snapshots."""
    faults = {
        kind: after["faults"].get(kind, 0) - before["faults"].get(kind, 0)
        for kind in after["faults"]
    }
    return {
        "requests": after["requests"] - before["requests"],
        "faults": {kind: n for kind, n in faults.items() if n},
        "resource_units": after["resource_units"] - before["resource_units"],
    }


def counting_429s(sandbox: ServedSandbox, side: Side) -> Side:
    """``side`` plus the requests and the 429s the server sent during it (read from its
    counters before and after: a pipe round trip, not timed apart)."""

    def run() -> dict[str, Any]:
        before = sandbox.counters()
        extra = dict(side() or {})
        delta = counter_delta(before, sandbox.counters())
        extra["429s"] = delta["faults"].get("throttle", 0)
        extra["requests"] = delta["requests"]
        return extra

    return run


# ---------------------------------------------------------------------------- running sides


class Loop:
    """One event loop kept for a whole benchmark, so clients keep their warm connections."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` to completion on the loop."""
        return self.loop.run_until_complete(coro)

    def close(self) -> None:
        """Close the loop (after the clients on it are closed)."""
        self.loop.close()


@dataclass
class Timing:
    """The runs of one side: seconds per timed run, plus what each run reported."""

    name: str
    runs: list[float] = field(default_factory=list)
    extras: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    client_cpu: list[float] = field(default_factory=list)
    server_cpu: list[float] = field(default_factory=list)

    @property
    def median(self) -> float | None:
        """Median seconds, or None when the side did not run."""
        return statistics.median(self.runs) if self.runs else None

    def cpu_note(self) -> str | None:
        """``CPU/run: client X ms, server Y ms`` (medians), when they were measured."""
        if not self.client_cpu:
            return None
        note = f"CPU/run: client {statistics.median(self.client_cpu) * 1000:.0f} ms"
        if self.server_cpu:
            note += f", server {statistics.median(self.server_cpu) * 1000:.0f} ms"
        return note

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready summary."""
        out: dict[str, Any] = {
            "median_s": _round(self.median),
            "runs_s": [_round(t) for t in self.runs],
        }
        if self.client_cpu:
            out["client_cpu_median_s"] = _round(statistics.median(self.client_cpu))
        if self.server_cpu:
            out["server_cpu_median_s"] = _round(statistics.median(self.server_cpu))
        if self.extras:
            out["last"] = self.extras[-1]
        if self.error:
            out["error"] = self.error
        return out


Side = Callable[[], Mapping[str, Any] | None]


def alternate(
    sides: Mapping[str, Side],
    repeats: int,
    *,
    warmup: bool = True,
    between: Callable[[], None] | None = None,
    server_cpu: Callable[[], float] | None = None,
    log: Callable[[str], None] = print,
) -> dict[str, Timing]:
    """Run every side ``repeats`` times, rotating the order each round; medians come later.

    A side returns a dict of facts about its run (rows, pages, 429s...) that is kept with the
    timing. A side that raises is reported with its error and left out of later rounds, so one
    broken client does not hide the others' figures. ``between`` runs before every timed run
    (e.g. waiting for the throttle's bucket to refill) and is not timed. Each timed run also
    records this process's CPU time and, given ``server_cpu`` (a reading of the serving
    child's CPU seconds), the server's: on a machine whose cores are shared, the two together
    decide how far above the latency bound a run lands.
    """
    names = list(sides)
    timings = {name: Timing(name) for name in names}
    if warmup:
        for name in names:
            _run_one(timings[name], sides[name], between, server_cpu, log, timed=False)
    for round_number in range(repeats):
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:
            if timings[name].error is None:
                _run_one(timings[name], sides[name], between, server_cpu, log, timed=True)
    return timings


def _run_one(
    timing: Timing,
    side: Side,
    between: Callable[[], None] | None,
    server_cpu: Callable[[], float] | None,
    log: Callable[[str], None],
    *,
    timed: bool,
) -> None:
    if between is not None:
        between()
    gc.collect()
    server_before = server_cpu() if server_cpu is not None else 0.0
    cpu_before = time.process_time()
    started = time.perf_counter()
    try:
        extra = side()
    except Exception as exc:  # a broken side is reported, not fatal
        timing.error = f"{type(exc).__name__}: {str(exc)[:300]}"
        log(f"    {timing.name}: FAILED {timing.error}")
        return
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_before
    label = "run" if timed else "warm-up"
    log(f"    {timing.name:<40} {label:<8} {elapsed:8.3f} s  {_brief(extra)}")
    if timed:
        timing.runs.append(elapsed)
        timing.extras.append(dict(extra or {}))
        timing.client_cpu.append(cpu)
        if server_cpu is not None:
            timing.server_cpu.append(server_cpu() - server_before)


def _brief(extra: Mapping[str, Any] | None) -> str:
    return " ".join(f"{k}={v}" for k, v in (extra or {}).items() if not isinstance(v, dict))


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """``numerator / denominator``, None when either is missing."""
    if not numerator or not denominator:
        return None
    return numerator / denominator


def latency_bound(round_trips: int, latency_ms: float) -> float:
    """Seconds that ``round_trips`` sequential round trips take at the injected latency alone."""
    return round_trips * latency_ms / 1000.0


def batch_round_trips(requests: int, per_batch: int, concurrency: int) -> int:
    """ceil(requests / per_batch) batches, ``concurrency`` in flight: sequential round trips."""
    return math.ceil(math.ceil(requests / per_batch) / concurrency)


# ---------------------------------------------------------------------------- clients


def graph_magic_system(base_url: str, token: str, **extra: Any) -> dict[str, Any]:
    """A graph-magic system dict for the served sandbox, with a bearer token."""
    return {
        "name": "bench",
        "base_url": base_url,
        "auth_type": "bearer",
        "token": token,
        "timeouts": {"read": 120},
        **extra,
    }


class MagicShell:
    """A real IPython InteractiveShell with ``%load_ext graph_magic``, set up for the sandbox.

    The system ``bench`` is a YAML file in a temporary directory named by
    ``$GRAPH_MAGIC_SYSTEMS``; its token comes from ``${GRAPH_MAGIC_BENCH_TOKEN}``, so no token
    is written to disk.
    """

    def __init__(self, base_url: str, token: str, **system: Any) -> None:
        import tempfile

        import yaml
        from IPython.core.interactiveshell import InteractiveShell

        self._dir = tempfile.TemporaryDirectory(prefix="graph-magic-bench-")
        config = {
            "base_url": base_url,
            "auth_type": "bearer",
            "token": "${GRAPH_MAGIC_BENCH_TOKEN}",
            "timeouts": {"read": 120},
            **system,
        }
        Path(self._dir.name, "bench.yaml").write_text(yaml.safe_dump(config))
        os.environ["GRAPH_MAGIC_SYSTEMS"] = self._dir.name
        os.environ["GRAPH_MAGIC_BENCH_TOKEN"] = token
        self.shell = InteractiveShell.instance()
        self.run_cell("%load_ext graph_magic")
        self.run_cell("%config GraphMagic.default_system = 'bench'")

    def run_cell(self, text: str) -> Any:
        """Run a cell; raise what it raised, so a failing cell fails the side."""
        result = self.shell.run_cell(text, store_history=False, silent=True)
        if result.error_before_exec is not None:
            raise result.error_before_exec
        if result.error_in_exec is not None:
            raise result.error_in_exec
        return result.result

    @property
    def user_ns(self) -> dict[str, Any]:
        """The shell's namespace (where ``-o`` assigns)."""
        return self.shell.user_ns

    def close(self) -> None:
        """Unload the extension and forget the temporary systems directory."""
        try:
            self.run_cell("%unload_ext graph_magic")
        finally:
            self._dir.cleanup()


def msgraph_client(base_url: str, token: str) -> tuple[Any, Any, httpx.AsyncClient]:
    """Microsoft's GraphServiceClient, its request adapter and httpx client, at ``base_url``
    (the sandbox's own builder: msgraph-sdk's default middleware, 127.0.0.1 allowed)."""
    from graph_magic.sandbox import msgraph_sdk_client

    return msgraph_sdk_client(base_url, token, timeout=120)


def model_to_dict(value: Any) -> Any:
    """A Kiota model as plain data (what a user writes to get SDK objects into pandas).

    Public, non-None fields; nested models and lists recursively; the backing store and empty
    ``additional_data`` left out.
    """
    if isinstance(value, list):
        return [model_to_dict(v) for v in value]
    if hasattr(value, "__dict__") and hasattr(value, "get_field_deserializers"):
        out = {}
        for key, item in vars(value).items():
            if item is None or key in ("backing_store", "odata_type") or key.startswith("_"):
                continue
            if key == "additional_data":
                out.update(item)
                continue
            out[key] = model_to_dict(item)
        return out
    return value


# ---------------------------------------------------------------------------- reporting


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    import psutil

    versions = {}
    for package in ("httpx", "pandas", "msgraph-sdk", "msgraph-core", "uvicorn", "msal"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_model": _cpu_model(),
        "logical_cpus": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "two_process_speedup": two_process_speedup(),
        "python": sys.version.split()[0],
        "versions": versions,
    }


def load_average() -> tuple[float, ...]:
    """The 1, 5 and 15-minute load averages: on a shared machine, what wall times grew with."""
    return tuple(round(value, 2) for value in os.getloadavg())


_SPIN = "for _ in range(5_000_000): pass"


def two_process_speedup() -> float:
    """How much faster two CPU-bound processes finish together than one after the other.

    2.0 means two truly parallel cores; near 1.0 means the two logical CPUs share one core (or
    the host is busy). The served sandbox and the client are two such processes, so this says
    whether the server's work overlaps the client's or adds to it.
    """

    def spin(count: int) -> float:
        started = time.perf_counter()
        children = [
            subprocess.Popen([sys.executable, "-c", _SPIN], stdout=subprocess.DEVNULL)
            for _ in range(count)
        ]
        for child in children:
            child.wait()
        return time.perf_counter() - started

    spin(1)  # warm the interpreter's files into the page cache
    return round(2 * spin(1) / spin(2), 2)


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        return None
    return None


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def fmt_seconds(value: float | None) -> str:
    """Seconds for a table cell: ms below one second."""
    if value is None:
        return "-"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def fmt_ratio(value: float | None) -> str:
    """A ratio for a table cell."""
    return "-" if value is None else f"{value:.2f}x"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain-text table (left-aligned first column, the rest right-aligned)."""
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        parts = [
            str(c).ljust(w) if i == 0 else str(c).rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(parts)

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "serve":
        _serve_child(json.loads(sys.argv[2]))
    else:
        sys.exit("usage: _harness.py serve OPTIONS_JSON  (started by ServedSandbox)")
