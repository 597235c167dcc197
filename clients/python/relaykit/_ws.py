"""The `websockets` package behind one small surface (10.4, Debian 12's, up to the
current asyncio implementation)."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

try:  # websockets >= 13
    from websockets.asyncio.client import connect as _connect
except ImportError:  # pragma: no cover - older websockets
    from websockets.client import connect as _connect  # type: ignore[no-redef]
from websockets.exceptions import ConnectionClosed

from .errors import RealtimeError

__all__ = ["ConnectionClosed", "open_websocket", "close_info", "abort", "ws_url", "parse_frame"]


async def open_websocket(url: str) -> Any:
    """Opens a WebSocket; the SDK runs its own heartbeat, so the library's pings are off."""
    return await _connect(url, ping_interval=None, max_size=None, close_timeout=2)


def close_info(ws: Any) -> tuple[int, str]:
    """The close code and reason the hub sent (1006 when the connection just dropped)."""
    code = getattr(ws, "close_code", None)
    reason = getattr(ws, "close_reason", None)
    return (int(code) if code is not None else 1006, str(reason or ""))


def abort(ws: Any) -> None:
    """Drops the TCP connection at once (a dead hub never answers a close handshake)."""
    transport = getattr(ws, "transport", None)
    if transport is not None:
        transport.abort()


def ws_url(url: str, token: str | None, client_id: str | None) -> str:
    """The `/ws` URL for a hub URL (http -> ws, https -> wss; a bare host gets `/ws`)."""
    parts = urllib.parse.urlsplit(url)
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
    path = "/ws" if parts.path in ("", "/") else parts.path
    query = dict(urllib.parse.parse_qsl(parts.query))
    if token:
        query["token"] = token
    if client_id:
        query["client_id"] = client_id
    return urllib.parse.urlunsplit((scheme, parts.netloc, path, urllib.parse.urlencode(query), ""))


def parse_frame(raw: str | bytes) -> dict[str, Any] | RealtimeError:
    """A frame as a JSON object, or the error to report for anything else."""
    try:
        frame = json.loads(raw)
    except ValueError:
        frame = None
    if isinstance(frame, dict):
        return frame
    text = raw if isinstance(raw, str) else raw.decode(errors="replace")
    return RealtimeError("RELAYKIT_CLIENT_MALFORMED_FRAME", f"Not a JSON frame: {text[:100]}")
