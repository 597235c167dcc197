"""`EventStream`: reads `GET /stream/events` (Server-Sent Events) over raw asyncio HTTP
and resumes with `Last-Event-ID` after every drop: every message once, in id order,
across hub restarts. No dependencies."""

from __future__ import annotations

import asyncio
import json
import random as _random
import ssl
import urllib.parse
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

from ._dispatch import EventQueue, Handler, Listeners, TypeHandlers, run_handlers
from .backoff import Backoff, Sleep, TokenSource, default_sleep, resolve_token
from .errors import HttpError, RealtimeError, error_from_response
from .types import Event
from .wire import SSE_CONNECTED, SSE_GAP

LIFECYCLE = ("connected", "disconnected", "reconnecting", "error", "gap", "event")


class EventStream:
    """One resumable SSE stream. `async for event in stream`, or `on(type, fn)` then `connect()`.

    `token` (a JWT, API key or the admin token, or a provider called with `refresh`) is sent
    as `Authorization: Bearer`. A 401 asks the provider for a fresh token (a fixed token
    stops the stream), other 4xx stop it, anything else is retried with backoff.
    `read_timeout`: nothing read for this long (the hub sends a heartbeat every 15 s)
    means a dead stream."""

    def __init__(
        self,
        url: str,
        *,
        token: TokenSource = None,
        client_id: str | None = None,
        channels: Iterable[str] = (),
        types: Iterable[str] = (),
        last_event_id: int | None = None,
        reconnect: Backoff | None = Backoff(),
        read_timeout: float = 45.0,
        sleep: Sleep = default_sleep,
        random: Callable[[], float] = _random.random,
    ) -> None:
        self._url, self._token, self._client_id = url.rstrip("/"), token, client_id
        self._channels, self._types = list(channels), list(types)
        self.last_event_id = last_event_id
        self._backoff, self._read_timeout, self._sleep, self._random = reconnect, read_timeout, sleep, random
        self._listeners = Listeners(LIFECYCLE)
        self._handlers = TypeHandlers()
        self._queue = EventQueue()
        self._task: asyncio.Task[None] | None = None
        self._opened: asyncio.Future[dict[str, Any]] | None = None
        self.info: dict[str, Any] | None = None
        self.closed = False

    def on(self, type: str, handler: Handler) -> Callable[[], None]:
        return self._handlers.add(type, handler)

    def on_lifecycle(self, name: str, listener: Callable[[Any], Any]) -> Callable[[], None]:
        return self._listeners.add(name, listener)

    async def connect(self) -> dict[str, Any]:
        """Opens the stream; returns the `relaykit.connected` data of the first connection."""
        if self._task is None:
            self._opened = asyncio.get_running_loop().create_future()
            self._task = asyncio.ensure_future(self._run())
        assert self._opened is not None
        return await asyncio.shield(self._opened)

    def __aiter__(self) -> AsyncIterator[Event]:
        if self._task is None:
            asyncio.ensure_future(self.connect())
        return self._queue

    async def close(self) -> None:
        self.closed = True
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        self._queue.close()

    async def __aenter__(self) -> EventStream:
        await self.connect()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def _run(self) -> None:
        attempt, refresh = 0, False
        while not self.closed:
            try:
                await self._read(await resolve_token(self._token, refresh))
                reason, refresh = "the stream ended", False
            except HttpError as error:
                refresh = error.status == 401
                if (error.status or 0) < 500 and not (refresh and callable(self._token)):
                    self._stop(error)
                    return
                reason = f"{error.status} {error.code}"
            except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError) as error:
                reason = f"connection lost: {error!r}"
            if self._backoff is None:
                self._stop(RealtimeError("RELAYKIT_CLIENT_CLOSED", reason))
                return
            self._listeners.emit("disconnected", {"reason": reason, "will_reconnect": True})
            attempt += 1
            delay = self._backoff.delay(attempt, self._random)
            self._listeners.emit("reconnecting", {"attempt": attempt, "delay": delay})
            await self._sleep(delay)

    def _stop(self, error: RealtimeError | HttpError) -> None:
        self.closed = True
        self._listeners.emit("error", error)
        if self._opened is not None and not self._opened.done():
            self._opened.set_exception(error)
        self._queue.close()

    async def _read(self, token: str | None) -> None:
        parts = urllib.parse.urlsplit(self._url)
        secure = parts.scheme == "https"
        host, port = parts.hostname or "localhost", parts.port or (443 if secure else 80)
        query = {"client_id": self._client_id, "channels": ",".join(self._channels) or None}
        query["subscribe"] = ",".join(self._types) or None
        path = f"{parts.path}/stream/events?" + urllib.parse.urlencode({k: v for k, v in query.items() if v})
        headers = {"Host": parts.netloc, "Accept": "text/event-stream", "Cache-Control": "no-cache", "Connection": "close"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if self.last_event_id is not None:
            headers["Last-Event-ID"] = str(self.last_event_id)
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port, ssl=ssl.create_default_context() if secure else None), self._read_timeout
        )
        try:
            request = f"GET {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
            writer.write(request.encode())
            status, response_headers = await self._head(reader)
            chunked = response_headers.get("transfer-encoding", "").lower() == "chunked"
            body = _chunks(reader, self._read_timeout) if chunked else _plain(reader, self._read_timeout)
            if status != 200:
                raw = b"".join([chunk async for chunk in body])
                try:
                    parsed: Any = json.loads(raw)
                except ValueError:
                    parsed = raw.decode(errors="replace")
                raise error_from_response(status, parsed)
            await self._events(body)
        finally:
            writer.close()

    async def _head(self, reader: asyncio.StreamReader) -> tuple[int, dict[str, str]]:
        status_line = await asyncio.wait_for(reader.readline(), self._read_timeout)
        status = int(status_line.split()[1])
        headers: dict[str, str] = {}
        while (line := await asyncio.wait_for(reader.readline(), self._read_timeout)) not in (b"\r\n", b"\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        return status, headers

    async def _events(self, body: AsyncIterator[bytes]) -> None:
        """Parses the event stream and delivers each event."""
        pending = ""
        name, event_id = "message", None
        data: list[str] = []
        async for chunk in body:
            pending += chunk.decode()
            *lines, pending = pending.replace("\r\n", "\n").split("\n")
            for line in lines:
                if line == "":
                    if data:
                        await self._event(name, "\n".join(data), event_id)
                    name, data, event_id = "message", [], None
                elif not line.startswith(":"):
                    field, _, value = line.partition(":")
                    value = value[1:] if value.startswith(" ") else value
                    if field == "event":
                        name = value
                    elif field == "data":
                        data.append(value)
                    elif field == "id":
                        event_id = value

    async def _event(self, name: str, data: str, event_id: str | None) -> None:
        parsed = json.loads(data)
        if name == SSE_CONNECTED:
            self.info = parsed
            self._listeners.emit("connected", parsed)
            if self._opened is not None and not self._opened.done():
                self._opened.set_result(parsed)
            return
        if name == SSE_GAP:
            self._listeners.emit("gap", parsed)
            return
        event = Event.from_wire(parsed) if isinstance(parsed, dict) and "event" in parsed else None
        if event is None:  # `data: payload` streams: the payload alone
            event = Event(int(event_id) if event_id else None, None, name, parsed, None, None, "")
        if event.id is not None:
            if self.last_event_id is not None and event.id <= self.last_event_id:
                return
            self.last_event_id = event.id
        self._queue.put(event)
        self._listeners.emit("event", event)
        await run_handlers(self._handlers.matching(event), event, self._listeners)


async def _plain(reader: asyncio.StreamReader, timeout: float) -> AsyncIterator[bytes]:
    while chunk := await asyncio.wait_for(reader.read(65536), timeout):
        yield chunk


async def _chunks(reader: asyncio.StreamReader, timeout: float) -> AsyncIterator[bytes]:
    """HTTP/1.1 chunked transfer coding."""
    while True:
        size_line = await asyncio.wait_for(reader.readline(), timeout)
        if not size_line:
            raise asyncio.IncompleteReadError(b"", None)
        size = int(size_line.split(b";")[0].strip(), 16)
        if size == 0:
            return
        chunk = await asyncio.wait_for(reader.readexactly(size + 2), timeout)
        yield chunk[:-2]
