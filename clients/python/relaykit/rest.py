"""`HubClient`: the hub's HTTP API (messages, admin) with the standard library only."""

from __future__ import annotations

import builtins

from collections.abc import AsyncIterator, Mapping
from typing import Any, cast

from ._http import Query, join_url, request_json
from .types import Message, MessagePage


class HubClient:
    """Calls one hub's REST API. Every method raises the typed `HttpError` of the hub's
    answer (`NotFoundError`, `ValidationError`, ...) or `HubUnreachableError`.

    `token` is sent as `Authorization: Bearer …`: a JWT, an API key or the admin token
    (admin operations need the admin token). `headers` are added to every request.
    """

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        timeout: float = 10.0,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self._headers = dict(headers or {})
        if token:
            self._headers["authorization"] = f"Bearer {token}"

    async def request(self, method: str, path: str, *, query: Query | None = None, body: Any = None) -> Any:
        """Any route: returns the parsed JSON answer (for routes this class has no method for)."""
        url = join_url(self.url, path, query)
        return await request_json(method, url, headers=self._headers, json_body=body, timeout=self.timeout)

    # ---- messages ----

    async def send(
        self,
        type: str,
        payload: Any,
        *,
        channel: str | None = None,
        to: str | None = None,
        sender: str | None = None,
        ttl: int | None = None,
    ) -> Message:
        """Posts a message on `channel` and/or `to` a client; returns it as stored (with its `id`)."""
        body: dict[str, Any] = {"type": type, "payload": payload}
        for key, value in (("channel", channel), ("to", to), ("from", sender), ("ttl", ttl)):
            if value is not None:
                body[key] = value
        return cast(Message, await self.request("POST", "/messages", body=body))

    async def list(
        self,
        *,
        channel: str | None = None,
        client: str | None = None,
        type: str | None = None,
        after: int | None = None,
        limit: int | None = None,
    ) -> MessagePage:
        """One page of messages in id order after `after`; `client` selects those sent to it."""
        query = {"channel": channel, "client": client, "type": type, "after": after, "limit": limit}
        return cast(MessagePage, await self.request("GET", "/messages", query=query))

    async def messages(
        self,
        *,
        channel: str | None = None,
        client: str | None = None,
        type: str | None = None,
        after: int | None = None,
        page_size: int = 100,
    ) -> AsyncIterator[Message]:
        """Every matching message, page after page (follows `nextCursor` until the end)."""
        cursor = after
        while True:
            page = await self.list(channel=channel, client=client, type=type, after=cursor, limit=page_size)
            for message in page["messages"]:
                yield message
            cursor = page.get("nextCursor")
            if cursor is None or not page["messages"]:
                return

    async def get(self, id: int) -> Message:
        return cast(Message, await self.request("GET", f"/messages/{int(id)}"))

    async def ack(self, id: int, *, by: str | None = None) -> Message:
        """Marks a message delivered (`by`: who acknowledged it)."""
        body = {"by": by} if by is not None else {}
        return cast(Message, await self.request("POST", f"/messages/{int(id)}/ack", body=body))

    # ---- admin (the admin token) ----

    async def plugins(self) -> builtins.list[dict[str, Any]]:
        """Every plugin with its state (`GET /admin/plugins`)."""
        return cast("list[dict[str, Any]]", await self.request("GET", "/admin/plugins"))

    async def update_plugin(
        self, name: str, *, enabled: bool | None = None, options: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Enables, disables or reconfigures a plugin, hot (`PATCH /admin/plugins/{name}`):
        `options` are merged into the current ones (None values remove a field).
        Returns `{"changes": [...], "plugins": [...]}`."""
        body: dict[str, Any] = {}
        if enabled is not None:
            body["enabled"] = enabled
        if options is not None:
            body["options"] = dict(options)
        return cast("dict[str, Any]", await self.request("PATCH", f"/admin/plugins/{name}", body=body))

    async def reload_config(self) -> dict[str, Any]:
        """Reloads the hub's config file (`POST /admin/reload`); returns the changes."""
        return cast("dict[str, Any]", await self.request("POST", "/admin/reload"))

    async def broadcast(self, type: str, data: Any, *, channel: str | None = None) -> dict[str, Any]:
        """Broadcasts over WebSocket (`POST /ws/broadcast`): to a channel, or every client."""
        body: dict[str, Any] = {"type": type, "data": data}
        if channel is not None:
            body["channel"] = channel
        return cast("dict[str, Any]", await self.request("POST", "/ws/broadcast", body=body))

    async def health(self) -> dict[str, Any]:
        """The hub's health report (`GET /health/status`)."""
        return cast("dict[str, Any]", await self.request("GET", "/health/status"))
