"""The same seed gives the same bytes: data, ids, dates and request ids in bodies and headers."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx

from graph_magic.sandbox import SandboxOptions, Tenant, create_app, shared_app
from tests.sandbox.sandbox_kit import GRAPH, bearer

SEQUENCE = [
    ("GET", "/v1.0/users?$top=5&$select=id,displayName,createdDateTime,assignedLicenses"),
    ("GET", "/v1.0/users/nobody"),
    ("GET", "/v1.0/groups?$top=3"),
    ("GET", "/v1.0/auditLogs/signIns?$top=3"),
    ("POST", "/v1.0/users"),
    ("GET", "/v1.0/users?$top=2"),
]


async def _replay(options: dict) -> list[tuple[int, dict, bytes]]:
    app = create_app(options)
    out = []
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app), base_url=GRAPH, headers=bearer(app)
    ) as c:
        for method, url in SEQUENCE:
            kwargs = {"json": {"displayName": "x"}} if method == "POST" else {}
            r = await c.request(method, url, **kwargs)
            keep = {k: r.headers[k] for k in ("request-id", "client-request-id", "date")}
            out.append((r.status_code, keep, r.content))
    return out


async def test_two_fresh_apps_with_one_seed_answer_byte_for_byte():
    first = await _replay({"seed": 7, "users": 60})
    second = await _replay({"seed": 7, "users": 60})
    assert first == second
    assert [status for status, _, _ in first] == [200, 404, 200, 200, 400, 200]


async def test_another_seed_gives_another_tenant():
    assert await _replay({"seed": 7, "users": 60}) != await _replay({"seed": 8, "users": 60})


def test_generator_sizes_and_fixed_dates():
    tenant = Tenant(SandboxOptions(seed=3, users=500, sign_ins=300, directory_audits=40))
    assert len(tenant.users) == 500 and len(tenant.sign_ins) == 300
    assert len(tenant.directory_audits) == 40 and len(tenant.groups) == 40
    assert len({u["userPrincipalName"].lower() for u in tenant.users}) == 500
    assert max(s["createdDateTime"] for s in tenant.sign_ins) < "2025-06-01"
    assert min(s["createdDateTime"] for s in tenant.sign_ins) >= "2025-05-02"
    assert any(u["usageLocation"] is None for u in tenant.users)
    assert any(u["userType"] == "Guest" for u in tenant.users)
    again = Tenant(SandboxOptions(seed=3, users=500, sign_ins=300, directory_audits=40))
    assert again.users == tenant.users and again.sign_ins == tenant.sign_ins


def test_shared_app_is_one_per_options():
    assert shared_app({"seed": 5, "users": 10}) is shared_app(SandboxOptions(seed=5, users=10))
    assert shared_app({"seed": 5, "users": 10}) is not shared_app({"seed": 6, "users": 10})


def test_data_does_not_depend_on_the_process_hash_seed():
    code = (
        "import hashlib, json\n"
        "from graph_magic.sandbox import SandboxOptions, Tenant\n"
        "t = Tenant(SandboxOptions(seed=11, users=80, sign_ins=50, directory_audits=20))\n"
        "blob = json.dumps([t.users, t.groups, t.members, t.sign_ins], sort_keys=True)\n"
        "print(hashlib.sha256(blob.encode()).hexdigest())\n"
    )
    root = Path(__file__).resolve().parents[3]
    digests = set()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(root)}
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        digests.add(out.stdout.strip())
    tenant = Tenant(SandboxOptions(seed=11, users=80, sign_ins=50, directory_audits=20))
    blob = json.dumps(
        [tenant.users, tenant.groups, tenant.members, tenant.sign_ins], sort_keys=True
    )
    assert digests == {hashlib.sha256(blob.encode()).hexdigest()}


async def test_faulted_answers_are_dated_by_the_fixed_clock_too():
    """A 503 or a 429 made by the fault injector is as reproducible as a routed answer."""
    options = {"seed": 7, "users": 60, "faults": {"rate_503": 0.5, "rate_429": 0.3}}
    first, second = await _replay(options), await _replay(options)
    assert first == second
    faulted = [(s, h, b) for s, h, b in first if s in (429, 503)]
    assert {s for s, _, _ in faulted} == {429, 503}
    for _, headers, body in faulted:
        assert headers["date"].startswith("Mon, 02 Jun 2025 09:")
        assert json.loads(body)["error"]["innerError"]["date"].startswith("2025-06-02T09:")
