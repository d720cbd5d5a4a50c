"""Microsoft's national clouds: each one's Graph host, sign-in host and metadata file.

DESIGN.md ("Clouds") names four. A system picks one with ``cloud:``; everything that depends on
the cloud (the default ``base_url``, msal's authority, the token's resource, whose metadata the
completion and the checks read, which host a cell URL may name) asks this table, so a cloud is
described in one place. US Government L5 (DoD) has its own Graph host but shares the L4 sign-in
host and metadata.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Cloud:
    """One national cloud, as a system names it."""

    name: str
    graph_host: str
    login_host: str
    metadata: str  # the stem of Microsoft's CSDL file for this cloud

    @property
    def schema_file(self) -> str:
        """The shipped index of this cloud's metadata."""
        return f"schema-{self.metadata}.json.gz"

    @property
    def document_file(self) -> str:
        """The shipped CSDL itself (gzipped): what the sandbox serves as ``$metadata``."""
        return f"{self.metadata}.csdl.gz"

    @property
    def graph_url(self) -> str:
        """``https://`` and the Graph host: the token's resource and the base of every URL."""
        return f"https://{self.graph_host}"

    @property
    def authority(self) -> str:
        """The sign-in host msal asks for tokens (a tenant id is appended to it)."""
        return f"https://{self.login_host}"


CLOUD_TABLE: dict[str, Cloud] = {
    cloud.name: cloud
    for cloud in (
        Cloud("global", "graph.microsoft.com", "login.microsoftonline.com", "v1.0-Prod"),
        Cloud("usgov", "graph.microsoft.us", "login.microsoftonline.us", "v1.0-Fairfax"),
        Cloud(
            "usgovdod",
            "dod-graph.microsoft.us",
            "login.microsoftonline.us",
            "v1.0-Fairfax",
        ),
        Cloud(
            "china",
            "microsoftgraph.chinacloudapi.cn",
            "login.chinacloudapi.cn",
            "v1.0-Mooncake",
        ),
    )
}
#: The cloud names a system may give, in the order help and errors list them.
CLOUDS: tuple[str, ...] = tuple(CLOUD_TABLE)
#: Each cloud's Graph host, for telling the cloud of a URL.
CLOUD_HOSTS: dict[str, str] = {cloud.graph_host: cloud.name for cloud in CLOUD_TABLE.values()}


class UnknownCloudError(ValueError):
    """A cloud name with no shipped metadata (``beta`` and other clouds get no knowledge)."""

    def __init__(self, cloud: str, message: str | None = None) -> None:
        super().__init__(
            message or f"no Graph metadata for cloud {cloud!r}; known: {', '.join(CLOUDS)}"
        )
        self.cloud = cloud


def cloud_named(name: str) -> Cloud:
    """The cloud called ``name``, or UnknownCloudError listing the known ones."""
    try:
        return CLOUD_TABLE[name]
    except KeyError:
        raise UnknownCloudError(name) from None


def cloud_of(base_url: str) -> str | None:
    """The cloud whose Graph host ``base_url`` names; None for any other host (a sandbox)."""
    return CLOUD_HOSTS.get((urlsplit(base_url).hostname or "").lower())
