"""Seeded provisioning logs: what Entra's provisioning service did over the 30 days before
DATA_END, newest first.

Two jobs run in the tenant, as in an ordinary one: the HR app (``Contoso HR Portal``) drives
users into Entra ID (inbound, its workers matched by employee id), and Entra ID provisions
users into the ``Ticketing`` app over SCIM (outbound). Each event is a
``provisioningObjectSummary`` with every property Graph's v1.0 metadata declares, about a real
user of the tenant; most succeed, some are skipped (out of scope) or fail with Graph's error
information. The stream is ``{seed}:provisioning``, so no other collection changes.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from graph_magic.sandbox._clock import DATA_END, iso_millis
from graph_magic.sandbox.tenant._seeded import Obj, below, guid
from graph_magic.sandbox.tenant.constants import TENANT_ID

_SPAN_MS = 30 * 86400 * 1000
_CYCLE_MS = 40 * 60 * 1000
"""The provisioning service runs each job's cycle every 40 minutes."""
_ENTRA = "Entra ID"
_INITIATOR = {"displayName": "Azure AD Provisioning Service", "id": "", "initiatorType": "system"}
_SCIM_USER = "urn:ietf:params:scim:schemas:core:2.0:User"


@dataclass(frozen=True)
class _Job:
    """One provisioning job: its app (by the end of its name: another tenant's data names
    the HR app after itself), its template and which way users flow."""

    app_name: str
    template: str
    inbound: bool


_JOBS = (_Job("HR Portal", "Workday2AAD", True), _Job("Ticketing", "scim", False))

_ACTIONS = (("update", 0.55), ("create", 0.2), ("other", 0.12), ("disable", 0.1), ("delete", 0.03))
_FAILURES = (
    (
        "AzureActiveDirectoryDuplicateUserPrincipalName",
        "failure",
        "The user could not be created because another object has the same userPrincipalName.",
        "Give the worker a unique userPrincipalName in the attribute mapping.",
    ),
    (
        "SystemForCrossDomainIdentityManagementBadResponse",
        "nonServiceFailure",
        "The target application answered the SCIM request with HTTP 500.",
        "Check the application's SCIM endpoint; the change is retried in the next cycle.",
    ),
    (
        "AzureActiveDirectoryInvalidManager",
        "nonServiceFailure",
        "The manager reference could not be resolved in the target.",
        "Provision the manager first or correct the managerReference mapping.",
    ),
)
_STEPS = (
    ("import", "EntryImport", "Received the object from the source system."),
    ("scoping", "EntrySynchronizationScoping", "Determined that the object is in scope."),
    ("matching", "EntryExportMatching", "Matched the object with one in the target system."),
    ("processing", "EntrySynchronization{verb}", "Determined the action to take in the target."),
    ("export", "EntryExport{verb}", "Exported the change to the target system."),
)
_VERBS = {"create": "Add", "update": "Update", "disable": "Update", "delete": "Delete"}
"""The verb in the names of the processing and export steps, by action (``other``: Skip)."""


