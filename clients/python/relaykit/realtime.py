"""`RealtimeClient`: the `/ws` protocol with reconnects, resubscription and lossless resume.

Guarantees (the same as @relaykit/realtime's): every event once, in id order, across
reconnects, hub restarts and crashes. After any reconnect the client sends one
`subscribe {channels, since}` frame, holds back what arrives until the hub confirms, then
delivers the replay in id order and drops what it already had. Reconnects back off
exponentially with jitter; an application-level heartbeat finds dead connections; a token
provider is asked for a fresh token after the hub closed with 4001.
"""

from __future__ import annotations

import asyncio
import random as _random
from collections.abc import Callable, Iterable
from typing import Any, Literal

from . import _ws
from ._ws import parse_frame, ws_url
from ._dispatch import EventQueue, Handler, Listeners, TypeHandlers, run_handlers
from ._requests import Requests, named_channels
from .channel import Channel
from .heartbeat import Heartbeat, watch
from .backoff import Backoff, Sleep, TokenSource, default_sleep, resolve_token
from .errors import RealtimeError
from .resume import ResumeState
from .types import ConnectedInfo, Cursors, DisconnectedInfo, Event
from .wire import CloseCode

State = Literal["idle", "connecting", "resuming", "open", "waiting", "closed"]
LIFECYCLE = ("connected", "disconnected", "reconnecting", "error", "gap", "event")


