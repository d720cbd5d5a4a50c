"""Every error graph-magic raises, and the hints for Graph's well-known gotchas.

The tree, so a caller can catch at the level it cares about::

    GraphMagicError
    ├── GraphConfigError        a system config is wrong: names the key and the file
    ├── GraphSyntaxError        a %%graph cell does not parse: line, column, caret
    ├── GraphAuthError          no token could be had (msal, device code, credential)
    ├── GraphSecurityError      a request would send the token off the Graph host
    ├── GraphTransportError     the network failed after every retry
    └── GraphAPIError           Graph answered with an error status after every retry
        └── GraphBatchError     a $batch sub-request failed (continue_on_error=False)

Each carries the data a caller needs as attributes and a message a person can act on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from graph_magic.connector.retry import RetryStop


class GraphMagicError(Exception):
    """Base of every error raised by graph-magic."""


class GraphConfigError(GraphMagicError):
    """A system configuration is invalid; raised when the system is loaded."""

    def __init__(self, message: str, *, key: str | None = None, file: str | None = None) -> None:
        self.key = key
        self.file = file
        where = []
        if key:
            where.append(f"key '{key}'")
        if file:
            where.append(f"in {file}")
        super().__init__(f"{message} ({' '.join(where)})" if where else message)
        self.message = message


class GraphSyntaxError(GraphMagicError):
    """A %%graph cell does not parse; nothing was sent.

    ``line`` and ``column`` are 1-based positions in the cell body.
    """

    def __init__(self, message: str, *, line: int, column: int, source_line: str = "") -> None:
        self.message = message
        self.line = line
        self.column = column
        self.source_line = source_line
        super().__init__(self.render())

    def render(self) -> str:
        """The message with the offending line and a caret under the column."""
        text = f"line {self.line}, column {self.column}: {self.message}"
        if self.source_line:
            caret = " " * (max(self.column, 1) - 1) + "^"
            text += f"\n    {self.source_line}\n    {caret}"
        return text


class GraphAuthError(GraphMagicError):
    """No token could be obtained; ``detail`` holds the identity platform's error, masked."""

    def __init__(self, message: str, *, detail: dict[str, Any] | None = None) -> None:
        self.detail = detail or {}
        super().__init__(message)


class GraphSecurityError(GraphMagicError):
    """A request would carry the token to a host other than the configured Graph host.

    ``url`` is the refused origin. ``partial`` holds the items of the pages fetched before a
    nextLink pointed elsewhere, so refusing the link does not throw away what was fetched.
    """

    def __init__(self, message: str, *, url: str, partial: Any = None) -> None:
        self.url = url
        self.partial = partial
        super().__init__(message)


class GraphTransportError(GraphMagicError):
    """The connection failed or timed out on every attempt.

    ``retry_stop`` says which retry budget ran out (None when the failure was not retryable);
    ``hint`` then names the setting to raise, and the message ends with it.
    """

    def __init__(
        self,
        message: str,
        *,
        url: str,
        attempts: int,
        partial: Any = None,
        retry_stop: RetryStop | None = None,
    ) -> None:
        self.url = url
        self.attempts = attempts
        self.partial = partial
        self.retry_stop = retry_stop
        self.hint = retry_hint(retry_stop)
        super().__init__(f"{message}\nHint: {self.hint}" if self.hint else message)


class GraphAPIError(GraphMagicError):
    """Graph answered with an error status, after every retry that applied.

    ``detail`` follows the connector's contract:
    ``{"error": "HTTP Error <code>", "upstream": {"url": ..., "detail": <upstream JSON>}}``.
    ``partial`` holds the items fetched before a paging scan failed, so nothing is lost silently.
    ``retry_stop`` says which retry budget ran out while the status was still worth retrying;
    ``hint`` then holds the gotcha's fix (if any) followed by why retrying stopped and which
    setting to raise.
    """

    def __init__(
        self,
        status_code: int,
        *,
        url: str,
        method: str = "GET",
        upstream: Any = None,
        code: str | None = None,
        message: str | None = None,
        request_id: str | None = None,
        client_request_id: str | None = None,
        date: str | None = None,
        hint: str | None = None,
        attempts: int = 1,
        partial: Any = None,
        retry_stop: RetryStop | None = None,
    ) -> None:
        self.status_code = status_code
        self.url = url
        self.method = method
        self.code = code
        self.message = message
        self.request_id = request_id
        self.client_request_id = client_request_id
        self.date = date
        self.hint = " ".join(h for h in (hint, retry_hint(retry_stop)) if h) or None
        self.attempts = attempts
        self.partial = partial
        self.retry_stop = retry_stop
        self.detail = {
            "error": f"HTTP Error {status_code}",
            "upstream": {"url": url, "detail": upstream},
        }
        super().__init__(self._summary())

    def _summary(self) -> str:
        text = f"{self.status_code} {self.code or 'error'}: {self.message or 'no message'}"
        text += f" ({self.method} {self.url}"
        if self.attempts > 1:
            text += f", after {self.attempts} attempts"
        text += ")"
        if self.hint:
            text += f"\nHint: {self.hint}"
        return text


