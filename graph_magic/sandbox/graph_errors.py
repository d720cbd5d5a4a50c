"""Graph's error answers: one exception carrying status, code and message, and the texts Graph uses.

Handlers raise :class:`GraphError`; the app turns it into Graph's body
``{"error": {"code", "message", "innerError": {date, request-id, client-request-id}}}``. The
message constants are Graph's own texts (see reference/graph-semantics.md), kept in one place so
tests and handlers quote the same strings. The fault injector's answers (429 throttling, 503
and 504 bursts) are built here too: every Graph error body the sandbox sends comes from here.
"""

from __future__ import annotations

from typing import Any

NOT_FOUND = "Resource '{id}' does not exist or one of its queried reference-property objects are not present."  # noqa: E501 (Graph's text, kept whole)
SEARCH_NEEDS_HEADER = (
    "Request with $search query parameter only works through MSGraph with a special request "
    "header: 'ConsistencyLevel: eventual'"
)
OPERATOR_NEEDS_ADVANCED = (
    "Operator '{op}' is not supported because the required parameters might be missing. "
    "Try adding $count=true query parameter and ConsistencyLevel:eventual header. "
    "Refer to https://aka.ms/graph-docs/advanced-queries for more information"
)
NE_UNSUPPORTED = "Filter operator 'NotEqualsMatch' is not supported."
SORTING_UNSUPPORTED = "Sorting not supported for current query."
COUNT_UNSUPPORTED = "$count is not currently supported."
UNSUPPORTED_FILTER_PROPERTY = (
    "Unsupported or invalid query filter clause specified for property '{prop}' of resource "
    "'{resource}'."
)
PAGE_SIZE = "Invalid page size specified: '{top}'. Must be between 1 and {max} inclusive."
EXPAND_NOT_ALLOWED = "Expand is not allowed for property '{prop}' according to the entity schema."
NO_PROPERTY = "Could not find a property named '{prop}' on type 'microsoft.graph.{type}'."
INSUFFICIENT_PRIVILEGES = "Insufficient privileges to complete the operation."
ME_NEEDS_DELEGATED = "/me request is only valid with delegated authentication flow."
SEGMENT_NOT_FOUND = "Resource not found for the segment '{segment}'."
PROPERTY_REQUIRED = "Property {prop} value is required but is empty or missing."
INVALID_VALUE = "Invalid value specified for property '{prop}' of resource '{resource}'."
UNDECLARED_PROPERTY = (
    "Property '{prop}' does not exist as a declared property or extension property."
)
DUPLICATE_UPN = "Another object with the same value for property userPrincipalName already exists."
INVALID_USAGE_LOCATION = "License assignment cannot be done for user with invalid usage location."
EXPIRED_PAGE_TOKEN = (
    "The specified page token value has expired and can no longer be included in your request."
)
METHOD_NOT_ALLOWED = "Specified HTTP method is not allowed for the request target."
INVALID_BATCH = "Invalid batch payload format."
BATCH_DUPLICATE_ID = "Request Id {id} has to be unique in a batch."
BATCH_TOO_MANY = "The number of requests in a batch cannot exceed 20."
FAILED_DEPENDENCY = "Dependency failed"
NOT_IMPLEMENTED = "This operation target is not yet supported."
# Ours, not Graph's: a real Graph request (its metadata knows it) that the sandbox does not answer.
NOT_MODELLED = (
    "The sandbox does not model {method} {path}: it is real Microsoft Graph (Graph's v1.0 "
    "metadata knows it), but the offline sandbox tenant does not answer it."
)

