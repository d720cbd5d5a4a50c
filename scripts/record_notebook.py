"""Record a notebook against the sandbox served on loopback, as if it were a tenant.

    python scripts/record_notebook.py notebooks/recorded/11_tenant_review.ipynb
    python scripts/store_notebooks.py notebooks/recorded/11_tenant_review.ipynb   # then store it

The notebook is written against a system named ``tenant``. Here that system is the served
sandbox, reached over HTTP with a bearer token (what ``az account get-access-token`` gives for a
real tenant), recording into the notebook's cassette ``cassettes/<notebook>.jsonl`` with the
people's names and addresses pseudonymised. Beside the notebook, ``systems/tenant.yaml`` replays
that cassette, so the stored notebook runs, and nbval checks it, with no tenant and no secret.
Recording a real tenant works the same way: a ``tenant`` system of your own with ``record:``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from graph_magic.headless import execute_notebook  # noqa: E402

PSEUDONYMISED = ("displayName", "mail", "userPrincipalName")
SANDBOX_APP = {
    "tenant_id": "contoso.onmicrosoft.com",
    "client_id": "sandbox-app",
    "client_secret": "sandbox-secret",
}


def cassette_of(notebook: Path) -> Path:
    """Where a recorded notebook's cassette lives: ``cassettes/<stem>.jsonl`` beside it."""
    return notebook.parent / "cassettes" / f"{notebook.stem}.jsonl"


@contextmanager
def served_tenant() -> Iterator[int]:
    """The default sandbox tenant served on a free loopback port until the block ends."""
    from graph_magic.sandbox import SandboxOptions, make_server

    server = make_server(SandboxOptions(), 0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the sandbox did not start serving")
        time.sleep(0.01)
    try:
        yield server.servers[0].sockets[0].getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def app_token(port: int) -> str:
    """An app token from the served tenant's token endpoint, through real msal."""
    from graph_magic.connector.auth import make_token_provider
    from graph_magic.connector.config import load_system
    from graph_magic.sandbox import LoopbackHttpClient

    system = load_system(
        {"auth_type": "azure", "token_cache": False, "credentials": SANDBOX_APP}, environ={}
    )
    provider = make_token_provider(system, http_client=LoopbackHttpClient(port))
    return asyncio.run(provider.get_token())


def recording_system(port: int, cassette: Path, pseudonymise: tuple[str, ...]) -> str:
    """The ``tenant`` system that records: the served sandbox, its token from the environment."""
    names = ", ".join(pseudonymise)
    return (
        f"base_url: http://127.0.0.1:{port}/v1.0\n"
        "auth_type: bearer\n"
        f"record:\n  path: {cassette}\n  pseudonymise: [{names}]\n"
    )


def record(
    notebook: Path, cassette: Path, pseudonymise: tuple[str, ...] = PSEUDONYMISED
) -> tuple[nbformat.NotebookNode, str]:
    """Run ``notebook`` against the served tenant, recording into ``cassette``.

    Returns the notebook as it ran (its live outputs) and the token the run used, so a caller
    can check that the token reached no file. Raises if a cell fails without its tag.
    """
    from graph_magic.connector.recording import stop_recording

    cassette = cassette.resolve()
    cassette.parent.mkdir(parents=True, exist_ok=True)
    with served_tenant() as port, tempfile.TemporaryDirectory() as folder:
        token = app_token(port)
        (Path(folder) / "tenant.yaml").write_text(recording_system(port, cassette, pseudonymise))
        nb = nbformat.read(notebook, as_version=4)
        environment = {"GRAPH_MAGIC_SYSTEMS": folder, "GRAPH_TOKEN": token}
        with _environment(environment):
            error, _ = asyncio.run(execute_notebook(nb, notebook.parent))
        stop_recording(cassette)
    if error:
        raise RuntimeError(f"{notebook}: {error}")
    return nb, token


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """``values`` in the environment the kernel inherits, for the block only."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def main(argv: list[str] | None = None) -> int:
    """Record each notebook named into its cassette."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    args = parser.parse_args(argv)
    for notebook in args.notebooks:
        cassette = cassette_of(notebook)
        record(notebook, cassette)
        exchanges = len(cassette.read_text(encoding="utf-8").splitlines()) - 1
        print(f"{notebook}: {exchanges} exchanges recorded into {cassette}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