class GraphBatchError(GraphAPIError):
    """A $batch sub-request failed and the caller asked to stop on the first failure."""

    def __init__(self, status_code: int, *, request_id_in_batch: str, **kwargs: Any) -> None:
        self.request_id_in_batch = request_id_in_batch
        super().__init__(status_code, **kwargs)


# Permission family to grant for a 403 Authorization_RequestDenied, by the path's first segment.
_PERMISSION_BY_ROOT = {
    "users": "User.Read.All",
    "me": "User.Read",
    "groups": "Group.Read.All",
    "devices": "Device.Read.All",
    "applications": "Application.Read.All",
    "serviceprincipals": "Application.Read.All",
    "orgcontacts": "OrgContact.Read.All",
    "administrativeunits": "AdministrativeUnit.Read.All",
    "directoryroles": "RoleManagement.Read.Directory",
    "directoryobjects": "Directory.Read.All",
    "subscribedskus": "Organization.Read.All",
    "organization": "Organization.Read.All",
    "auditlogs": "AuditLog.Read.All",
    "reports": "Reports.Read.All",
    "invitations": "User.Invite.All",
}
_WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})


def hint_for(
    status: int, code: str | None, message: str | None, method: str, path: str
) -> str | None:
    """A one-line fix for Graph's well-known gotchas, or None when none applies.

    ``path`` is the request path relative to the version root (``/users/abc``); query strings
    and a leading version segment are tolerated.
    """
    path_only = path.split("?", 1)[0]
    segments = [s for s in path_only.split("/") if s]
    if segments and segments[0] in ("v1.0", "beta"):
        segments = segments[1:]
    lowered = [s.lower() for s in segments]
    root = lowered[0] if lowered else ""
    text = (message or "").lower()
    method = method.upper()

    if status == 400 and "$search" in text and "consistencylevel" in text:
        return (
            "$search on directory objects needs the header 'ConsistencyLevel: eventual' "
            "(and $count=true for most advanced queries); add it to the request."
        )
    if root == "devices" and len(lowered) >= 3 and lowered[2] == "owners":
        return "Devices have no 'owners' relationship: use /devices/{id}/registeredOwners."
    if "assignlicense" in lowered and (status == 400 and "usage location" in text):
        return (
            "The user has no usageLocation: PATCH /users/{id} with "
            '{"usageLocation": "US"} (an ISO country code) first, then assign the license.'
        )
    if root == "auditlogs" and status == 403:
        return "Reading audit and sign-in logs needs the AuditLog.Read.All permission."
    if root == "invitations" and status in (401, 403):
        return "Inviting guest users needs the User.Invite.All permission."
    if status == 403 and code == "Authorization_RequestDenied":
        family = _PERMISSION_BY_ROOT.get(root)
        if family is None:
            return "The app lacks the permission for this call; check the API's permission list."
        if method in _WRITE_METHODS and family.endswith(".Read.All"):
            family = family.replace(".Read.All", ".ReadWrite.All")
        return f"The app lacks the permission for this call: grant {family} (or higher)."
    return None


def retry_hint(stop: RetryStop | None) -> str | None:
    """Why retrying gave up and which ``retry`` setting to raise, or None when it did not.

    Without this a budget that ran out reads like a server that never recovered: the user
    could not tell whether more attempts or a longer time budget would have helped.
    """
    if stop is None:
        return None
    tries = f"{stop.attempts} attempt{'s' if stop.attempts != 1 else ''}"
    if stop.reason == "max_attempts":
        return (
            f"Retries stopped after {tries} because retry.max_attempts ({stop.max_attempts}) "
            "was reached; raise retry.max_attempts in the system config to try more times."
        )
    budget = _seconds(stop.max_total_seconds)
    if stop.reason == "retry_after" and stop.retry_after is not None:
        return (
            f"Retries stopped after {tries} because the server asked to wait "
            f"{_seconds(stop.retry_after)} (Retry-After), more than the {_seconds(stop.remaining)} "
            f"left of the retry.max_total_seconds budget of {budget}; raise "
            "retry.max_total_seconds in the system config to honour such waits."
        )
    return (
        f"Retries stopped after {tries} because the retry.max_total_seconds budget of {budget} "
        f"was used up ({_seconds(stop.waited)} waited, the next wait of "
        f"{_seconds(stop.next_wait)} would pass it); raise retry.max_total_seconds in the "
        "system config to keep retrying longer."
    )


def _seconds(value: float) -> str:
    """``150 s``, ``1.5 s``: two decimals at most, no trailing zeros."""
    return f"{value:.2f}".rstrip("0").rstrip(".") + " s"