# Group membership writes, as Graph answers them (seen in client bug reports and error handlers).
MEMBER_EXISTS = (
    "One or more added object references already exist for the following modified properties: "
    "'members'."
)
UNSUPPORTED_MEMBER_REFERENCE = (
    "Unsupported referenced-object resource identifier for link property 'members'."
)
OWNER_EXISTS = (
    "One or more added object references already exist for the following modified properties: "
    "'owners'."
)
UNSUPPORTED_REFERENCE = (
    "Unsupported referenced-object resource identifier for link property '{prop}'."
)
TOO_MANY_LINKS = "A resource cannot contain more than 20 link changes"
# Limits Graph documents (20 group ids, 1000 ids) in Graph's wording; its own texts were not
# captured.
TOO_MANY_GROUP_IDS = (
    "Invalid value specified for property '{prop}': it cannot hold more than 20 ids."
)
TOO_MANY_IDS = "Invalid value specified for property 'ids': it cannot hold more than 1000 ids."
SP_APP_NOT_FOUND = (
    "The appId '{app_id}' of the service principal does not reference a valid application object."
)
SP_EXISTS = (
    "The service principal cannot be created, updated, or restored because the service principal "
    "name {app_id} is already in use."
)
NO_PASSWORD_CREDENTIAL = "No password credential found with keyId '{key}'."
# $levels: the first is the OData library's own text (Graph parses URLs with it); the rest, and
# the cast rule, are ours in Graph's wording, since Graph's own texts were not captured.
LEVELS_INVALID = (
    "Levels option must be a non-negative integer or 'max', it is set to '{raw}' instead."
)
LEVELS_RANGE = (
    "Invalid value specified for $levels: '{raw}'. Must be 'max' or between 1 and 1000 inclusive."
)
LEVELS_ONLY_MANAGER = (
    "Query option '$levels' is not supported when expanding '{prop}'; only 'manager' accepts it."
)
LEVELS_COUNT_NEEDS_HEADER = (
    "$levels with $count=true is not supported because the 'ConsistencyLevel:eventual' header is "
    "missing. Refer to https://aka.ms/graph-docs/advanced-queries for more information"
)
CAST_NEEDS_ADVANCED = (
    "OData cast with $filter, $orderby, $search or $count is not supported because the required "
    "parameters might be missing. Try adding $count=true query parameter and "
    "ConsistencyLevel:eventual header. Refer to https://aka.ms/graph-docs/advanced-queries for "
    "more information"
)


THROTTLED = "Please retry again later."
SERVICE_ERRORS = {
    503: (
        "serviceNotAvailable",
        "The service is not available. Try the request again after a delay.",
    ),
    504: ("gatewayTimeout", "The gateway did not receive a timely response from the service."),
}
"""The code and message of each burst status the fault injector answers."""


class GraphError(Exception):
    """An answer in Graph's error shape: HTTP ``status``, Graph ``code`` and ``message``.

    ``details`` is Graph's optional ``details`` list (e.g. ObjectConflict on a duplicate UPN);
    ``headers`` are extra response headers (e.g. Location).
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers or {}

    def body(self, *, date: str, request_id: str, client_request_id: str) -> dict[str, Any]:
        """Graph's error body, with the innerError that lets a support case find the request."""
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        error["innerError"] = {
            "date": date,
            "request-id": request_id,
            "client-request-id": client_request_id,
        }
        if self.details:
            error["details"] = self.details
        return {"error": error}


def not_found(resource_id: str) -> GraphError:
    """Graph's 404 for a directory object (or relationship such as 'manager') that is absent."""
    return GraphError(404, "Request_ResourceNotFound", NOT_FOUND.format(id=resource_id))


def bad_request(message: str, code: str = "Request_BadRequest") -> GraphError:
    """A 400 with a directory code (Request_BadRequest unless told)."""
    return GraphError(400, code, message)


def unsupported_query(message: str) -> GraphError:
    """A 400 Request_UnsupportedQuery, Graph's answer to a query the directory will not run."""
    return GraphError(400, "Request_UnsupportedQuery", message)


def forbidden() -> GraphError:
    """Graph's 403 when the token lacks the permission the route needs."""
    return GraphError(403, "Authorization_RequestDenied", INSUFFICIENT_PRIVILEGES)


def service_error(status: int) -> GraphError:
    """Graph's 503 or 504 while the service is unavailable (a fault burst)."""
    code, message = SERVICE_ERRORS[status]
    return GraphError(status, code, message)


def throttled_body(*, date: str, request_id: str) -> dict[str, Any]:
    """Graph's 429 body: its innerError repeats the status and names no client-request-id."""
    return {
        "error": {
            "code": "TooManyRequests",
            "message": THROTTLED,
            "innerError": {
                "code": "429",
                "date": date,
                "message": "Please retry after",
                "request-id": request_id,
                "status": "429",
            },
        }
    }
