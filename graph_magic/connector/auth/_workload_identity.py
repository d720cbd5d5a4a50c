"""``auth_type: workload_identity``: an app signs in with a token its platform wrote to a file.

Kubernetes' Azure workload identity (AKS), GitHub Actions and other CI systems give a workload
a short-lived token from their own issuer; Entra ID trusts it for an app through a federated
identity credential, so no secret is stored anywhere. msal sends the token as the client
assertion of a client-credentials request. The file is read again for every sign-in, since
the platform rotates it (hourly on AKS).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msal

from graph_magic.connector.auth._msal import ClientCredentialsProvider
from graph_magic.errors import GraphAuthError


class WorkloadIdentityProvider(ClientCredentialsProvider):
    """Client credentials whose credential is the platform's token, read from its file."""

    auth_type = "workload_identity"

    def _build_app(self) -> Any:
        creds = self.system.credentials
        return msal.ConfidentialClientApplication(
            creds.client_id,
            client_credential={"client_assertion": self._assertion},
            **self._msal_kwargs(),
        )

    def _assertion(self) -> str:
        path = self.system.credentials.federated_token_file or ""
        try:
            token = Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise GraphAuthError(
                f"cannot read the federated token file {path} ({exc.strerror or exc}); the "
                "platform writes it where $AZURE_FEDERATED_TOKEN_FILE says"
            ) from None
        if not token:
            raise GraphAuthError(f"the federated token file {path} is empty")
        return token

    def _secrets(self) -> tuple[str | None, ...]:
        return (self._token,)

    def _identity(self) -> dict[str, Any]:
        return {"credential": "workload identity (federated)", **super()._identity()}
