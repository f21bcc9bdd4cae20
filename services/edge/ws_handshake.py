"""The WebSocket handshake of the public API, written once for every /ws/ route.

Origin: a browser always sends one; it must be one of DOJO_CORS_ORIGINS or the edge's own (the Host
header's), else the handshake is refused (HTTP 403: another site's page cannot use a visitor's
cookies or stored token against us). Clients that are not browsers send none and are not checked.

Credentials, in this order: `Authorization: Bearer <token>`, `X-API-Key`, the `api_key` query
parameter (as for REST), or, for browsers (whose WebSocket API cannot set headers), the subprotocol
pair `Sec-WebSocket-Protocol: bearer, <token>`: the server then selects "bearer". A caller without
valid credentials is accepted only to be told why and closed with code 4401 (a browser cannot read the
status of a refused handshake, but it can read a close code).
"""

from __future__ import annotations

from typing import Any

from fastapi import WebSocket

from services.kit import errors
from services.kit.context import Principal
from services.edge.errors import now_iso

CLOSE_NORMAL, CLOSE_POLICY, CLOSE_UNAUTHENTICATED, CLOSE_NOT_FOUND = 1000, 1008, 4401, 4404
BEARER_SUBPROTOCOL = "bearer"


def error_message(error: errors.DomainError) -> dict[str, Any]:
    """The spec's failure message on a socket: {"type": "error", "error": <the REST envelope's error>}."""
    return {"type": "error", "error": {**error.to_dict(), "timestamp": now_iso()}}


def _origin_allowed(websocket: WebSocket) -> bool:
    origin = websocket.headers.get("origin")
    if origin is None:
        return True
    allowed = set(websocket.app.state.settings.cors_origins)
    host = websocket.headers.get("host", "")
    return origin in allowed or origin in (f"http://{host}", f"https://{host}")


def _subprotocol_token(websocket: WebSocket) -> str | None:
    offered = [p.strip() for p in websocket.headers.get("sec-websocket-protocol", "").split(",") if p.strip()]
    if len(offered) >= 2 and offered[0].lower() == BEARER_SUBPROTOCOL:
        return offered[1]
    return None


async def accept(websocket: WebSocket) -> Principal | None:
    """The verified caller of an accepted socket, or None once the socket has been refused or closed."""
    if not _origin_allowed(websocket):
        await websocket.close(code=CLOSE_POLICY)  # before accept: the handshake is answered 403
        return None
    authenticator = websocket.app.state.authenticator
    token = _subprotocol_token(websocket)
    await websocket.accept(subprotocol=BEARER_SUBPROTOCOL if token else None)
    try:
        principal = (await authenticator.verify_bearer(token) if token
                     else await authenticator.authenticate(websocket))
    except errors.DomainError as exc:
        principal, failure = None, exc
    else:
        failure = errors.Unauthorized("Authentication required: send 'Authorization: Bearer <token>', 'X-API-Key', "
                                      "?api_key=, or the subprotocols 'bearer, <token>'")
    if principal is None:
        await websocket.send_json(error_message(failure))
        await websocket.close(code=CLOSE_UNAUTHENTICATED)
    return principal
