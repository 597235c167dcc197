"""Relaykit's Python SDK: REST (`HubClient`), WebSocket with lossless resume
(`RealtimeClient`) and Server-Sent Events (`EventStream`), asyncio-first and typed.

    import asyncio, relaykit

    async def main():
        hub = relaykit.HubClient("http://127.0.0.1:3000")
        await hub.send("task.created", {"title": "Write docs"}, channel="tasks")
        async with relaykit.RealtimeClient("http://127.0.0.1:3000", client_id="worker") as rt:
            async for event in rt.channel("tasks"):
                print(event.id, event.type, event.data)

    asyncio.run(main())
"""

from .backoff import Backoff, TokenProvider, TokenSource
from .errors import (
    BadRequestError,
    ConflictError,
    ErrorCode,
    ForbiddenError,
    HttpError,
    HubUnreachableError,
    MessageNotFoundError,
    NotFoundError,
    PayloadTooLargeError,
    PluginNotFoundError,
    RateLimitedError,
    RealtimeError,
    RelaykitError,
    ServerError,
    UnauthorizedError,
    UnavailableError,
    UnsupportedMediaTypeError,
    ValidationError,
)
from .channel import Channel
from .heartbeat import Heartbeat
from .realtime import RealtimeClient
from .rest import HubClient
from .sse import EventStream
from .types import ConnectedInfo, Cursors, DisconnectedInfo, Event, Message, MessagePage
from .wire import CloseCode

__version__ = "0.1.0"

__all__ = [
    "Backoff",
    "BadRequestError",
    "Channel",
    "CloseCode",
    "ConflictError",
    "ConnectedInfo",
    "Cursors",
    "DisconnectedInfo",
    "ErrorCode",
    "Event",
    "EventStream",
    "ForbiddenError",
    "Heartbeat",
    "HttpError",
    "HubClient",
    "HubUnreachableError",
    "Message",
    "MessageNotFoundError",
    "MessagePage",
    "NotFoundError",
    "PayloadTooLargeError",
    "PluginNotFoundError",
    "RateLimitedError",
    "RealtimeClient",
    "RealtimeError",
    "RelaykitError",
    "ServerError",
    "TokenProvider",
    "TokenSource",
    "UnauthorizedError",
    "UnavailableError",
    "UnsupportedMediaTypeError",
    "ValidationError",
]
