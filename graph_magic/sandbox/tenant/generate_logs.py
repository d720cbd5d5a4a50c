"""Seeded audit logs: sign-ins and directory audits over the 30 days before DATA_END."""

from __future__ import annotations

import random
from datetime import timedelta

from graph_magic.sandbox._clock import DATA_END, iso_millis
from graph_magic.sandbox.tenant._seeded import Obj, below, guid
from graph_magic.sandbox.tenant.constants import GRAPH_APP_ID
from graph_magic.sandbox.tenant.names import AUDITS, LOCATIONS, SIGNIN_APPS


def make_sign_ins(seed: int, count: int, users: list[Obj]) -> list[Obj]:
    """``count`` sign-ins over the 30 days before DATA_END, newest first."""
    sign_ins: list[Obj] = []
    rng = random.Random(f"{seed}:signins")
    span = 30 * 86400
    moments = sorted((rng.randrange(span * 1000) for _ in range(count)), reverse=True)
    for offset_ms in moments:
        user = users[rng.randrange(len(users))] if users else None
        app_id, app_name, client = SIGNIN_APPS[rng.randrange(len(SIGNIN_APPS))]
        loc = LOCATIONS[rng.randrange(len(LOCATIONS))]
        failed = rng.random() < 0.1
        when = DATA_END - timedelta(milliseconds=span * 1000 - offset_ms)
        sign_ins.append(
            {
                "id": guid(rng),
                "createdDateTime": iso_millis(when),
                "userDisplayName": user["displayName"] if user else None,
                "userPrincipalName": user["userPrincipalName"] if user else None,
                "userId": user["id"] if user else None,
                "appId": app_id,
                "appDisplayName": app_name,
                "ipAddress": f"203.0.113.{rng.randrange(1, 255)}",
                "clientAppUsed": client,
                "correlationId": guid(rng),
                "conditionalAccessStatus": "success" if rng.random() < 0.7 else "notApplied",
                "isInteractive": rng.random() < 0.8,
                "riskDetail": "none",
                "riskLevelAggregated": "none",
                "riskLevelDuringSignIn": "none",
                "riskState": "none",
                "riskEventTypes": [],
                "resourceDisplayName": "Microsoft Graph",
                "resourceId": GRAPH_APP_ID,
                "status": {
                    "errorCode": 50126 if failed else 0,
                    "failureReason": "Error validating credentials due to invalid username or "
                    "password."
                    if failed
                    else None,
                    "additionalDetails": None,
                },
                "deviceDetail": {
                    "deviceId": "",
                    "displayName": None,
                    "operatingSystem": "Windows 10",
                    "browser": "Edge 124.0.0",
                    "isCompliant": None,
                    "isManaged": None,
                    "trustType": None,
                },
                "location": {
                    "city": loc[1],
                    "state": loc[2],
                    "countryOrRegion": loc[0],
                    "geoCoordinates": None,
                },
                "appliedConditionalAccessPolicies": [],
            }
        )
    return sign_ins


def make_audits(
    seed: int, count: int, users: list[Obj], groups: list[Obj], applications: list[Obj]
) -> list[Obj]:
    """``count`` directory audits over the 30 days before DATA_END, newest first."""
    audits: list[Obj] = []
    rng = random.Random(f"{seed}:audits")
    span = 30 * 86400
    moments = sorted((rng.randrange(span * 1000) for _ in range(count)), reverse=True)
    for offset_ms in moments:
        category, activity, operation, target_type = AUDITS[rng.randrange(len(AUDITS))]
        actor = users[rng.randrange(len(users))] if users else None
        if target_type == "Group" and groups:
            target = groups[rng.randrange(len(groups))]
        elif target_type == "Application" and applications:
            target = applications[rng.randrange(len(applications))]
        else:
            target = users[rng.randrange(len(users))] if users else None
        correlation = guid(rng)
        when = DATA_END - timedelta(milliseconds=span * 1000 - offset_ms)
        audits.append(
            {
                "id": f"Directory_{correlation}_{rng.getrandbits(20):05X}_{1 + below(rng, 8)}",
                "category": category,
                "correlationId": correlation,
                "result": "success",
                "resultReason": "",
                "activityDisplayName": activity,
                "activityDateTime": iso_millis(when),
                "loggedByService": "Core Directory",
                "operationType": operation,
                "initiatedBy": {
                    "user": {
                        "id": actor["id"],
                        "displayName": None,
                        "userPrincipalName": actor["userPrincipalName"],
                        "ipAddress": None,
                    }
                    if actor
                    else None,
                    "app": None,
                },
                "targetResources": [
                    {
                        "id": target["id"] if target else None,
                        "displayName": target["displayName"] if target else None,
                        "type": target_type,
                        "userPrincipalName": target.get("userPrincipalName") if target else None,
                        "modifiedProperties": [],
                    }
                ],
                "additionalDetails": [],
            }
        )
    return audits
