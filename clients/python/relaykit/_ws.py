"""The `websockets` package behind one small surface (10.4, Debian 12's, up to the
current asyncio implementation)."""

from __future__ import annotations

from typing import Any

try:  # websockets >= 13
    from websockets.asyncio.client import connect as _connect
except ImportError:  # pragma: no cover - older websockets
    from websockets.client import connect as _connect  # type: ignore[no-redef]
from websockets.exceptions import ConnectionClosed

__all__ = ["ConnectionClosed", "open_websocket", "close_info", "abort"]


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
