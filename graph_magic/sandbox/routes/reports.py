"""The usage report route: Graph answers 302 to a pre-authenticated CSV on another host.

``/reports/getOffice365ActiveUserDetail(period='D7')`` redirects to
``https://reportsncu.office.com/data/download/{token}``, as Graph does; the app serves that
download path on any host name (in-process httpx follows the redirect into the same app). Served
on loopback, the redirect goes to the server's other loopback name instead, never off the
machine. The CSV is derived from the tenant, so it is deterministic.
"""

from __future__ import annotations

from graph_magic.sandbox._clock import day_before_end
from graph_magic.sandbox._signing import Signer, b64url_decode, b64url_encode
from graph_magic.sandbox.graph_errors import bad_request
from graph_magic.sandbox.http import GraphRequest, GraphResponse, Router
from graph_magic.sandbox.routes._common import require
from graph_magic.sandbox.tenant.store import Tenant

DOWNLOAD_HOST = "https://reportsncu.office.com"
DOWNLOAD_PREFIX = "/data/download/"
_SIGNATURE_BYTES = 9
_PERIODS = {"D7": 7, "D30": 30, "D90": 90, "D180": 180}
_COLUMNS = (
    "Report Refresh Date", "User Principal Name", "Display Name", "Is Deleted", "Deleted Date",
    "Has Exchange License", "Has OneDrive License", "Has SharePoint License",
    "Has Teams License", "Exchange Last Activity Date", "OneDrive Last Activity Date",
    "SharePoint Last Activity Date", "Teams Last Activity Date", "Assigned Products",
    "Report Period",
)  # fmt: skip
_PRODUCTS = {
    "c7df2760-2c81-4ef7-b578-5b5392b571df": "OFFICE 365 E5",
    "05e9a617-0261-4cee-bb44-138d3ef5d965": "MICROSOFT 365 E3",
    "efccb6f7-5641-4e0e-bd10-b4976e1bf68e": "ENTERPRISE MOBILITY + SECURITY E3",
    "f8a1db68-be16-40ed-86d5-cb42ce701560": "POWER BI PRO",
    "f30db892-07e9-47e9-837c-80727f46fd3d": "MICROSOFT POWER AUTOMATE FREE",
}


def download_origin(origin: str) -> str:
    """Where the CSV is downloaded from: Graph's report host in-process; when served on
    loopback, the other loopback name of the same server (127.0.0.1 <-> localhost), so the
    redirect still changes host (clients must drop Authorization) without leaving the machine."""
    scheme, _, netloc = origin.partition("://")
    host, colon, port = netloc.partition(":")
    if host == "127.0.0.1":
        return f"{scheme}://localhost{colon}{port}"
    if host == "localhost":
        return f"{scheme}://127.0.0.1{colon}{port}"
    return DOWNLOAD_HOST


class Reports:
    """The report redirect and its CSV download for one tenant."""

    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant
        self._signer = Signer(tenant.seed, "reports")

    def register(self, router: Router) -> None:
        """Add the report route (the download is served by the app outside /v1.0)."""
        router.add(
            "GET",
            r"/reports/getOffice365ActiveUserDetail\(period='(?P<period>[^']*)'\)",
            self.active_user_detail,
        )

    def active_user_detail(self, req: GraphRequest, period: str) -> GraphResponse:
        """302 to the CSV download, as Graph answers report requests."""
        require(req, "reports")
        if period not in _PERIODS:
            raise bad_request(
                f"Invalid value '{period}' for parameter 'period'. Supported values are D7, D30, "
                "D90 and D180.",
                code="BadRequest",
            )
        token = self._token(f"activeUserDetail:{period}")
        location = f"{download_origin(req.origin)}{DOWNLOAD_PREFIX}{token}"
        return GraphResponse(302, b"", None, {"Location": location})

    def _token(self, what: str) -> str:
        mac = self._signer.sign(what.encode(), _SIGNATURE_BYTES)
        return b64url_encode(what.encode() + b"|" + mac)

    def download(self, token: str) -> tuple[bytes, str] | None:
        """The CSV body and file name for a download token, or None when it is not ours."""
        try:
            what, mac = b64url_decode(token).rsplit(b"|", 1)
        except ValueError:
            return None
        if not self._signer.verify(what, mac, _SIGNATURE_BYTES):
            return None
        period = what.decode().split(":", 1)[1]
        return self._csv(period), f"Office365ActiveUserDetail{period}.csv"

    def _csv(self, period: str) -> bytes:
        refresh = day_before_end(1)
        lines = [",".join(_COLUMNS)]
        for user in self.tenant.users:
            skus = [lic["skuId"] for lic in user.get("assignedLicenses") or ()]
            licensed = bool(skus)
            last = (user.get("signInActivity") or {}).get("lastSignInDateTime") or ""
            day = last[:10] if licensed else ""
            products = "+".join(_PRODUCTS.get(s, s) for s in skus)
            row = (
                refresh, user["userPrincipalName"], _csv_field(user["displayName"] or ""),
                "False", "", str(licensed), str(licensed), str(licensed), str(licensed),
                day, day, day, day, _csv_field(products), period[1:],
            )  # fmt: skip
            lines.append(",".join(row))
        return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def _csv_field(text: str) -> str:
    return f'"{text}"' if "," in text or '"' in text else text
