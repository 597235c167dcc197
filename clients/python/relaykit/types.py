"""The shapes the SDK returns, as typed dictionaries (the hub's JSON, keys unchanged)
and the transport-neutral `Event` of the realtime clients."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, TypedDict

# `from` is a Python keyword: the functional form keeps the hub's key.
Message = TypedDict(
    "Message",
    {
        "id": int,
        "from": "str | None",
        "to": "str | None",
        "channel": "str | None",
        "type": str,
        "payload": Any,
        "createdAt": str,
        "expiresAt": "str | None",
        "deliveredAt": "str | None",
    },
)


class MessagePage(TypedDict):
    """One page of `GET /messages`: pass `nextCursor` as `after` for the next (None: no more)."""

    messages: list[Message]
    nextCursor: int | None


@dataclass(frozen=True)
class Event:
    """One event, whatever the transport: a stored message (`id` is its event-log id, the
    resume cursor) or a hub event on a `$hub:` system channel (`id` None: live only)."""

    id: int | None
    #: The channel it was posted on (None for a direct message or a broadcast to everyone).
    channel: str | None
    #: The message type (`task.created`) or the hub event's name (`plugin.enabled`).
    type: str
    data: Any
    #: The sender's client id (the wire's `from`).
    sender: str | None
    #: The addressee's client id, for a direct message.
    to: str | None
    #: When the hub stored it (ISO 8601).
    timestamp: str

    @staticmethod
    def from_wire(frame: dict[str, Any]) -> "Event":
        """From an `event` frame, or the SSE envelope (the same fields without `type`)."""
        return Event(
            id=frame.get("id"),
            channel=frame.get("channel"),
            type=str(frame.get("event")),
            data=frame.get("data"),
            sender=frame.get("from"),
            to=frame.get("to"),
            timestamp=str(frame.get("timestamp", "")),
        )


@dataclass(frozen=True)
class ConnectedInfo:
    """What a realtime client reports once a connection is open and resumed."""

    client_id: str
    auth: Literal["anonymous", "jwt", "admin"]
    #: Whether the client may subscribe to `$hub:` system channels.
    system: bool
    #: The newest event-log id when this connection opened.
    last_id: int
    #: False for the first connection, True after a reconnect.
    reconnected: bool
    #: Events the resume replayed (after dropping those the client already had).
    replayed: int


@dataclass(frozen=True)
class DisconnectedInfo:
    code: int
    reason: str
    #: False when the client stops: `close()`, no reconnect, or a refusal retrying cannot fix.
    will_reconnect: bool


@dataclass(frozen=True)
class Cursors:
    """Where a client is in the hub's event log; persist it to resume after your app restarts."""

    channels: dict[str, int]
    direct: int | None
