"""Request frames and their replies on one `/ws` connection: each request carries an `id`,
the hub's reply (or `error` frame) with that id settles it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from . import _ws
from .errors import RealtimeError


class Requests:
    """The requests in flight. `send` is given the open WebSocket (or None when disconnected)."""

    def __init__(self, timeout: float, report: Callable[[RealtimeError], None]) -> None:
        self._timeout = timeout
        self._report = report
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._next_id = 0

    async def send(self, ws: Any, frame: dict[str, Any]) -> dict[str, Any]:
        """Sends `frame` with a fresh id and waits for its reply; an `error` reply raises."""
        self._next_id += 1
        request_id = self._next_id
        reply: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = reply
        try:
            if ws is None:
                raise RealtimeError("RELAYKIT_CLIENT_DISCONNECTED", "Not connected")
            try:
                await ws.send(json.dumps({**frame, "id": request_id}))
            except _ws.ConnectionClosed as error:
                raise RealtimeError("RELAYKIT_CLIENT_DISCONNECTED", "The connection to the hub was lost") from error
            try:
                return await asyncio.wait_for(reply, self._timeout)
            except asyncio.TimeoutError:
                raise RealtimeError("RELAYKIT_CLIENT_TIMEOUT", f"No reply to {frame['type']}") from None
        finally:
            self._pending.pop(request_id, None)

    def settle(self, frame: dict[str, Any]) -> None:
        """A reply frame: settles its request; an `error` frame nobody waits for is reported."""
        reply = self._pending.get(frame["id"]) if "id" in frame else None
        if reply is not None and not reply.done():
            if frame.get("type") == "error":
                reply.set_exception(frame_error(frame))
            else:
                reply.set_result(frame)
        elif frame.get("type") == "error":
            self._report(frame_error(frame))

    def fail_all(self, error: RealtimeError) -> None:
        """The connection is gone: every request in flight raises `error`."""
        for reply in list(self._pending.values()):
            if not reply.done():
                reply.set_exception(error)


def frame_error(frame: dict[str, Any]) -> RealtimeError:
    return RealtimeError(str(frame.get("code")), str(frame.get("message", "")), details=frame.get("details"))


def named_channels(error: RealtimeError) -> list[str]:
    """The channels a `subscribe` refusal names in its details."""
    details = error.details if isinstance(error.details, list) else []
    return [d["channel"] for d in details if isinstance(d, dict) and isinstance(d.get("channel"), str)]
