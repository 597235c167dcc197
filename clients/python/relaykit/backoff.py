"""Reconnect delays and tokens, shared by the WebSocket and SSE clients."""

from __future__ import annotations

import asyncio
import inspect
import random as _random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Union

#: Sleeps for a number of seconds; injectable so tests (or apps) can hold reconnects.
Sleep = Callable[[float], Awaitable[None]]

#: Called before every connection attempt with `refresh=True` after the hub refused or
#: expired the previous token; may be async.
TokenProvider = Callable[[bool], Union[str, None, Awaitable[Union[str, None]]]]
TokenSource = Union[str, TokenProvider, None]


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with jitter: `initial × factor^(attempt-1)`, capped at `max`,
    minus up to `jitter` of it at random (so clients that lost the same hub do not
    return in lockstep). Seconds."""

    initial: float = 0.5
    max: float = 30.0
    factor: float = 2.0
    jitter: float = 0.5

    def delay(self, attempt: int, random: Callable[[], float] = _random.random) -> float:
        """The delay before retry number `attempt` (1 for the first retry)."""
        exponential = self.initial * self.factor ** max(0, attempt - 1)
        capped = min(self.max, exponential)
        jitter = min(1.0, max(0.0, self.jitter))
        return capped * (1 - jitter * random())


async def resolve_token(source: TokenSource, refresh: bool) -> str | None:
    if source is None or isinstance(source, str):
        return source
    value = source(refresh)
    token = await value if inspect.isawaitable(value) else value
    return token or None


default_sleep: Sleep = asyncio.sleep
