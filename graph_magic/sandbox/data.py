"""The sandbox tenant's data: a seeded, deterministic Contoso directory and its change log.

Everything derives from ``SandboxOptions`` (seed and sizes) with cheap arithmetic on one
``random.Random`` per collection, so 200,000 users generate in seconds and the same seed always
gives the same ids, names and dates. Timestamps end at the fixed :data:`DATA_END`, never "now",
so answers stay byte-identical from one day to the next. The tenant also keeps a change counter
per user, which delta queries read.
"""

from __future__ import annotations

import functools
import gc
import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from graph_magic.sandbox.options import SandboxOptions

DATA_END = datetime(2025, 6, 1, 0, 0, 0, tzinfo=UTC)
"""Logs and activity span the 30 days before this instant; creation dates lie further back."""

DOMAIN = "contoso.com"
INITIAL_DOMAIN = "contoso.onmicrosoft.com"
TENANT_ID = str(uuid.uuid5(uuid.NAMESPACE_DNS, INITIAL_DOMAIN))
"""The same tenant id sandbox-auth's tokens carry (derived from the initial domain)."""
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"

USER_DEFAULT = (
    "businessPhones",
    "displayName",
    "givenName",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
    "id",
)
"""What Graph returns for a user without $select, in Graph's order."""

USER_EXTRA = (
    "accountEnabled",
    "ageGroup",
    "city",
    "companyName",
    "country",
    "createdDateTime",
    "creationType",
    "deletedDateTime",
    "department",
    "employeeId",
    "employeeType",
    "externalUserState",
    "faxNumber",
    "identities",
    "imAddresses",
    "mailNickname",
    "onPremisesSyncEnabled",
    "otherMails",
    "postalCode",
    "proxyAddresses",
    "assignedLicenses",
    "assignedPlans",
    "showInAddressList",
    "signInActivity",
    "state",
    "streetAddress",
    "usageLocation",
    "userType",
)
USER_SINGLE_ONLY = (
    "aboutMe",
    "birthday",
    "hireDate",
    "interests",
    "mySite",
    "pastProjects",
    "preferredName",
    "responsibilities",
    "schools",
    "skills",
    "mailboxSettings",
)
"""Properties Graph returns only on a single user; on /users they answer 501."""

SKUS = (
    ("c7df2760-2c81-4ef7-b578-5b5392b571df", "ENTERPRISEPREMIUM", 120),
    ("05e9a617-0261-4cee-bb44-138d3ef5d965", "SPE_E3", 400),
    ("efccb6f7-5641-4e0e-bd10-b4976e1bf68e", "EMS", 300),
    ("f8a1db68-be16-40ed-86d5-cb42ce701560", "POWER_BI_PRO", 80),
    ("f30db892-07e9-47e9-837c-80727f46fd3d", "FLOW_FREE", 10000),
)

