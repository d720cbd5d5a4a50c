"""The seeded generator of users and groups: one ``random.Random`` per collection, so a seed
gives one tenant (``builders.py`` says which generator makes which collection, from what).

Everything derives from the seed and sizes with cheap arithmetic, so 200,000 users generate
in seconds and the same seed always gives the same ids, names and dates.
Timestamps end at the fixed ``DATA_END``, never "now". The draw order within each collection
is the data's identity: reordering draws changes every later value.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from graph_magic.sandbox._clock import DATA_END, Clockwork, iso_z
from graph_magic.sandbox.tenant._seeded import Links, Obj, guid
from graph_magic.sandbox.tenant.constants import DOMAIN, INITIAL_DOMAIN
from graph_magic.sandbox.tenant.names import (
    DEPARTMENTS,
    GIVEN_NAMES,
    GROUP_TOPICS,
    GUEST_DOMAINS,
    LOCATIONS,
    SKUS,
    SURNAMES,
)
from graph_magic.sandbox.tenant.schema import USER_DEFAULT, USER_EXTRA


def make_users(seed: int, count: int) -> tuple[list[Obj], dict[str, str]]:
    """``count`` users and their managers (user id -> manager id; a guest manages no one).

    Generated users hold tuples, not lists, and dicts of plain values, so once the collector
    has seen them they are untracked and a 200,000-user tenant does not slow later collections.
    """
    maker = _UserMaker(seed)
    users: list[Obj] = []
    manager_of: dict[str, str] = {}
    for index in range(count):
        user = maker.user(index)
        users.append(user)
        if index > 0 and user["userType"] != "Guest":
            manager_of[user["id"]] = users[(index - 1) // 8]["id"]
    guests = {u["id"] for u in users if u["userType"] == "Guest"}
    for user_id in [k for k, v in manager_of.items() if v in guests]:
        del manager_of[user_id]  # a guest never manages anyone
    return users, manager_of


class _UserMaker:
    """Draws one user after another from the users' seeded stream (in a fixed draw order)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(f"{seed}:users")
        self.rnd = self.rng.random
        self.clock = Clockwork()
        self.nick_seen: dict[str, int] = {}
        self.skus = [s[0] for s in SKUS]
        self.template: Obj = dict.fromkeys(USER_DEFAULT + USER_EXTRA)
        self.template["assignedPlans"] = ()

    def pick(self, n: int) -> int:
        """A uniform int in [0, n) from the users' stream: ``below`` on a bound ``random``,
        since each user draws about fifteen times (the hot path of a large tenant)."""
        return int(self.rnd() * n)

    def user(self, index: int) -> Obj:
        """The next user: name and place, then sign-in identity, then member or guest fields."""
        pick = self.pick
        given = GIVEN_NAMES[pick(len(GIVEN_NAMES))]
        surname = SURNAMES[pick(len(SURNAMES))]
        guest = index > 0 and self.rnd() < 0.04
        dept, titles = DEPARTMENTS[pick(len(DEPARTMENTS))]
        loc = LOCATIONS[pick(len(LOCATIONS))]
        user_id = guid(self.rng)
        created = pick(5 * 365 * 86400)
        nick = self._nick(f"{given}{surname[0]}")
        phone = f"{loc[5]}{pick(10000):04d}"
        user = self.template.copy()  # copying a same-keyed dict is far cheaper than a literal
        user["displayName"] = f"{given} {surname}"
        user["givenName"] = given
        user["surname"] = surname
        user["id"] = user_id
        if guest:
            self._guest_address(user, nick)
        else:
            self._member_work(user, nick, loc, dept, titles)
        self._sign_in(user, created)
        if guest:
            self._guest_fields(user)
        else:
            self._member_fields(user, index, nick, loc, phone)
        return user

    def _nick(self, nick: str) -> str:
        seen = self.nick_seen.get(nick.lower(), 0)
        self.nick_seen[nick.lower()] = seen + 1
        return f"{nick}{seen + 1}" if seen else nick

    def _guest_address(self, user: Obj, nick: str) -> None:
        ext = GUEST_DOMAINS[self.pick(len(GUEST_DOMAINS))]
        user["mail"] = f"{nick.lower()}@{ext}"
        user["userPrincipalName"] = f"{nick.lower()}_{ext}#EXT#@{INITIAL_DOMAIN}"
        user["assignedLicenses"] = ()

    def _member_work(
        self, user: Obj, nick: str, loc: tuple[Any, ...], dept: str, titles: tuple[str, ...]
    ) -> None:
        """Address, usage location, job and licenses (a member without a location has none)."""
        pick = self.pick
        user["mail"] = user["userPrincipalName"] = f"{nick}@{DOMAIN}"
        usage = None if self.rnd() < 0.08 else loc[0]
        user["jobTitle"], user["department"] = titles[pick(3)], dept
        licenses: tuple[Obj, ...] = ()
        if usage is not None:
            licenses = ({"disabledPlans": (), "skuId": self.skus[pick(3)]},)
            if self.rnd() < 0.3:
                licenses += ({"disabledPlans": (), "skuId": self.skus[3 + pick(2)]},)
        user["usageLocation"] = usage
        user["assignedLicenses"] = licenses

    def _sign_in(self, user: Obj, created: int) -> None:
        """Whether the account is enabled, when it was created, how and when it signs in."""
        clock = self.clock
        user["accountEnabled"] = self.rnd() >= 0.06
        last_sign_in = self.pick(60 * 86400) + 3 * 3600
        user["createdDateTime"] = clock.before_end(created)
        user["identities"] = (
            {
                "signInType": "userPrincipalName",
                "issuer": INITIAL_DOMAIN,
                "issuerAssignedId": user["userPrincipalName"],
            },
        )
        user["signInActivity"] = {
            "lastSignInDateTime": clock.before_end(last_sign_in),
            "lastNonInteractiveSignInDateTime": clock.before_end(last_sign_in - 3 * 3600),
        }

    def _guest_fields(self, user: Obj) -> None:
        user["businessPhones"] = ()
        user["creationType"] = "Invitation"
        user["externalUserState"] = "Accepted"
        user["imAddresses"] = ()
        user["mailNickname"] = user["userPrincipalName"].split("#")[0]
        user["otherMails"] = (user["mail"],)
        user["proxyAddresses"] = ()
        user["userType"] = "Guest"

    def _member_fields(
        self, user: Obj, index: int, nick: str, loc: tuple[Any, ...], phone: str
    ) -> None:
        """Phones, office, language, place and addresses of a member."""
        pick = self.pick
        upn = user["userPrincipalName"]
        user["businessPhones"] = (phone,)
        user["mobilePhone"] = None if self.rnd() < 0.5 else phone
        user["officeLocation"] = f"{1 + pick(39)}/{1000 + pick(2000)}"
        user["preferredLanguage"] = loc[4]
        user["city"] = loc[1]
        user["companyName"] = "Contoso"
        user["country"] = loc[3]
        user["employeeId"] = f"{100000 + index}"
        user["employeeType"] = "Employee"
        user["imAddresses"] = (upn.lower(),)
        user["mailNickname"] = nick.lower()
        user["otherMails"] = ()
        user["proxyAddresses"] = (f"SMTP:{user['mail']}", f"smtp:{nick}@{INITIAL_DOMAIN}")
        user["state"] = loc[2]
        user["userType"] = "Member"


