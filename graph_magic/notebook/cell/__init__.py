r"""The %%graph cell grammar: turn a cell's text into RequestSpecs or say exactly where it is wrong.

A cell is written the way Graph's documentation prints an HTTP request, so a documented example
can be pasted as it is::

    POST https://graph.microsoft.com/v1.0/users          <- request line: [METHOD] TARGET
    $select: id,displayName                               <- OData option ($name=value too)
    ?format=json&x=1                                      <- query string line (? or &)
    Content-type: application/json                        <- header: Name: value
                                                          <- blank line
    {"displayName": "{{name}}"}                           <- body: as its Content-Type says
    ### second after 1                                    <- next request, with dependsOn

Decisions worth knowing:

- Query strings (in the target, on ``?``/``&`` lines) are URL syntax, read as Graph and browsers
  read them: names and values are form-decoded once here (``%XX`` and ``+`` as a space, so a
  pasted ``$filter=a+eq+true`` means ``a eq true``; write ``%2B`` for a plus) and encoded once by
  the sender. ``$name: value`` lines are the grammar's own form and are taken exactly as written
  (not decoded: a ``+`` there is a plus). A value's own ``%`` and ``+`` are always data.
- A space in the path is refused, but inside a function's parentheses it is argument data, as
  the docs print ``search(q='Contoso Project')``, and is sent as ``%20``.
- The body is read as its ``Content-Type`` says. None or a JSON type: JSON, else YAML. ``text/*``,
  ``multipart/*`` (lines joined with CRLF), XML and form types: the lines as written, ``#`` lines
  included, values as their text, encoded in the header's charset (UTF-8 if none). Any other
  type (``application/zip``, ``application/octet-stream``, ``image/*`` ...) is bytes, which a cell
  cannot write: the body must then be one ``{{name}}`` alone whose value is ``bytes`` (say
  ``photo = Path("me.jpg").read_bytes()``), and anything else is refused. A ``bytes`` value alone
  is sent as it is under any Content-Type (``application/octet-stream`` when none is given).
- Framing headers (``Content-Length``, ``Transfer-Encoding``, ``Host``) pasted from the docs are
  kept in the spec as written; the connector's builder leaves them off the wire (its HTTP client
  frames the request) and a dry run says it did.
- ``#`` lines are comments before the body. Inside the body they belong to the body: strict JSON
  has no comments, so such a body is read as YAML (flow style), which does.
- A ``###`` line always starts a new request, even inside a YAML block scalar; ``####`` and more
  is a comment. ``### ID``, ``### ID after A,B`` and ``### after A`` (numbered id) are the forms;
  unnamed requests are numbered by position from 1.
- A body that starts like JSON but is not JSON is tried as YAML (flow style), unless the JSON
  error sits on a bare ``{{...}}``: then the value is misplaced and the JSON error is reported.
  A ``{{...}}`` in a YAML comment is ignored, like the comment.
- ``{{...}}`` is interpolated per position after the structure has been split, never by text
  substitution first: a value is one path segment (percent-encoded, never empty, never a dot
  segment), OData string data in a query value (``'`` doubled), a header value without line breaks,
  a JSON value or JSON string content in a body.
- ``\{{`` is a literal ``{{``: nothing is interpolated there, and the escape is then placed like a
  value whose text is ``{{`` (percent-encoded in a path, JSON string content in a body). A
  backslash escapes ``{{`` only when it is not itself escaped: an odd run of backslashes right
  before ``{{`` escapes it (that one backslash is dropped), an even run is left as written and the
  ``{{...}}`` is interpolated. That is how JSON and YAML's double quotes read backslashes, so
  ``"\\{{x}}"`` in a body stays a backslash followed by x's value, and no JSON escape is taken
  away (``\{`` is none). Backslashes anywhere else are plain text; outside a JSON or YAML string a
  single backslash right before a value is written ``%5C`` (path, query).
- An ``Authorization`` header is refused: the connector sets it from the system's credentials, and a
  token pasted into a notebook is a leaked token.

Pure: no I/O. Every failure is a GraphSyntaxError with 1-based line and column in the cell.

Where each part lives (the driver, ``_parser``, reads a cell request by request through them):

- ``_spec``: RequestSpec, and the HTTP methods (``METHODS``, ``BODYLESS_METHODS``).
- ``_lines``: the cell's lines; every error is made there, so it quotes its source line.
- ``_pieces``: spans of a line, the ``{{...}}`` slots in them, and the one ``render``.
- ``_template``: ``{{...}}`` found in a line and looked up in the namespace.
- ``_ids``: ``###`` lines, request ids and ``after``.
- ``_head``: the request line (method, target, path, query), ``$options`` and headers.
- ``_body``: the body by Content-Type: text, bytes, or JSON with stand-ins; ``_yaml``: YAML with
  holes; ``_plain``: plain JSON values.
"""

from graph_magic.notebook.cell._parser import parse_cell
from graph_magic.notebook.cell._spec import BODYLESS_METHODS, METHODS, RequestSpec

__all__ = ["BODYLESS_METHODS", "METHODS", "RequestSpec", "parse_cell"]
