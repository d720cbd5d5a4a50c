"""The ``graph-magic`` command line: ``graph-magic sandbox serve`` runs the offline tenant, and
``graph-magic run NOTEBOOK`` executes a notebook headless and keeps its outputs.

Example::

    graph-magic sandbox serve --port 8765 --users 1000 --seed 7 --latency-ms 20 \\
        --fault every_nth_429=10 --fault retry_after_form=http-date
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import MISSING, fields
from pathlib import Path
from typing import Any

from graph_magic.sandbox.options import FaultOptions, SandboxOptions


def _fault_defaults() -> dict[str, Any]:
    return {f.name: f.default for f in fields(FaultOptions) if f.default is not MISSING}


def _parse_value(key: str, text: str) -> Any:
    """Convert ``text`` to the type of the fault option ``key`` (from its default)."""
    default = _fault_defaults()[key]
    if isinstance(default, bool):
        lowered = text.strip().lower()
        if lowered not in {"true", "false", "1", "0", "yes", "no", "on", "off"}:
            raise ValueError(f"fault '{key}' takes true or false, not '{text}'")
        return lowered in {"true", "1", "yes", "on"}
    if isinstance(default, int) or default is None:  # None: throttle_units_per_10s, a count
        return int(text)
    if isinstance(default, float):
        return float(text)
    return text


def parse_faults(items: Sequence[str]) -> dict[str, Any]:
    """``KEY=VALUE`` items (each may hold several, comma-separated) as fault options."""
    known = _fault_defaults()
    faults: dict[str, Any] = {}
    for item in items:
        for pair in filter(None, (p.strip() for p in item.split(","))):
            key, sep, value = pair.partition("=")
            key = key.strip().replace("-", "_")
            if not sep:
                raise ValueError(f"fault '{pair}' must be KEY=VALUE")
            if key not in known:
                raise ValueError(f"unknown fault '{key}' (known: {', '.join(sorted(known))})")
            faults[key] = _parse_value(key, value.strip())
    return faults


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``graph-magic``."""
    parser = argparse.ArgumentParser(
        prog="graph-magic", description="Microsoft Graph in Jupyter, and its offline sandbox."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    sandbox = commands.add_parser("sandbox", help="the offline sandbox tenant")
    sandbox_commands = sandbox.add_subparsers(dest="sandbox_command", required=True)
    serve = sandbox_commands.add_parser(
        "serve",
        help="serve the sandbox tenant on 127.0.0.1",
        description="Serve the sandbox tenant (Graph and its token endpoints) on 127.0.0.1 only.",
    )
    serve.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (default 8765)")
    for name in (
        "users",
        "groups",
        "devices",
        "sign-ins",
        "directory-audits",
        "provisioning-events",
    ):
        serve.add_argument(f"--{name}", type=int, metavar="N", help=f"number of {name}")
    serve.add_argument("--seed", type=int, help="seed of the tenant's data and faults")
    serve.add_argument(
        "--tenant", metavar="NAME", help="the tenant's name: NAME.com, NAME.onmicrosoft.com"
    )
    serve.add_argument("--latency-ms", type=float, metavar="L", help="latency per Graph request")
    serve.add_argument("--latency-jitter-ms", type=float, metavar="J", help="random extra latency")
    serve.add_argument(
        "--token-lifetime", type=int, metavar="SECONDS", help="access token lifetime"
    )
    serve.add_argument(
        "--auto-approve", metavar="UPN", help="approve every device code as this user"
    )
    serve.add_argument(
        "--fault",
        "--faults",
        dest="faults",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a fault option, e.g. every_nth_429=10 or rate_503=0.05,burst=3 (repeatable)",
    )
    serve.add_argument("--log-level", default="warning", help="uvicorn log level")
    _add_run_parser(commands)
    return parser


def _add_run_parser(commands: Any) -> None:
    run = commands.add_parser(
        "run",
        help="execute a notebook headless; keep it as .ipynb and .html",
        description="Execute a notebook in a fresh kernel (its folder as working directory), "
        "write the executed notebook and an HTML page, and print what ran. Needs the lab extra.",
    )
    run.add_argument("notebook", type=Path, help="the notebook, e.g. notebooks/01_quickstart.ipynb")
    run.add_argument("--out", type=Path, default=Path("out"), help="output folder (default out/)")
    run.add_argument(
        "--timeout", type=float, default=600.0, metavar="S", help="seconds per cell (default 600)"
    )


def run_command(args: argparse.Namespace) -> int:
    """``graph-magic run``: execute, write, print the summary; 1 if a cell failed."""
    if not args.notebook.is_file():
        print(f"graph-magic run: no notebook at {args.notebook}", file=sys.stderr)
        return 2
    try:
        from graph_magic.headless import run_notebook

        report = run_notebook(args.notebook, args.out, timeout=args.timeout)
    except ModuleNotFoundError as exc:
        print(f"graph-magic run needs {exc.name}: pip install 'graph-magic[lab]'", file=sys.stderr)
        return 2
    print(report.summary())
    return 0 if report.ok else 1


def options_from_args(args: argparse.Namespace) -> SandboxOptions:
    """The sandbox options the ``serve`` arguments ask for (unset arguments keep defaults)."""
    names = {
        "users": "users",
        "groups": "groups",
        "devices": "devices",
        "sign_ins": "sign_ins",
        "directory_audits": "directory_audits",
        "provisioning_events": "provisioning_events",
        "seed": "seed",
        "tenant": "tenant",
        "latency_ms": "latency_ms",
        "latency_jitter_ms": "latency_jitter_ms",
        "token_lifetime": "token_lifetime_seconds",
        "auto_approve": "device_code_auto_approve",
    }
    data: dict[str, Any] = {
        option: getattr(args, arg)
        for arg, option in names.items()
        if getattr(args, arg) is not None
    }
    data["faults"] = parse_faults(args.faults)
    return SandboxOptions.from_dict(data)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``graph-magic`` script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "run":
        return run_command(args)
    try:
        options = options_from_args(args)
    except (ValueError, TypeError) as exc:
        parser.error(str(exc))
    from graph_magic.sandbox.serve import HOST, serve
    from graph_magic.sandbox.tenant.constants import INITIAL_DOMAIN as TENANT_DOMAIN

    print(
        f"graph-magic sandbox: tenant {TENANT_DOMAIN} on http://{HOST}:{args.port} "
        f"(Graph at /v1.0 and /beta, tokens at /{TENANT_DOMAIN}/oauth2/v2.0/token). Ctrl-C stops.",
        file=sys.stderr,
    )
    serve(options, args.port, log_level=args.log_level)
    return 0


if __name__ == "__main__":
    sys.exit(main())
