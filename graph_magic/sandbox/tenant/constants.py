"""The sandbox tenant's fixed identity: its domains, its tenant id and Graph's app id.

Defined once here; the data, the routes and the token service all read these.
"""

from __future__ import annotations

import uuid

DOMAIN = "contoso.com"
"""The verified domain users' addresses use."""
INITIAL_DOMAIN = "contoso.onmicrosoft.com"
"""The tenant's initial domain: guests' UPNs and the authority path name it."""
TENANT_ID = str(uuid.uuid5(uuid.NAMESPACE_DNS, INITIAL_DOMAIN))
"""The tenant id tokens carry (derived from the initial domain, so it never changes)."""
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
"""Microsoft Graph's first-party application id."""
GRAPH_RESOURCE = "https://graph.microsoft.com"
"""The audience of a Graph access token."""
