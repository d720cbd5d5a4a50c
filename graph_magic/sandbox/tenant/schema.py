"""The entity schema: each type's properties, Graph's default set and its query rules.

:class:`EntitySpec` says how Graph serves one entity type (default properties, page sizes, which
filters and sorts need advanced query); the user's lists are fixed here, the other types' specs
are read from generated objects by the OData engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import graph_magic.sandbox.graph_errors as ge
from graph_magic.sandbox.graph_errors import bad_request

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
    "externalUserStateChangeDateTime",
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


@dataclass(frozen=True)
class EntitySpec:
    """How Graph serves one entity type: properties, page sizes and query rules."""

    name: str
    type_name: str
    properties: tuple[str, ...]
    default: tuple[str, ...]
    directory: bool = True
    default_top: int = 100
    max_top: int = 999
    orderby_default: frozenset[str] = frozenset()
    filter_advanced_only: frozenset[str] = frozenset()
    filter_unsupported: frozenset[str] = frozenset()
    endswith_allowed: frozenset[str] = frozenset()
    single_only: frozenset[str] = frozenset()
    expand: frozenset[str] = frozenset()
    filterable: bool = True

    @property
    def odata_type(self) -> str:
        """The ``@odata.type`` of this entity in mixed directoryObject collections."""
        return f"#microsoft.graph.{self.type_name}"

    def resolve(self, name: str) -> str:
        """The property's stored name (any case), or Graph's 400 naming an unknown one."""
        found = self._lower.get(name.lower())
        if found is None:
            raise bad_request(ge.NO_PROPERTY.format(prop=name, type=self.type_name))
        return found

    @property
    def _lower(self) -> dict[str, str]:
        cache = self.__dict__.get("_lower_cache")
        if cache is None:
            cache = {p.lower(): p for p in self.properties + tuple(self.single_only)}
            object.__setattr__(self, "_lower_cache", cache)
        return cache


def spec_from(name: str, type_name: str, sample: dict[str, Any], **rules: Any) -> EntitySpec:
    """A spec whose properties, all shown by default, are the keys of a sample object."""
    props = tuple(k for k in sample if not k.startswith("@"))
    return EntitySpec(name, type_name, props, props, **rules)


USER_SPEC = EntitySpec(
    "users",
    "user",
    USER_DEFAULT + USER_EXTRA,
    USER_DEFAULT,
    orderby_default=frozenset({"displayName", "userPrincipalName"}),
    filter_advanced_only=frozenset(
        {
            "companyName",
            "employeeType",
            "mobilePhone",
            "officeLocation",
            "postalCode",
            "preferredLanguage",
            "streetAddress",
            "showInAddressList",
            "faxNumber",
            "businessPhones",
            "employeeId",
        }
    ),
    endswith_allowed=frozenset({"mail", "otherMails", "userPrincipalName", "proxyAddresses"}),
    single_only=frozenset(USER_SINGLE_ONLY),
    expand=frozenset({"manager", "memberOf"}),
)
