"""The sandbox tenant's identity (its domains and tenant id, from its name) and Graph's app id.

Defined once here; the data, the routes and the token service all read these.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class TenantIdentity:
    """Who a sandbox tenant is, all from its name (the ``tenant`` option): its domains, its
    tenant id and the name it shows. Several tenants served at once differ in all of them."""

    name: str = "contoso"

    @property
    def domain(self) -> str:
        """The verified domain users' addresses use."""
        return f"{self.name}.com"

    @property
    def initial_domain(self) -> str:
        """The initial domain: guests' UPNs and the authority path name it."""
        return f"{self.name}.onmicrosoft.com"

    @property
    def tenant_id(self) -> str:
        """The tenant id tokens carry (derived from the initial domain, so it never changes)."""
        return str(uuid.uuid5(uuid.NAMESPACE_DNS, self.initial_domain))

    @property
    def display_name(self) -> str:
        """The organization's name as it shows (``Contoso``)."""
        return self.name.capitalize()


CONTOSO = TenantIdentity()
"""The default tenant, the one the generators write."""
DOMAIN = CONTOSO.domain
INITIAL_DOMAIN = CONTOSO.initial_domain
TENANT_ID = CONTOSO.tenant_id
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
"""Microsoft Graph's first-party application id."""
GRAPH_RESOURCE = "https://graph.microsoft.com"
"""The audience of a Graph access token."""