_GIVEN = [
    "Adele",
    "Alex",
    "Allan",
    "Ben",
    "Brian",
    "Carlos",
    "Chloe",
    "Christie",
    "Cameron",
    "Dana",
    "Debra",
    "Diego",
    "Elena",
    "Emily",
    "Enrico",
    "Fatima",
    "Gerhart",
    "Grady",
    "Hana",
    "Henrietta",
    "Irvin",
    "Isaiah",
    "Jasmine",
    "Johanna",
    "Joni",
    "Kai",
    "Keiko",
    "Lee",
    "Lidia",
    "Lynne",
    "Megan",
    "Miriam",
    "Nestor",
    "Nora",
    "Omar",
    "Patti",
    "Pradeep",
    "Priya",
    "Quinn",
    "Raul",
    "Rosa",
    "Sara",
    "Sanjay",
    "Stefan",
    "Tomas",
    "Uma",
    "Valentina",
    "Wanda",
    "Xavier",
    "Yuki",
    "Zrinka",
    "Aiko",
    "Bianca",
    "Dmitri",
    "Esther",
    "Farah",
    "Hiro",
    "Ingrid",
    "Jonas",
    "Leila",
    "Marco",
    "Nadia",
    "Oscar",
    "Paula",
    "Rafael",
    "Selma",
    "Teo",
    "Ulla",
    "Viktor",
    "Wei",
    "Yara",
    "Zane",
]
_SURNAMES = [
    "Vance",
    "Wilber",
    "Brown",
    "Bowen",
    "Adams",
    "Patel",
    "Garcia",
    "Nguyen",
    "Kim",
    "Lopez",
    "Muller",
    "Rossi",
    "Tanaka",
    "Smith",
    "Johnson",
    "Williams",
    "Jones",
    "Miller",
    "Davis",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Hill",
    "Green",
    "Baker",
    "Nelson",
    "Carter",
    "Mitchell",
    "Roberts",
    "Turner",
    "Phillips",
    "Campbell",
    "Parker",
    "Evans",
    "Edwards",
    "Collins",
    "Stewart",
    "Sanchez",
    "Morris",
    "Rogers",
    "Reed",
    "Cook",
    "Morgan",
    "Bell",
    "Murphy",
    "Bailey",
    "Rivera",
    "Cooper",
    "Richardson",
    "Cox",
    "Howard",
    "Ward",
    "Peterson",
    "Gray",
    "Ramirez",
    "James",
    "Watson",
    "Brooks",
    "Kelly",
    "Sanders",
    "Price",
]
_DEPARTMENTS = (
    ("Sales", ("Sales Representative", "Account Manager", "Sales Director")),
    ("Marketing", ("Marketing Manager", "Content Writer", "Brand Strategist")),
    ("Finance", ("Accountant", "Financial Analyst", "Finance VP")),
    ("Engineering", ("Software Engineer", "Senior Engineer", "Engineering Manager")),
    ("Human Resources", ("HR Generalist", "Recruiter", "HR Manager")),
    ("Retail", ("Retail Manager", "Store Associate", "Merchandiser")),
    ("Legal", ("Attorney", "Paralegal", "General Counsel")),
    ("IT", ("IT Admin", "Helpdesk Analyst", "Security Engineer")),
    ("Operations", ("Operations Analyst", "Logistics Coordinator", "Operations Director")),
)
_LOCATIONS = (
    ("US", "Redmond", "WA", "United States", "en-US", "+1 425 555 "),
    ("US", "New York", "NY", "United States", "en-US", "+1 212 555 "),
    ("GB", "London", None, "United Kingdom", "en-GB", "+44 20 7946 "),
    ("DE", "Munich", None, "Germany", "de-DE", "+49 89 555 "),
    ("FR", "Paris", None, "France", "fr-FR", "+33 1 55 "),
    ("NL", "Amsterdam", None, "Netherlands", "nl-NL", "+31 20 555 "),
    ("IN", "Bangalore", None, "India", "en-IN", "+91 80 5555 "),
    ("JP", "Tokyo", None, "Japan", "ja-JP", "+81 3 5555 "),
)
_GUEST_DOMAINS = ("fabrikam.com", "northwindtraders.com", "adatum.com", "tailspintoys.com")
_GROUP_TOPICS = (
    "Sales", "Marketing", "Finance", "Engineering", "HR", "Retail", "Legal", "IT", "Operations",
    "Golf Assist", "Mark 8 Project", "Leadership", "Digital Initiative", "Contoso Life",
    "Product Launch", "Security Champions", "Volunteers", "Book Club", "Design", "Support",
)  # fmt: skip
_APPS = (
    "Contoso HR Portal", "Expense Tracker", "Sales Dashboard", "Inventory Sync", "Graph Reporter",
    "Onboarding Bot", "Travel Booking", "Payroll Connector", "Ticketing", "Data Warehouse Loader",
    "Marketing Analytics", "Partner Portal",
)  # fmt: skip
_FIRST_PARTY = (
    (GRAPH_APP_ID, "Microsoft Graph"),
    ("00000002-0000-0ff1-ce00-000000000000", "Office 365 Exchange Online"),
    ("00000003-0000-0ff1-ce00-000000000000", "Office 365 SharePoint Online"),
    ("de8bc8b5-d9f9-48b1-a8ad-b748da725064", "Graph Explorer"),
)
_SIGNIN_APPS = (
    ("de8bc8b5-d9f9-48b1-a8ad-b748da725064", "Graph Explorer", "Browser"),
    ("1fec8e78-bce4-4aaf-ab1b-5451cc387264", "Microsoft Teams", "Mobile Apps and Desktop clients"),
    ("00000002-0000-0ff1-ce00-000000000000", "Office 365 Exchange Online", "Browser"),
    ("d3590ed6-52b3-4102-aeff-aad2292ab01c", "Microsoft Office", "Mobile Apps and Desktop clients"),
)
_OS = (
    ("Windows", "10.0.22631.3447", "Microsoft Corporation", "Surface Laptop 5"),
    ("Windows", "10.0.19045.4291", "Dell Inc.", "Latitude 7440"),
    ("MacMDM", "14.4.1", "Apple", "MacBook Pro"),
    ("iOS", "17.4.1", "Apple", "iPhone 15"),
    ("Android", "14.0", "Samsung", "Galaxy S24"),
)
_AUDITS = (
    ("UserManagement", "Add user", "Add", "User"),
    ("UserManagement", "Update user", "Update", "User"),
    ("GroupManagement", "Add member to group", "Assign", "Group"),
    ("GroupManagement", "Remove member from group", "Unassign", "Group"),
    ("ApplicationManagement", "Update application", "Update", "Application"),
    ("UserManagement", "Reset user password", "Update", "User"),
)


