"""Handler registries and event queues shared by the realtime clients.

Accepted events are dispatched by one task, in order: a handler may be sync or async (an
async handler is awaited before the next event), and may itself call the client (e.g.
`await hub.publish(...)`) since reading frames never waits for handlers. A handler that
raises never breaks the client: the error goes to the `error` listeners (or the log).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable
from typing import Any

from .errors import RealtimeError
from .types import Event

Handler = Callable[[Event], Any]
log = logging.getLogger("relaykit")


class Listeners:
    """Named lifecycle listeners (`connected`, `disconnected`, `reconnecting`, `error`, `gap`, `event`)."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self._names = names
        self._by_name: dict[str, list[Callable[[Any], Any]]] = {name: [] for name in names}

    def add(self, name: str, listener: Callable[[Any], Any]) -> Callable[[], None]:
        if name not in self._by_name:
            raise ValueError(f"unknown lifecycle event {name!r}: one of {', '.join(self._names)}")
        self._by_name[name].append(listener)
        return lambda: self._by_name[name].remove(listener) if listener in self._by_name[name] else None

    def has(self, name: str) -> bool:
        return bool(self._by_name[name])

    def emit(self, name: str, value: Any) -> None:
        """Calls the listeners now; coroutine listeners run as tasks."""
        for listener in list(self._by_name[name]):
            try:
                result = listener(value)
                if inspect.isawaitable(result):
                    asyncio.ensure_future(result)
            except Exception as error:  # noqa: BLE001 - a listener must not break the client
                if name == "error":
                    log.exception("a relaykit error listener raised", exc_info=error)
                else:
                    self.report(error)

    def report(self, error: BaseException) -> None:
        wrapped = RealtimeError("RELAYKIT_CLIENT_HANDLER_FAILED", f"A handler raised: {error!r}", details=error)
        if self.has("error"):
            self.emit("error", wrapped)
        else:
            log.error("a relaykit handler raised", exc_info=error)


class EventQueue:
    """An async iterator over events (`async for event in queue`); ends when closed."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[Event | None] = asyncio.Queue()
        self.closed = False

    def put(self, event: Event) -> None:
        if not self.closed:
            self._queue.put_nowait(event)

    def empty(self) -> bool:
        """Whether no event is waiting to be read."""
        return self._queue.empty()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._queue.put_nowait(None)

    def __aiter__(self) -> EventQueue:
        return self

    async def __anext__(self) -> Event:
        item = await self._queue.get()
        if item is None:
            raise StopAsyncIteration
        return item


class TypeHandlers:
    """Handlers by message type (`"*"`: every type)."""

    def __init__(self) -> None:
        self._by_type: dict[str, list[Handler]] = {}

    def add(self, type: str, handler: Handler) -> Callable[[], None]:
        handlers = self._by_type.setdefault(type, [])
        handlers.append(handler)
        return lambda: handlers.remove(handler) if handler in handlers else None

    def matching(self, event: Event) -> list[Handler]:
        return [*self._by_type.get(event.type, ()), *self._by_type.get("*", ())]

    def __bool__(self) -> bool:
        return any(self._by_type.values())


async def run_handlers(handlers: list[Handler], event: Event, listeners: Listeners) -> None:
    for handler in handlers:
        try:
            result = handler(event)
            if inspect.isawaitable(result):
                await result
        except Exception as error:  # noqa: BLE001 - reported, never breaks delivery
            listeners.report(error)
