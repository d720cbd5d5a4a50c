"""Every error graph-magic raises: the exception tree, and nothing else.

The tree, so a caller can catch at the level it cares about::

    GraphMagicError
    ├── GraphConfigError        a system config is wrong: names the key and the file
    ├── GraphSyntaxError        a %%graph cell does not parse: line, column, caret
    ├── GraphAuthError          no token could be had (msal, device code, credential)
    ├── GraphSecurityError      a request would send the token off the Graph host (or to
    │                           another resource, through a `..` placeholder)
    ├── GraphTransportError     the network failed after every retry
    ├── GraphResponseError      an answer that cannot be Graph's: a page that is not a collection
    │                           page, undecodable JSON, over max_response_bytes, a nextLink loop
    │                           or a broken one, a $batch answer that does not match its requests
    ├── GraphAPIError           Graph answered with an error status after every retry
    │   └── GraphBatchError     a $batch sub-request failed (continue_on_error=False)
    ├── GraphFanoutError        every system of a cell sent to several failed (each one's error)
    ├── GraphReplayError        a replayed session asked what its cassette does not hold (names
    │                           the closest recorded request), or the cassette is broken
    └── GraphUsageError         a %graph line or option that cannot be understood
                                (graph_magic.notebook.errors: it is also IPython's UsageError)
    BaseException
    └── SettingRejected         a refused ``%config GraphMagic.x = value``
                                (graph_magic.notebook.errors: gets past %config's handler)
    KeyError
    └── UnknownTypeError        a type Graph's metadata does not define (graph_magic.knowledge)
    ValueError
    └── UnknownCloudError       a cloud the knowledge has no metadata for (graph_magic.knowledge)

The two notebook-side errors need IPython, so they live in ``graph_magic.notebook.errors``;
everything here imports neither IPython nor the connector's machinery (only the plain
``RetryStop`` value, for its type). Each error carries the data a caller needs as attributes and
a message a person can act on; the connector writes the hint texts (``connector.hints``,
``RetryStop.hint``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from graph_magic.connector.retry_stop import RetryStop


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
    """A request would carry the token where it must not go, so it is refused before sending.

    That is a host other than the configured Graph host (a nextLink, a redirect, a cell URL), or
    another resource than the one written (a ``.``/``..`` placeholder value). ``url`` is the
    refused origin or endpoint. ``partial`` holds the items of the pages fetched before a
    nextLink pointed elsewhere, so refusing the link does not throw away what was fetched.
    """

    def __init__(self, message: str, *, url: str, partial: Any = None) -> None:
        self.url = url
        self.partial = partial
        super().__init__(message)


class GraphReplayError(GraphMagicError):
    """A replay cannot answer: no recorded exchange matches, or the cassette is unreadable.

    ``request`` is the request asked for and ``closest`` the nearest recorded one (both as
    ``METHOD /path?query``), when there is one.
    """

    def __init__(self, message: str, *, request: str | None = None, closest: str | None = None):
        super().__init__(message)
        self.message = message
        self.request = request
        self.closest = closest


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
        self.hint = retry_stop.hint if retry_stop else None
        super().__init__(f"{message}\nHint: {self.hint}" if self.hint else message)


class GraphResponseError(GraphMagicError):
    """An answer no Graph would send; the scan or batch stops rather than pass it off as whole.

    ``url`` is where the answer came from (masked), ``partial`` the items (or $batch
    sub-responses, writes included) received before it, and ``setting`` names the system key
    that bounds what was exceeded (``max_response_bytes``), when one does.
    """

    def __init__(
        self, message: str, *, url: str, partial: Any = None, setting: str | None = None
    ) -> None:
        self.url = url
        self.partial = partial
        self.setting = setting
        super().__init__(message)


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
        self.hint = (
            " ".join(h for h in (hint, retry_stop.hint if retry_stop else None) if h) or None
        )
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


class GraphFanoutError(GraphMagicError):
    """Every system a cell was sent to failed; ``failures`` maps each system to its error.

    When only some fail, there is no error: the result keeps what answered and names the rest.
    """

    def __init__(self, failures: dict[str, BaseException]) -> None:
        self.failures = failures
        lines = [f"  {name}: {type(error).__name__}: {error}" for name, error in failures.items()]
        super().__init__(f"no system answered ({len(failures)} tried):\n" + "\n".join(lines))


class GraphBatchError(GraphAPIError):
    """A $batch sub-request failed and the caller asked to stop on the first failure."""

    def __init__(self, status_code: int, *, request_id_in_batch: str, **kwargs: Any) -> None:
        self.request_id_in_batch = request_id_in_batch
        super().__init__(status_code, **kwargs)