class RealtimeClient:
    """One connection to a hub's `/ws`. Use as `async with RealtimeClient(...) as hub:`
    or call `connect()` / `close()`."""

    def __init__(
        self,
        url: str,
        *,
        token: TokenSource = None,
        client_id: str | None = None,
        channels: Iterable[str] = (),
        cursors: Cursors | None = None,
        reconnect: Backoff | None = Backoff(),
        heartbeat: Heartbeat | None = Heartbeat(),
        connect_timeout: float = 10.0,
        request_timeout: float = 10.0,
        sleep: Sleep = default_sleep,
        random: Callable[[], float] = _random.random,
    ) -> None:
        self._url, self._token, self._client_id = url, token, client_id
        self._backoff, self._heartbeat = reconnect, heartbeat
        self._connect_timeout = connect_timeout
        self._sleep, self._random = sleep, random
        self._resume = ResumeState(cursors)
        self._channels: dict[str, Channel] = {}
        self._listeners = Listeners(LIFECYCLE)
        self._handlers = TypeHandlers()
        self._direct = TypeHandlers()
        self._queues: list[EventQueue] = []
        self.state: State = "idle"
        self.info: ConnectedInfo | None = None
        self._self: str | None = None
        self._ws: Any = None
        self._buffer: list[Event] = []
        self._requests = Requests(request_timeout, lambda error: self._listeners.emit("error", error))
        self._waiters: list[asyncio.Future[None]] = []
        self._attempt = 0
        self._had_connection = False
        self._last_frame = 0.0
        self._override: tuple[int, str] | None = None
        self._run_task: asyncio.Task[None] | None = None
        self._deliveries: asyncio.Queue[Event | None] = asyncio.Queue()
        self._dispatch_task: asyncio.Task[None] | None = None
        for name in channels:
            # No queue for these until iterated: a client using handlers only must not accumulate events.
            self.channel(name).queue = None

    # ---- public API ----

    def on(self, type: str, handler: Handler) -> Callable[[], None]:
        """Handler for one message type on any channel (or direct); `"*"` for every type."""
        return self._handlers.add(type, handler)

    def on_direct(self, handler: Handler) -> Callable[[], None]:
        """Handler for messages addressed `to` this client."""
        return self._direct.add("*", handler)

    def on_lifecycle(self, name: str, listener: Callable[[Any], Any]) -> Callable[[], None]:
        """`connected` (ConnectedInfo), `disconnected` (DisconnectedInfo), `reconnecting`
        ({attempt, delay}), `error` (RealtimeError), `gap` ({channels, since}), `event` (Event)."""
        return self._listeners.add(name, listener)

    def channel(self, name: str, *, since: int | None = None) -> Channel:
        """Subscribes (now or at the next connection) and returns the channel's handle;
        a refusal goes to the `error` listeners."""
        return self._handle(name, since, subscribe_now=True)

    def _handle(self, name: str, since: int | None, subscribe_now: bool) -> Channel:
        handle = self._channels.get(name)
        if handle is None:
            handle = self._channels[name] = Channel(self, name)
            self._resume.add(name, since)
            if subscribe_now and self.state == "open":
                asyncio.ensure_future(self._subscribe_reporting([name]))
        return handle

    def events(self) -> EventQueue:
        """Every event the client receives, as an async iterator (ends at `close()`)."""
        queue = EventQueue()
        self._queues.append(queue)
        return queue

    async def subscribe(self, channels: Iterable[str], *, since: int | None = None) -> None:
        """Subscribes and waits for the hub's confirmation (raises the hub's refusal)."""
        names = list(channels)
        for name in names:
            self._handle(name, since, subscribe_now=False)
        await self.connect()
        waiting = [name for name in names if not self._resume.is_live(name)]
        if waiting:
            await self._subscribe_now(waiting)

    async def unsubscribe(self, channels: Iterable[str]) -> None:
        """Leaves channels; their cursors are forgotten."""
        names = list(channels)
        for name in names:
            self._resume.remove(name)
            handle = self._channels.pop(name, None)
            if handle and handle.queue:
                handle.queue.close()
        if self.state == "open":
            await self._request({"type": "unsubscribe", "channels": names})

    async def publish(self, channel: str, type: str, payload: Any, *, to: str | None = None) -> int:
        """Publishes (the token's `publish` claim must allow it); returns the stored message id.
        Raises `RELAYKIT_CLIENT_DISCONNECTED` if the connection drops before the hub confirmed."""
        await self.connect()
        frame: dict[str, Any] = {"type": "publish", "channel": channel, "event": type, "payload": payload}
        if to is not None:
            frame["to"] = to
        return int((await self._request(frame))["message_id"])

    async def ping(self) -> str:
        await self.connect()
        return str((await self._request({"type": "ping"}))["server_time"])

    async def subscriptions(self) -> list[str]:
        await self.connect()
        return list((await self._request({"type": "get_subscriptions"}))["channels"])

    def cursors(self) -> Cursors:
        """The resume point to persist and pass back as `cursors`."""
        return self._resume.snapshot()

    async def connect(self) -> ConnectedInfo:
        """Connects (retrying with backoff); returns once every subscription is resumed."""
        if self.state == "closed":
            raise RealtimeError("RELAYKIT_CLIENT_CLOSED", "The client is closed")
        if self._run_task is None:
            self._dispatch_task = asyncio.ensure_future(self._dispatch())
            self._run_task = asyncio.ensure_future(self._run())
        if self.state != "open":
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            await waiter
        assert self.info is not None
        return self.info

    async def close(self) -> None:
        """Closes for good: no reconnect; pending requests fail; iterators end."""
        if self.state == "closed":
            return
        was_connected = self._ws is not None and self.state in ("resuming", "open")
        self.state = "closed"
        ws, self._ws = self._ws, None
        if ws is not None:
            await ws.close(int(CloseCode.NORMAL), "client closed")
        if self._run_task is not None:
            self._run_task.cancel()
        self._gone()
        self._fail_waiters(RealtimeError("RELAYKIT_CLIENT_CLOSED", "The client was closed"))
        if was_connected:
            self._listeners.emit("disconnected", DisconnectedInfo(1000, "client closed", False))
        self._deliveries.put_nowait(None)
        if self._dispatch_task is not None:
            await self._dispatch_task
        for queue in [*self._queues, *(c.queue for c in self._channels.values() if c.queue)]:
            queue.close()

    async def __aenter__(self) -> RealtimeClient:
        await self.connect()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    # ---- connection loop ----

    async def _run(self) -> None:
        refresh = False
        while self.state != "closed":
            self.state = "connecting"
            code, reason, was_connected = await self._connection(refresh)
            if self._closed():
                return
            self._gone()
            refresh = code == CloseCode.UNAUTHORIZED
            # Retrying cannot fix a forbidden client id, nor a refused token nobody can refresh.
            fatal = code == CloseCode.FORBIDDEN or (refresh and not callable(self._token))
            if fatal or self._backoff is None:
                if fatal:
                    message = f"The hub closed the connection: {code} {reason}"
                    self._listeners.emit("error", RealtimeError("RELAYKIT_CLIENT_REFUSED", message))
                self.state = "closed"
                self._fail_waiters(RealtimeError("RELAYKIT_CLIENT_CLOSED", f"The client stopped: {code} {reason}"))
                if was_connected:
                    self._listeners.emit("disconnected", DisconnectedInfo(code, reason, False))
                self._deliveries.put_nowait(None)
                return
            if was_connected:
                self._listeners.emit("disconnected", DisconnectedInfo(code, reason, True))
            self._attempt += 1
            delay = self._backoff.delay(self._attempt, self._random)
            self.state = "waiting"
            self._listeners.emit("reconnecting", {"attempt": self._attempt, "delay": delay})
            await self._sleep(delay)

    async def _connection(self, refresh: bool) -> tuple[int, str, bool]:
        """One connection, from opening to its end: (close code, reason, whether it got `connected`)."""
        try:
            token = await resolve_token(self._token, refresh)
        except Exception as error:  # noqa: BLE001 - reported; the next attempt asks again
            self._listeners.emit("error", RealtimeError("RELAYKIT_CLIENT_TOKEN_FAILED", repr(error)))
            return 1006, "the token provider failed", False
        try:
            ws = await asyncio.wait_for(_ws.open_websocket(self._ws_url(token)), self._connect_timeout)
        except Exception as error:  # noqa: BLE001 - refused, reset, timed out: all retried
            return 1006, f"could not connect: {error}", False
        if self.state == "closed":
            await ws.close()
            return 1000, "client closed", False
        self._ws, self._override = ws, None
        loop = asyncio.get_running_loop()
        self._last_frame = loop.time()
        established = asyncio.Event()
        watchdog = asyncio.ensure_future(self._watch(ws, established))
        resume: asyncio.Future[None] | None = None
        try:
            async for raw in ws:
                self._last_frame = loop.time()
                frame = self._parse(raw)
                if frame is None:
                    continue
                kind = frame.get("type")
                if kind == "connected":
                    established.set()
                    # Identity and cursors first, in this tick: the frames right behind it are held back.
                    self._self = frame["client_id"]
                    self._resume.opened(int(frame["last_id"]))
                    self.state, self._buffer = "resuming", []
                    resume = asyncio.ensure_future(self._resume_on(ws, frame))
                elif kind == "event":
                    event = Event.from_wire(frame)
                    if self.state == "resuming":
                        self._buffer.append(event)
                    else:
                        self._deliver(event)
                else:
                    self._requests.settle(frame)
        except _ws.ConnectionClosed:
            pass
        finally:
            watchdog.cancel()
            if resume is not None:
                resume.cancel()
            if self._ws is ws:
                self._ws = None
        code, reason = self._override or _ws.close_info(ws)
        return code, reason, established.is_set()

    async def _watch(self, ws: Any, established: asyncio.Event) -> None:
        """Gives up a connection not answered by `connected` in time, or found dead by the heartbeat."""
        reason = await watch(ws, established, self._connect_timeout, self._heartbeat, lambda: self._last_frame)
        if reason is not None:
            self._abort(ws, reason)

    def _abort(self, ws: Any, reason: str) -> None:
        self._override = (1006, reason)
        _ws.abort(ws)

    async def _resume_on(self, ws: Any, frame: dict[str, Any]) -> None:
        """A connection opened: resume every channel and the direct messages in one frame."""
        reconnected, self._had_connection = self._had_connection, True
        replayed = 0
        while True:
            channels, since = self._resume.resume_frame()
            try:
                reply = await self._request({"type": "subscribe", "channels": channels, "since": since})
            except RealtimeError as error:
                if self._ws is not ws or error.code == "RELAYKIT_CLIENT_DISCONNECTED":
                    return
                self._listeners.emit("error", error)
                refused = named_channels(error)
                if refused:
                    for name in refused:
                        self._resume.remove(name)
                    continue
                self._flush()
                break
            self._resume.confirmed(channels, True)
            replayed = self._flush()
            if reply.get("recovered") is False:
                self._listeners.emit("gap", {"channels": channels, "since": since})
            break
        self.state, self._attempt = "open", 0
        self.info = ConnectedInfo(
            client_id=frame["client_id"],
            auth=frame["auth"],
            system=bool(frame["system"]),
            last_id=int(frame["last_id"]),
            reconnected=reconnected,
            replayed=replayed,
        )
        self._listeners.emit("connected", self.info)
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)
        # Channels added while the resume was in flight.
        late = [name for name in self._resume.list() if name not in channels]
        if late:
            await self._subscribe_reporting(late)

    def _flush(self) -> int:
        """Delivers what arrived during the resume, in id order, without duplicates."""
        events = sorted(self._buffer, key=lambda e: e.id if e.id is not None else float("inf"))
        self._buffer = []
        delivered = sum(1 for event in events if self._deliver(event))
        for event in events:
            if event.id is not None:
                self._resume.reached(event.id)
        return delivered

    def _deliver(self, event: Event) -> bool:
        if not self._resume.accept(event, self._self):
            return False
        self._deliveries.put_nowait(event)
        for queue in self._queues:
            queue.put(event)
        handle = self._channels.get(event.channel) if event.channel is not None else None
        if handle is not None and handle.queue is not None:
            handle.queue.put(event)
        return True

    async def _dispatch(self) -> None:
        while (event := await self._deliveries.get()) is not None:
            self._listeners.emit("event", event)
            handlers = self._handlers.matching(event)
            handle = self._channels.get(event.channel) if event.channel is not None else None
            if handle is not None:
                handlers += handle.handlers.matching(event)
            if event.to is not None and event.to == self._self:
                handlers += self._direct.matching(event)
            await run_handlers(handlers, event, self._listeners)

    # ---- requests ----

    async def _request(self, frame: dict[str, Any]) -> dict[str, Any]:
        return await self._requests.send(self._ws, frame)

    async def _subscribe_now(self, names: list[str]) -> None:
        by_since: dict[int | None, list[str]] = {}
        for name in names:
            by_since.setdefault(self._resume.add(name), []).append(name)
        for since, group in by_since.items():
            frame: dict[str, Any] = {"type": "subscribe", "channels": group}
            if since is not None:
                frame["since"] = since
            try:
                await self._request(frame)
            except RealtimeError as error:
                for name in named_channels(error) or group:
                    self._resume.remove(name)
                    self._channels.pop(name, None)
                raise
            self._resume.confirmed(group, False)

    async def _subscribe_reporting(self, names: list[str]) -> None:
        try:
            await self._subscribe_now(names)
        except RealtimeError as error:
            if error.code != "RELAYKIT_CLIENT_DISCONNECTED":
                self._listeners.emit("error", error)

    # ---- helpers ----

    def _ws_url(self, token: str | None) -> str:
        # Anonymous clients keep the id the hub gave them, so their direct messages follow them.
        return ws_url(self._url, token, self._client_id or (None if token else self._self))

    def _parse(self, raw: str | bytes) -> dict[str, Any] | None:
        frame = parse_frame(raw)
        if isinstance(frame, RealtimeError):
            self._listeners.emit("error", frame)
            return None
        return frame

    def _closed(self) -> bool:
        """Whether `close()` ran (it may have while a connection was awaited)."""
        return self.state == "closed"

    def _gone(self) -> None:
        self._resume.closed()
        self._buffer = []
        self._requests.fail_all(RealtimeError("RELAYKIT_CLIENT_DISCONNECTED", "The connection to the hub was lost"))

    def _fail_waiters(self, error: RealtimeError) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_exception(error)