def make_groups(seed: int, count: int, users: list[Obj]) -> tuple[list[Obj], Links, Links]:
    """``count`` groups with members drawn from ``users`` (and, now and then, an older group):
    (groups, members by group id, memberOf by member id)."""
    groups: list[Obj] = []
    by_group: Links = {}
    member_of: Links = {}
    rng = random.Random(f"{seed}:groups")
    user_ids = [u["id"] for u in users]
    for index in range(count):
        topic = GROUP_TOPICS[index % len(GROUP_TOPICS)]
        unified = index % 3 != 2
        name = topic if index < len(GROUP_TOPICS) else f"{topic} {index // len(GROUP_TOPICS) + 1}"
        if not unified:
            name = f"{name} Security"
        nick = "".join(ch for ch in name.lower() if ch.isalnum())
        group_id = guid(rng)
        created = iso_z(DATA_END - timedelta(seconds=rng.randrange(4 * 365 * 86400)))
        mail = f"{nick}@{DOMAIN}" if unified else None
        group = {
            "id": group_id,
            "deletedDateTime": None,
            "classification": None,
            "createdDateTime": created,
            "description": f"{name} team" if unified else f"Security group for {name}",
            "displayName": name,
            "expirationDateTime": None,
            "groupTypes": ["Unified"] if unified else [],
            "isAssignableToRole": None,
            "mail": mail,
            "mailEnabled": unified,
            "mailNickname": nick,
            "membershipRule": None,
            "membershipRuleProcessingState": None,
            "onPremisesLastSyncDateTime": None,
            "onPremisesSecurityIdentifier": None,
            "onPremisesSyncEnabled": None,
            "preferredDataLocation": None,
            "preferredLanguage": None,
            "proxyAddresses": [f"SMTP:{mail}", f"smtp:{nick}@{INITIAL_DOMAIN}"] if mail else [],
            "renewedDateTime": created,
            "resourceBehaviorOptions": [],
            "resourceProvisioningOptions": [],
            "securityEnabled": not unified,
            "securityIdentifier": f"S-1-12-1-{rng.getrandbits(31)}-{rng.getrandbits(31)}",
            "theme": None,
            "visibility": "Public" if unified else None,
            "onPremisesProvisioningErrors": [],
        }
        groups.append(group)
        size = min(len(user_ids), 3 + rng.randrange(60))
        members = rng.sample(user_ids, size) if user_ids else []
        if index > 2 and rng.random() < 0.2:
            members.append(groups[rng.randrange(index)]["id"])
        by_group[group_id] = members
        for member in members:
            member_of.setdefault(member, []).append(group_id)
    for member, ids in member_of.items():
        member_of[member] = tuple(ids)  # untrackable, like the users
    return groups, by_group, member_of
