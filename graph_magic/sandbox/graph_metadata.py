"""What the sandbox knows of Graph beyond the routes it models, from the knowledge package.

Two answers come from Microsoft's own v1.0 metadata rather than from a route: ``$metadata`` (the
CSDL document, served to anyone, as Graph serves it) and the 501 for a request that is real
Graph but that the sandbox does not model. The router refuses what no route matches with
Graph's 400 "Resource not found for the segment" (or its 405 when another method matches);
:func:`unmodelled` turns that refusal into the 501 when the metadata knows the request, so a
user can tell a sandbox gap from a real mistake, and nothing needs a list of modelled paths.
"""

from __future__ import annotations

from graph_magic.knowledge import Knowledge
from graph_magic.sandbox.entra.tokens import Principal
from graph_magic.sandbox.graph_errors import METHOD_NOT_ALLOWED, NOT_MODELLED, GraphError
from graph_magic.sandbox.http import GraphRequest, GraphResponse

METADATA_TYPE = "application/xml;charset=utf-8"

ANONYMOUS = Principal(
    kind="app",
    client_id="",
    tenant_id="",
    roles=frozenset(),
    scopes=frozenset(),
    user_id=None,
    upn=None,
    expires_at=0,
)
"""Who asks for ``$metadata`` without a token: Graph serves the document to anyone."""


def is_metadata(path: str) -> bool:
    """Whether ``path`` (below the version root) is the metadata document, in any case."""
    return path.strip("/").lower() == "$metadata"


def metadata_response(req: GraphRequest, cloud: str) -> GraphResponse:
    """``GET /v1.0/$metadata``: the CSDL of the sandbox's ``cloud`` as Microsoft publishes it.

    Only v1.0's document ships (beta's is too large to bring), so beta's is not modelled.
    """
    if req.method != "GET":
        raise GraphError(405, "Request_BadRequest", METHOD_NOT_ALLOWED)
    if req.version != "v1.0":
        raise not_modelled(req)
    document = Knowledge.for_cloud(cloud).metadata_document()
    return GraphResponse(200, document, METADATA_TYPE)


def not_modelled(req: GraphRequest) -> GraphError:
    """The sandbox's 501 for a real Graph request it does not answer, naming method and path."""
    target = f"/{req.version}/{req.path.lstrip('/')}"
    return GraphError(501, "NotImplemented", NOT_MODELLED.format(method=req.method, path=target))


def unmodelled(req: GraphRequest, refusal: GraphError, cloud: str) -> GraphError:
    """The router's ``refusal``, or the 501 when Graph's metadata knows the request.

    A 400 (no route has the path) becomes the 501 when the path resolves in the metadata; a
    405 (a route has the path, not the method) when the permissions map lists the method for
    the path, since Graph then accepts it. Beta is judged by v1.0's metadata: a beta-only path
    keeps Graph's 400. ``cloud`` is the one the sandbox stands in for.
    """
    knowledge = Knowledge.for_cloud(cloud)
    if refusal.status == 400 and knowledge.resolve(req.path, suggestions=False).known:
        return not_modelled(req)
    if refusal.status == 405 and knowledge.permissions(req.method, req.path).known:
        return not_modelled(req)
    return refusal
