"""`Channel`: one subscribed channel of a `RealtimeClient`, read with handlers or `async for`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from ._dispatch import EventQueue, Handler, TypeHandlers

if TYPE_CHECKING:
    from .realtime import RealtimeClient


class Channel:
    """A subscribed channel: `on(type, fn)` handlers, or `async for event in channel`
    (one consumer per handle; events are queued from the moment the handle exists,
    until `on()` is used on it)."""

    def __init__(self, client: RealtimeClient, name: str) -> None:
        self.name = name
        self._unsubscribe: Callable[[list[str]], Awaitable[None]] = client.unsubscribe
        self.handlers = TypeHandlers()
        self.queue: EventQueue | None = EventQueue()

    def on(self, type: str, handler: Handler) -> Callable[[], None]:
        if self.queue is not None and self.queue.empty():
            self.queue = None  # handler mode: nothing queues up unread
        return self.handlers.add(type, handler)

    def __aiter__(self) -> EventQueue:
        if self.queue is None:
            self.queue = EventQueue()
        return self.queue

    async def unsubscribe(self) -> None:
        await self._unsubscribe([self.name])