def make_provisioning(
    seed: int, count: int, users: list[Obj], service_principals: list[Obj]
) -> list[Obj]:
    """``count`` provisioning events over the 30 days before DATA_END, newest first."""
    rng = random.Random(f"{seed}:provisioning")
    moments = sorted((rng.randrange(_SPAN_MS) for _ in range(count)), reverse=True)
    sps = {
        job.app_name: next(
            (sp for sp in service_principals if sp["displayName"].endswith(job.app_name)), None
        )
        for job in _JOBS
    }
    events: list[Obj] = []
    for offset_ms in moments:
        job = _JOBS[below(rng, len(_JOBS))]
        user = users[below(rng, len(users))] if users else None
        when = DATA_END - timedelta(milliseconds=_SPAN_MS - offset_ms)
        cycle = _cycle_id(seed, job, offset_ms // _CYCLE_MS)
        events.append(_event(rng, cycle, job, sps.get(job.app_name), user, iso_millis(when)))
    return events


def _event(
    rng: random.Random, cycle: str, job: _Job, sp: Obj | None, user: Obj | None, when: str
) -> Obj:
    """One provisioningObjectSummary, its properties in the metadata's order (id first)."""
    action = _draw(rng, _ACTIONS)
    status = _draw(rng, (("success", 0.85), ("skipped", 0.08), ("failure", 0.07)))
    app = {"displayName": sp["displayName"] if sp else job.app_name, "id": sp["id"] if sp else ""}
    entra = {"displayName": _ENTRA, "id": TENANT_ID}
    source_system, target_system = (app, entra) if job.inbound else (entra, app)
    return {
        "id": guid(rng),
        "activityDateTime": when,
        "changeId": guid(rng),
        "cycleId": cycle,
        "durationInMilliseconds": 150 + below(rng, 4000),
        "initiatedBy": dict(_INITIATOR),
        "jobId": f"{job.template}.{app['id'].replace('-', '')}.{TENANT_ID.replace('-', '')}",
        "modifiedProperties": _modified(action, status, user),
        "provisioningAction": action,
        "provisioningStatusInfo": _status_info(rng, status),
        "provisioningSteps": _steps(action, status),
        "servicePrincipal": dict(app),
        "sourceIdentity": _identity(rng, job, user, source=True),
        "sourceSystem": {**source_system, "details": {}},
        "targetIdentity": _identity(rng, job, user, source=False),
        "targetSystem": {**target_system, "details": {}},
        "tenantId": TENANT_ID,
    }


def _draw(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    """One value of a (value, weight) table whose weights sum to 1."""
    point, total = rng.random(), 0.0
    for value, weight in weighted:
        total += weight
        if point < total:
            return value
    return weighted[-1][0]


def _cycle_id(seed: int, job: _Job, cycle: int) -> str:
    """The id of the job's ``cycle``-th run of the window: events of one cycle share it (a
    hash, so drawing it takes nothing from the seeded stream)."""
    h = hashlib.sha256(f"{seed}:{job.template}:cycle:{cycle}".encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"


def _identity(rng: random.Random, job: _Job, user: Obj | None, *, source: bool) -> Obj:
    """The provisioned identity on one side: the HR worker or the SCIM account for the
    tenant's user, or that user itself on Entra's side."""
    name = user["displayName"] if user else None
    in_entra = source != job.inbound
    if in_entra:
        ident, kind = (user["id"] if user else ""), "User"
    elif job.inbound:
        ident, kind = _worker_id(user), "Worker"
    else:
        ident, kind = guid(rng), _SCIM_USER
    return {"details": {}, "displayName": name, "id": ident, "identityType": kind}


def _worker_id(user: Obj | None) -> str:
    """The HR system's worker id: the user's employee id, else a stable six-digit number."""
    if user is None:
        return ""
    return user.get("employeeId") or str(100000 + int(user["id"][:8], 16) % 900000)


def _modified(action: str, status: str, user: Obj | None) -> list[dict[str, Any]]:
    """The attributes the change set: none on a skipped or failed one, or on ``other``."""
    if status != "success" or action == "other" or user is None:
        return []
    if action in {"disable", "delete"}:
        return [{"displayName": "accountEnabled", "oldValue": "True", "newValue": "False"}]
    old = None if action == "create" else ""
    return [
        {"displayName": "displayName", "oldValue": old, "newValue": user["displayName"]},
        {"displayName": "department", "oldValue": old, "newValue": user.get("department")},
        {"displayName": "jobTitle", "oldValue": old, "newValue": user.get("jobTitle")},
    ]


def _status_info(rng: random.Random, status: str) -> Obj:
    """The event's outcome, with Graph's error information when it was not a success."""
    if status == "success":
        return {"errorInformation": None, "status": status}
    if status == "skipped":
        code, category = "NotEffectivelyEntitled", "nonServiceFailure"
        reason = "The user is not assigned to the application, so it is out of scope."
        action = "Assign the user to the application if it should be provisioned."
    else:
        code, category, reason, action = _FAILURES[below(rng, len(_FAILURES))]
    information = {
        "additionalDetails": None,
        "errorCategory": category,
        "errorCode": code,
        "reason": reason,
        "recommendedAction": action,
    }
    return {"errorInformation": information, "status": status}


def _steps(action: str, status: str) -> list[Obj]:
    """The steps the service took: all of them, up to scoping for a skipped event, the last
    one failed for a failure."""
    shown = _STEPS[:2] if status == "skipped" else _STEPS
    steps = []
    for index, (kind, name, description) in enumerate(shown):
        last = index == len(shown) - 1
        step_status = status if last and status != "success" else "success"
        steps.append(
            {
                "description": description,
                "details": {},
                "name": name.format(verb=_VERBS.get(action, "Skip")),
                "provisioningStepType": kind,
                "status": step_status,
            }
        )
    return steps
