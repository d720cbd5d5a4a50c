"""The seeded MFA registration report: one userRegistrationDetails per user.

Drawn from the ``{seed}:mfa`` stream: most members registered a method strong enough for MFA,
admins about as often (not all of them: that is the finding an analyst looks for), guests
seldom. ``isMfaRegistered``, SSPR, passwordless and the preferred method follow from the
registered methods, as Graph derives them.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from itertools import accumulate

from graph_magic.sandbox._clock import Clockwork
from graph_magic.sandbox.tenant._seeded import Obj
from graph_magic.sandbox.tenant.security_tables import (
    MFA_METHODS,
    PASSWORDLESS,
    SECONDARY_PREFERENCE,
)

REGISTRATION_PROPERTIES = (
    "id", "userPrincipalName", "userDisplayName", "userType", "isAdmin", "isSsprRegistered",
    "isSsprEnabled", "isSsprCapable", "isMfaRegistered", "isMfaCapable", "isPasswordlessCapable",
    "methodsRegistered", "isSystemPreferredAuthenticationMethodEnabled",
    "systemPreferredAuthenticationMethods", "userPreferredMethodForSecondaryAuthentication",
    "lastUpdatedDateTime",
)  # fmt: skip
"""userRegistrationDetails' properties in Graph's order (the routes know them before the
report is drawn)."""


def make_registration_details(seed: int, users: list[Obj], admins: set[str]) -> list[Obj]:
    """One userRegistrationDetails per user: most members registered MFA, admins a little more
    often (not all: that is the finding), guests seldom."""
    registrar = _Registrar(seed)
    return [registrar.details(user, user["id"] in admins) for user in users]


_FIRST_METHOD_ODDS = tuple(accumulate((55, 10, 18, 10, 4, 3)))
"""Cumulative odds (of 100) of each MFA method being a user's first: the Authenticator app most."""


class _Registrar:
    """Draws each user's registered methods from the ``{seed}:mfa`` stream. What a set of
    methods implies (MFA, SSPR, passwordless, preferred method) is worked out once per set:
    a large tenant has few distinct sets, and a 200,000-user tenant would otherwise spend
    seconds here."""

    def __init__(self, seed: int) -> None:
        self.rnd = random.Random(f"{seed}:mfa").random
        self.clock = Clockwork()
        self.implied: dict[tuple[tuple[str, ...], bool], Obj] = {}

    def details(self, user: Obj, admin: bool) -> Obj:
        """The user's registration details, in Graph's property order."""
        rnd = self.rnd
        guest = user["userType"] == "Guest"
        methods = self._mfa_methods() if rnd() < (0.3 if guest else 0.86 if admin else 0.78) else ()
        if rnd() < (0.2 if guest else 0.5):
            methods += ("email",)
        out = {
            "id": user["id"],
            "userPrincipalName": user["userPrincipalName"],
            "userDisplayName": user["displayName"],
            "userType": "guest" if guest else "member",
            "isAdmin": admin,
        }
        implied = self.implied.get((methods, guest))
        if implied is None:
            implied = self.implied[(methods, guest)] = _implied(methods, guest)
        out.update(implied)
        out["lastUpdatedDateTime"] = self.clock.before_end(int(rnd() * 400 * 86400))
        return out

    def _mfa_methods(self) -> tuple[str, ...]:
        """One to three MFA methods."""
        rnd = self.rnd
        methods = (MFA_METHODS[bisect_right(_FIRST_METHOD_ODDS, rnd() * 100)][0],)
        for extra in ("mobilePhone", "softwareOneTimePasscode"):
            if rnd() < 0.3 and extra not in methods:
                methods += (extra,)
        return methods


def _implied(methods: tuple[str, ...], guest: bool) -> Obj:
    """What registering ``methods`` means for MFA, SSPR and passwordless sign-in."""
    strong = [m for m in methods if m != "email"]
    preferred = [p for m, p in MFA_METHODS if m in strong and p is not None]
    return {
        "isSsprRegistered": bool(methods),
        "isSsprEnabled": not guest,
        "isSsprCapable": not guest and bool(methods),
        "isMfaRegistered": bool(strong),
        "isMfaCapable": bool(strong),
        "isPasswordlessCapable": any(m in PASSWORDLESS for m in strong),
        "methodsRegistered": methods,
        "isSystemPreferredAuthenticationMethodEnabled": True,
        "systemPreferredAuthenticationMethods": tuple(preferred[:1]),
        "userPreferredMethodForSecondaryAuthentication": next(
            (SECONDARY_PREFERENCE[m] for m in strong if m in SECONDARY_PREFERENCE), "none"
        ),
    }
