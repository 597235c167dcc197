"""The WebSocket client's resume bookkeeping (the same rules as @relaykit/realtime's).

A cursor per channel and one for direct messages; after a reconnect one
`subscribe {channels, since}` frame resumes them all from the smallest cursor, so the hub
replays one stream in id order, and events the client already had under a larger cursor
are dropped here. `head` keeps cursors close to the log: every message up to it, on a
live channel or addressed to the client, has reached the client, so when a connection
ends live channels move up to `head` and a quiet channel does not drag the next resume back.
"""

from __future__ import annotations

import builtins

from dataclasses import dataclass

from .types import Cursors, Event
from .wire import SYSTEM_CHANNEL_PREFIX


@dataclass
class _ChannelState:
    cursor: int | None
    live: bool = False


def _is_system(channel: str) -> bool:
    return channel.startswith(SYSTEM_CHANNEL_PREFIX)


class ResumeState:
    def __init__(self, initial: Cursors | None = None) -> None:
        self._channels: dict[str, _ChannelState] = {}
        self._direct: int | None = initial.direct if initial else None
        self._direct_live = False
        self._head: int | None = None
        for channel, cursor in (initial.channels if initial else {}).items():
            self._channels[channel] = _ChannelState(cursor)

    def has(self, channel: str) -> bool:
        return channel in self._channels

    def is_live(self, channel: str) -> bool:
        """Whether the hub confirmed the channel on the current connection."""
        state = self._channels.get(channel)
        return state is not None and state.live

    def list(self) -> builtins.list[str]:
        return list(self._channels)

    def add(self, channel: str, since: int | None = None) -> int | None:
        """Adds a channel; returns the `since` to subscribe it with on the current connection."""
        existing = self._channels.get(channel)
        if existing:
            return existing.cursor
        cursor = None if _is_system(channel) else (since if since is not None else self._head)
        self._channels[channel] = _ChannelState(cursor)
        return cursor

    def remove(self, channel: str) -> None:
        self._channels.pop(channel, None)

    def opened(self, last_id: int) -> None:
        """A connection opened; `last_id` is the newest id of the log at that moment."""
        self._head = last_id
        if self._direct is None:
            self._direct = last_id
        for channel, state in self._channels.items():
            if state.cursor is None and not _is_system(channel):
                state.cursor = last_id

    def resume_frame(self) -> tuple[builtins.list[str], int]:
        """The channels and `since` that resume everything after (re)connecting."""
        since = self._direct if self._direct is not None else (self._head or 0)
        for state in self._channels.values():
            if state.cursor is not None:
                since = min(since, state.cursor)
        return self.list(), since

    def confirmed(self, channels: builtins.list[str], resumed: bool) -> None:
        for channel in channels:
            state = self._channels.get(channel)
            if state:
                state.live = True
        if resumed:
            self._direct_live = True

    def accept(self, event: Event, self_id: str | None) -> bool:
        """Whether `event` is new (False: a duplicate of a resume overlap, or a channel it left);
        moves the cursors when it is."""
        channel = self._channels.get(event.channel) if event.channel is not None else None
        direct = event.to is not None and event.to == self_id
        if event.channel is not None and channel is None and not direct:
            return False
        if event.id is None:
            return True
        if channel is not None and channel.cursor is not None and channel.cursor >= event.id:
            return False
        if direct and self._direct is not None and self._direct >= event.id:
            return False
        if channel is not None:
            channel.cursor = event.id
        if direct:
            self._direct = event.id
        live = (channel.live if channel is not None else not direct) or (direct and self._direct_live)
        if live and (self._head is None or event.id > self._head):
            self._head = event.id
        return True

    def reached(self, id: int) -> None:
        """Everything up to `id` has been delivered (the end of a resume)."""
        if self._head is None or id > self._head:
            self._head = id

    def closed(self) -> None:
        """The connection is gone: live channels move up to `head`, nothing is live any more."""
        head = self._head
        for state in self._channels.values():
            if state.live and head is not None and state.cursor is not None and head > state.cursor:
                state.cursor = head
            state.live = False
        if self._direct_live and head is not None and self._direct is not None and head > self._direct:
            self._direct = head
        self._direct_live = False

    def snapshot(self) -> Cursors:
        def at_least(cursor: int, live: bool) -> int:
            return max(cursor, self._head) if live and self._head is not None else cursor

        channels = {c: at_least(s.cursor, s.live) for c, s in self._channels.items() if s.cursor is not None}
        direct = None if self._direct is None else at_least(self._direct, self._direct_live)
        return Cursors(channels=channels, direct=direct)
