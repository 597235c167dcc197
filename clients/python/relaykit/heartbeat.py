"""The `/ws` heartbeat: an application-level ping finds connections that died silently."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import _ws


@dataclass(frozen=True)
class Heartbeat:
    """A ping after `interval` seconds without a frame; no frame `timeout` seconds later
    and the connection is given up (reported as 1006 `heartbeat timeout`) and reopened."""

    interval: float = 15.0
    timeout: float = 10.0


async def watch(
    ws: Any,
    established: asyncio.Event,
    connect_timeout: float,
    heartbeat: Heartbeat | None,
    last_frame: Callable[[], float],
) -> str | None:
    """Watches one connection: returns why to give it up (`connect timeout` when no
    `connected` frame came in time, `heartbeat timeout`), or None when it closed by itself.
    `last_frame` is the loop time of the last frame received."""
    try:
        await asyncio.wait_for(established.wait(), connect_timeout)
    except asyncio.TimeoutError:
        return "connect timeout"
    if heartbeat is None:
        return None
    loop = asyncio.get_running_loop()
    while True:
        idle = loop.time() - last_frame()
        if idle < heartbeat.interval:
            await asyncio.sleep(heartbeat.interval - idle)
            continue
        pinged_at = loop.time()
        try:
            await ws.send(json.dumps({"type": "ping"}))
        except _ws.ConnectionClosed:
            return None
        await asyncio.sleep(heartbeat.timeout)
        if last_frame() < pinged_at:
            return "heartbeat timeout"
