"""The ways a system signs in (``auth_type``), and what each one needs before any request.

Checked when the system is loaded, so a missing credential fails naming the key and the file,
not later inside msal or the Azure CLI. Workload identity reads the variables Kubernetes' Azure
workload identity webhook (and CI systems following it) set, when the file leaves them out.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from graph_magic.connector.system_files import ConfigReader

#: Every auth_type, in the order help lists them.
AUTH_TYPES = (
    "bearer",
    "azure",
    "device_code",
    "interactive",
    "azure_cli",
    "managed_identity",
    "workload_identity",
    "credential",
)

#: The credential keys workload identity reads from the environment, as azure-identity does.
WORKLOAD_ENV = {
    "client_id": "AZURE_CLIENT_ID",
    "tenant_id": "AZURE_TENANT_ID",
    "federated_token_file": "AZURE_FEDERATED_TOKEN_FILE",
}

_NEEDS_APP = {"azure", "device_code", "interactive", "workload_identity"}


def environment_credentials(
    auth_type: str, credentials: Mapping[str, Any], env: Mapping[str, str]
) -> dict[str, Any]:
    """The credential keys the environment supplies where the file gave none (workload identity)."""
    if auth_type != "workload_identity":
        return {}
    return {
        key: env[variable]
        for key, variable in WORKLOAD_ENV.items()
        if not credentials.get(key) and env.get(variable)
    }


def check_auth(
    r: ConfigReader,
    auth_type: str,
    credentials: Mapping[str, Any],
    token: str | None,
    credential_obj: object | None,
    env: Mapping[str, str],
) -> None:
    """Refuse a system whose auth type lacks what it needs, naming the missing key."""
    if auth_type in _NEEDS_APP:
        for key in ("tenant_id", "client_id"):
            if not credentials.get(key):
                env_name = f" (or ${WORKLOAD_ENV[key]})" if auth_type == "workload_identity" else ""
                message = f"auth_type {auth_type} needs credentials.{key}{env_name}"
                raise r.error(message, f"credentials.{key}")
    if auth_type == "azure":
        _check_app_secret(r, credentials)
    elif auth_type == "workload_identity":
        path = credentials.get("federated_token_file")
        if not path:
            raise r.error(
                "auth_type workload_identity needs credentials.federated_token_file "
                "(or $AZURE_FEDERATED_TOKEN_FILE): the file the platform writes its token to",
                "credentials.federated_token_file",
            )
        if not os.path.isfile(path):
            message = f"federated token file '{path}' not found"
            raise r.error(message, "credentials.federated_token_file")
    elif auth_type == "bearer" and not token and not env.get("GRAPH_TOKEN"):
        raise r.error("auth_type bearer needs a token (the key or $GRAPH_TOKEN)", "token")
    elif auth_type == "credential" and not callable(getattr(credential_obj, "get_token", None)):
        raise r.error(
            "auth_type credential needs a 'credential' object with get_token(*scopes) "
            "(pass it in the system dict, e.g. DefaultAzureCredential())",
            "credential",
        )


def _check_app_secret(r: ConfigReader, credentials: Mapping[str, Any]) -> None:
    if not credentials.get("client_secret") and not credentials.get("certificate_path"):
        raise r.error(
            "auth_type azure needs credentials.client_secret or credentials.certificate_path",
            "credentials.client_secret",
        )
    path = credentials.get("certificate_path")
    if path and not os.path.isfile(path):
        raise r.error(f"certificate file '{path}' not found", "credentials.certificate_path")