def iso(moment: datetime) -> str:
    """Graph's timestamp form for generated data: seconds precision, 'Z'."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


_END_TS = int(DATA_END.timestamp())


@functools.cache
def _times_of_day() -> tuple[str, ...]:
    """'HH:MM:SSZ' for every second of a day (built once per process, immutable)."""
    return tuple(
        f"{h:02d}:{m:02d}:{s:02d}Z" for h in range(24) for m in range(60) for s in range(60)
    )


class _Clockwork:
    """Formats 'seconds before DATA_END' as ISO text fast: a date string per day and a table of
    the day's 86,400 times, so a timestamp is two lookups (strftime per object was most of the
    cost of a 200,000-user tenant)."""

    def __init__(self) -> None:
        self._days: dict[int, str] = {}
        self._times = _times_of_day()

    def before_end(self, seconds: int) -> str:
        day, rest = divmod(_END_TS - seconds, 86400)
        text = self._days.get(day)
        if text is None:
            text = datetime.fromtimestamp(day * 86400, UTC).strftime("%Y-%m-%dT")
            self._days[day] = text
        return text + self._times[rest]


def _below(rng: random.Random, n: int) -> int:
    """A uniform int in [0, n): random() arithmetic, several times cheaper than randrange."""
    return int(rng.random() * n)


def _guid(rng: random.Random) -> str:
    """A random (version 4, variant 'a') GUID from the seeded generator."""
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"


_COLLECT_FROM = 20_000
"""From this many users, the one full collection that untracks the tenant happens at startup."""


class Tenant:
    """One seeded directory: users, groups, devices, apps, SKUs and audit logs, plus changes.

    Collections are plain lists of full objects (dicts, the stored shape, not a projection).
    Generated users hold tuples, not lists, and dicts of plain values: once the collector has
    seen them they are untracked, so a 200,000-user tenant does not slow every later full
    garbage collection (JSON writes tuples as arrays, filters read both alike);
    indexes by id and lower-case UPN make lookups O(1). ``version`` counts writes; delta reads
    ``changed_at`` (user id -> version of its last change) and ``removed`` (id -> version).
    """

    def __init__(self, options: SandboxOptions) -> None:
        self.options = options
        self.seed = options.seed
        self.tenant_id = TENANT_ID
        self.domain = DOMAIN
        self.initial_domain = INITIAL_DOMAIN
        self.version = 0
        self.changed_at: dict[str, int] = {}
        self.removed: dict[str, int] = {}
        self.users: list[dict[str, Any]] = []
        self.manager_of: dict[str, str] = {}
        self.member_of: dict[str, list[str]] = {}
        self.groups: list[dict[str, Any]] = []
        self.members: dict[str, list[str]] = {}
        self.devices: list[dict[str, Any]] = []
        self.device_owners: dict[str, list[str]] = {}
        self.applications: list[dict[str, Any]] = []
        self.service_principals: list[dict[str, Any]] = []
        self.subscribed_skus: list[dict[str, Any]] = []
        self.sign_ins: list[dict[str, Any]] = []
        self.directory_audits: list[dict[str, Any]] = []
        self._by_id: dict[str, dict[str, Any]] = {}
        self._by_upn: dict[str, dict[str, Any]] = {}
        collecting = gc.isenabled()
        gc.disable()  # generation only allocates; cycle collection would rescan it all repeatedly
        try:
            self._make_users(options.users)
            self._make_groups(options.groups)
            self._make_devices(options.devices)
            self._make_apps()
            self._make_skus()
            self._make_sign_ins(options.sign_ins)
            self._make_audits(options.directory_audits)
        finally:
            if collecting:
                gc.enable()
        if options.users >= _COLLECT_FROM:
            gc.collect()  # once now, untracking the atomic objects, rather than mid-request later

    # ----- lookups -------------------------------------------------------------------------

    def find_user(self, id_or_upn: str) -> dict[str, Any] | None:
        """The user with this object id or userPrincipalName (case-insensitive), or None."""
        found = self._by_id.get(id_or_upn)
        if found is not None and "userPrincipalName" in found:
            return found
        return self._by_upn.get(id_or_upn.lower())

    def find_object(self, object_id: str) -> dict[str, Any] | None:
        """Any directory object (user, group, device, application, servicePrincipal) by id."""
        return self._by_id.get(object_id)

    # ----- writes (used by writes.py) ---------------------------------------------------------

    def add_user(self, user: dict[str, Any]) -> None:
        """Store a new user and record the change for delta."""
        self.users.append(user)
        self._by_id[user["id"]] = user
        self._by_upn[user["userPrincipalName"].lower()] = user
        self.touch(user["id"])

    def rename_upn(self, user: dict[str, Any], new_upn: str) -> None:
        """Keep the UPN index right when a PATCH changes userPrincipalName."""
        self._by_upn.pop(user["userPrincipalName"].lower(), None)
        user["userPrincipalName"] = new_upn
        self._by_upn[new_upn.lower()] = user

    def remove_user(self, user: dict[str, Any]) -> None:
        """Delete a user (Graph's soft delete) and drop it from groups and manager links."""
        self.users.remove(user)
        self._by_id.pop(user["id"], None)
        self._by_upn.pop(user["userPrincipalName"].lower(), None)
        for group_id in self.member_of.pop(user["id"], []):
            self.members[group_id].remove(user["id"])
        self.manager_of.pop(user["id"], None)
        for report_id in [k for k, v in self.manager_of.items() if v == user["id"]]:
            del self.manager_of[report_id]
        self.version += 1
        self.changed_at.pop(user["id"], None)
        self.removed[user["id"]] = self.version

    def add_group(self, group: dict[str, Any]) -> None:
        """Store a new group, with no members yet."""
        self.groups.append(group)
        self._by_id[group["id"]] = group
        self.members[group["id"]] = []

    def remove_group(self, group: dict[str, Any]) -> None:
        """Delete a group: its members no longer list it in memberOf, and the groups it was a
        member of no longer list it in members."""
        group_id = group["id"]
        self.groups.remove(group)
        self._by_id.pop(group_id, None)
        for member_id in self.members.pop(group_id, []):
            self._leave(member_id, group_id)
        self._unlink(group_id)

    def remove_device(self, device: dict[str, Any]) -> None:
        """Delete a device, with its registered owners and any group membership."""
        self.devices.remove(device)
        self._by_id.pop(device["id"], None)
        self.device_owners.pop(device["id"], None)
        self._unlink(device["id"])

    def add_member(self, group_id: str, member_id: str) -> None:
        """Make ``member_id`` a direct member of ``group_id`` (members and memberOf alike)."""
        self.members.setdefault(group_id, []).append(member_id)
        self.member_of[member_id] = (*self.member_of.get(member_id, ()), group_id)

    def remove_member(self, group_id: str, member_id: str) -> None:
        """Take ``member_id`` out of ``group_id``'s direct members (members and memberOf)."""
        self.members[group_id].remove(member_id)
        self._leave(member_id, group_id)

    def _leave(self, member_id: str, group_id: str) -> None:
        """The memberOf side of a removed membership (kept as a tuple, like generated ones)."""
        rest = tuple(g for g in self.member_of.get(member_id, ()) if g != group_id)
        if rest:
            self.member_of[member_id] = rest
        else:
            self.member_of.pop(member_id, None)

    def _unlink(self, object_id: str) -> None:
        """Take a deleted object out of every group it was a direct member of."""
        for group_id in self.member_of.pop(object_id, ()):
            self.members[group_id].remove(object_id)

    def touch(self, object_id: str) -> None:
        """Record that an object changed now (delta returns it after older tokens)."""
        self.version += 1
        self.changed_at[object_id] = self.version

    # ----- generation -------------------------------------------------------------------------

    def _index(self, obj: dict[str, Any]) -> None:
        self._by_id[obj["id"]] = obj

    def _make_users(self, count: int) -> None:
        rng = random.Random(f"{self.seed}:users")
        nick_seen: dict[str, int] = {}
        clock = _Clockwork()
        rnd = rng.random
        template: dict[str, Any] = dict.fromkeys(USER_DEFAULT + USER_EXTRA)
        template["assignedPlans"] = ()

        def _pick(n: int) -> int:
            return int(rnd() * n)

        n_given, n_sur = len(_GIVEN), len(_SURNAMES)
        skus = [s[0] for s in SKUS]
        for index in range(count):
            given = _GIVEN[_pick(n_given)]
            surname = _SURNAMES[_pick(n_sur)]
            guest = index > 0 and rnd() < 0.04
            dept, titles = _DEPARTMENTS[_pick(len(_DEPARTMENTS))]
            loc = _LOCATIONS[_pick(len(_LOCATIONS))]
            user_id = _guid(rng)
            created = _pick(5 * 365 * 86400)
            nick = f"{given}{surname[0]}"
            seen = nick_seen.get(nick.lower(), 0)
            nick_seen[nick.lower()] = seen + 1
            if seen:
                nick = f"{nick}{seen + 1}"
            phone = f"{loc[5]}{_pick(10000):04d}"
            if guest:
                ext = _GUEST_DOMAINS[_pick(len(_GUEST_DOMAINS))]
                mail = f"{nick.lower()}@{ext}"
                upn = f"{nick.lower()}_{ext}#EXT#@{INITIAL_DOMAIN}"
                usage, licenses, job, department = None, (), None, None
            else:
                mail = upn = f"{nick}@{DOMAIN}"
                usage = None if rnd() < 0.08 else loc[0]
                job, department = titles[_pick(3)], dept
                licenses = ()
                if usage is not None:
                    licenses = ({"disabledPlans": (), "skuId": skus[_pick(3)]},)
                    if rnd() < 0.3:
                        licenses += ({"disabledPlans": (), "skuId": skus[3 + _pick(2)]},)
            enabled = rnd() >= 0.06
            last_sign_in = _pick(60 * 86400) + 3 * 3600
            user = template.copy()  # copying a same-keyed dict is far cheaper than a literal
            user["displayName"] = f"{given} {surname}"
            user["givenName"] = given
            user["surname"] = surname
            user["mail"] = mail
            user["userPrincipalName"] = upn
            user["id"] = user_id
            user["accountEnabled"] = enabled
            user["assignedLicenses"] = licenses
            user["createdDateTime"] = clock.before_end(created)
            user["identities"] = (
                {
                    "signInType": "userPrincipalName",
                    "issuer": INITIAL_DOMAIN,
                    "issuerAssignedId": upn,
                },
            )
            user["signInActivity"] = {
                "lastSignInDateTime": clock.before_end(last_sign_in),
                "lastNonInteractiveSignInDateTime": clock.before_end(last_sign_in - 3 * 3600),
            }
            user["usageLocation"] = usage
            if guest:
                user["businessPhones"] = ()
                user["creationType"] = "Invitation"
                user["externalUserState"] = "Accepted"
                user["imAddresses"] = ()
                user["mailNickname"] = upn.split("#")[0]
                user["otherMails"] = (mail,)
                user["proxyAddresses"] = ()
                user["userType"] = "Guest"
            else:
                user["businessPhones"] = (phone,)
                user["jobTitle"] = job
                user["mobilePhone"] = None if rnd() < 0.5 else phone
                user["officeLocation"] = f"{1 + _pick(39)}/{1000 + _pick(2000)}"
                user["preferredLanguage"] = loc[4]
                user["city"] = loc[1]
                user["companyName"] = "Contoso"
                user["country"] = loc[3]
                user["department"] = department
                user["employeeId"] = f"{100000 + index}"
                user["employeeType"] = "Employee"
                user["imAddresses"] = (upn.lower(),)
                user["mailNickname"] = nick.lower()
                user["otherMails"] = ()
                user["proxyAddresses"] = (f"SMTP:{mail}", f"smtp:{nick}@{INITIAL_DOMAIN}")
                user["state"] = loc[2]
                user["userType"] = "Member"
            self.users.append(user)
            self._by_id[user_id] = user
            self._by_upn[upn.lower()] = user
            if index > 0 and not guest:
                self.manager_of[user_id] = self.users[(index - 1) // 8]["id"]
        guests = {u["id"] for u in self.users if u["userType"] == "Guest"}
        for user_id in [k for k, v in self.manager_of.items() if v in guests]:
            del self.manager_of[user_id]  # a guest never manages anyone

    def _make_groups(self, count: int) -> None:
        rng = random.Random(f"{self.seed}:groups")
        user_ids = [u["id"] for u in self.users]
        for index in range(count):
            topic = _GROUP_TOPICS[index % len(_GROUP_TOPICS)]
            unified = index % 3 != 2
            name = (
                topic
                if index < len(_GROUP_TOPICS)
                else f"{topic} {index // len(_GROUP_TOPICS) + 1}"
            )
            if not unified:
                name = f"{name} Security"
            nick = "".join(ch for ch in name.lower() if ch.isalnum())
            group_id = _guid(rng)
            created = iso(DATA_END - timedelta(seconds=rng.randrange(4 * 365 * 86400)))
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
            self.groups.append(group)
            self._index(group)
            size = min(len(user_ids), 3 + rng.randrange(60))
            members = rng.sample(user_ids, size) if user_ids else []
            if index > 2 and rng.random() < 0.2:
                members.append(self.groups[rng.randrange(index)]["id"])
            self.members[group_id] = members
            for member in members:
                self.member_of.setdefault(member, []).append(group_id)
        for user_id, groups in self.member_of.items():
            self.member_of[user_id] = tuple(groups)  # untrackable, like the users

    def _make_devices(self, count: int) -> None:
        rng = random.Random(f"{self.seed}:devices")
        for index in range(count):
            os_name, os_version, maker, model = _OS[rng.randrange(len(_OS))]
            device_id = _guid(rng)
            prefix = {"Windows": "DESKTOP", "MacMDM": "MAC", "iOS": "IPHONE"}.get(
                os_name, "ANDROID"
            )
            device = {
                "id": device_id,
                "deviceId": _guid(rng),
                "displayName": f"{prefix}-{rng.getrandbits(28):07X}",
                "accountEnabled": rng.random() >= 0.05,
                "operatingSystem": os_name,
                "operatingSystemVersion": os_version,
                "trustType": "AzureAd" if os_name == "Windows" else "Workplace",
                "profileType": "RegisteredDevice",
                "isCompliant": rng.random() >= 0.15,
                "isManaged": rng.random() >= 0.1,
                "manufacturer": maker,
                "model": model,
                "approximateLastSignInDateTime": iso(
                    DATA_END - timedelta(seconds=rng.randrange(45 * 86400))
                ),
                "registrationDateTime": iso(
                    DATA_END - timedelta(seconds=rng.randrange(3 * 365 * 86400))
                ),
                "onPremisesSyncEnabled": None,
                "onPremisesLastSyncDateTime": None,
                "physicalIds": [],
                "systemLabels": [],
                "extensionAttributes": {
                    "extensionAttribute1": "BYOD-Device" if index % 5 == 0 else None,
                    "extensionAttribute2": None,
                },
            }
            self.devices.append(device)
            self._index(device)
            if self.users:
                self.device_owners[device_id] = [self.users[rng.randrange(len(self.users))]["id"]]

    def _make_apps(self) -> None:
        rng = random.Random(f"{self.seed}:apps")
        for name in _APPS:
            app_id = _guid(rng)
            app = {
                "id": _guid(rng),
                "appId": app_id,
                "displayName": name,
                "createdDateTime": iso(
                    DATA_END - timedelta(seconds=rng.randrange(3 * 365 * 86400))
                ),
                "deletedDateTime": None,
                "signInAudience": "AzureADMyOrg",
                "publisherDomain": DOMAIN,
                "identifierUris": [],
                "tags": [],
                "keyCredentials": [],
                "passwordCredentials": [],
                "requiredResourceAccess": [
                    {
                        "resourceAppId": GRAPH_APP_ID,
                        "resourceAccess": [
                            {"id": "e1fe6dd8-ba31-4d61-89e7-88639da4683d", "type": "Scope"}
                        ],
                    }
                ],
                "web": {"redirectUris": [], "homePageUrl": None, "logoutUrl": None},
                "appRoles": [],
                "publicClient": {"redirectUris": []},
            }
            self.applications.append(app)
            self._index(app)
            self._add_service_principal(rng, app_id, name, TENANT_ID)
        for app_id, name in _FIRST_PARTY:
            self._add_service_principal(rng, app_id, name, "f8cdef31-a31e-4b4a-93e4-5f571e91255a")

    def _add_service_principal(
        self, rng: random.Random, app_id: str, name: str, owner: str
    ) -> None:
        sp = {
            "id": _guid(rng),
            "appId": app_id,
            "displayName": name,
            "appDisplayName": name,
            "accountEnabled": True,
            "appOwnerOrganizationId": owner,
            "appRoleAssignmentRequired": False,
            "servicePrincipalType": "Application",
            "signInAudience": "AzureADMyOrg" if owner == TENANT_ID else "AzureADMultipleOrgs",
            "servicePrincipalNames": [app_id],
            "tags": [],
            "replyUrls": [],
            "keyCredentials": [],
            "passwordCredentials": [],
            "appRoles": [],
            "oauth2PermissionScopes": [],
        }
        self.service_principals.append(sp)
        self._index(sp)

    def _make_skus(self) -> None:
        consumed: dict[str, int] = {}
        for user in self.users:
            for lic in user["assignedLicenses"]:
                consumed[lic["skuId"]] = consumed.get(lic["skuId"], 0) + 1
        rng = random.Random(f"{self.seed}:skus")
        for sku_id, part, units in SKUS:
            used = consumed.get(sku_id, 0)
            self.subscribed_skus.append(
                {
                    "accountName": "Contoso",
                    "accountId": TENANT_ID,
                    "appliesTo": "User",
                    "capabilityStatus": "Enabled",
                    "consumedUnits": used,
                    "id": f"{TENANT_ID}_{sku_id}",
                    "prepaidUnits": {
                        "enabled": max(units, used + 5),
                        "lockedOut": 0,
                        "suspended": 0,
                        "warning": 0,
                    },
                    "servicePlans": [],
                    "skuId": sku_id,
                    "skuPartNumber": part,
                    "subscriptionIds": [_guid(rng)],
                }
            )

    def _make_sign_ins(self, count: int) -> None:
        rng = random.Random(f"{self.seed}:signins")
        span = 30 * 86400
        moments = sorted((rng.randrange(span * 1000) for _ in range(count)), reverse=True)
        for offset_ms in moments:
            user = self.users[rng.randrange(len(self.users))] if self.users else None
            app_id, app_name, client = _SIGNIN_APPS[rng.randrange(len(_SIGNIN_APPS))]
            loc = _LOCATIONS[rng.randrange(len(_LOCATIONS))]
            failed = rng.random() < 0.1
            when = DATA_END - timedelta(milliseconds=span * 1000 - offset_ms)
            self.sign_ins.append(
                {
                    "id": _guid(rng),
                    "createdDateTime": when.strftime("%Y-%m-%dT%H:%M:%S.")
                    + f"{when.microsecond // 1000:03d}Z",
                    "userDisplayName": user["displayName"] if user else None,
                    "userPrincipalName": user["userPrincipalName"] if user else None,
                    "userId": user["id"] if user else None,
                    "appId": app_id,
                    "appDisplayName": app_name,
                    "ipAddress": f"203.0.113.{rng.randrange(1, 255)}",
                    "clientAppUsed": client,
                    "correlationId": _guid(rng),
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

    def _make_audits(self, count: int) -> None:
        rng = random.Random(f"{self.seed}:audits")
        span = 30 * 86400
        moments = sorted((rng.randrange(span * 1000) for _ in range(count)), reverse=True)
        for offset_ms in moments:
            category, activity, operation, target_type = _AUDITS[rng.randrange(len(_AUDITS))]
            actor = self.users[rng.randrange(len(self.users))] if self.users else None
            if target_type == "Group" and self.groups:
                target = self.groups[rng.randrange(len(self.groups))]
            elif target_type == "Application" and self.applications:
                target = self.applications[rng.randrange(len(self.applications))]
            else:
                target = self.users[rng.randrange(len(self.users))] if self.users else None
            correlation = _guid(rng)
            when = DATA_END - timedelta(milliseconds=span * 1000 - offset_ms)
            self.directory_audits.append(
                {
                    "id": f"Directory_{correlation}_{rng.getrandbits(20):05X}_{1 + _below(rng, 8)}",
                    "category": category,
                    "correlationId": correlation,
                    "result": "success",
                    "resultReason": "",
                    "activityDisplayName": activity,
                    "activityDateTime": when.strftime("%Y-%m-%dT%H:%M:%S.")
                    + f"{when.microsecond // 1000:03d}Z",
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
                            "userPrincipalName": target.get("userPrincipalName")
                            if target
                            else None,
                            "modifiedProperties": [],
                        }
                    ],
                    "additionalDetails": [],
                }
            )
