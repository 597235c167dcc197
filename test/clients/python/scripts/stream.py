"""Follows an SSE stream with relaykit.EventStream and prints each event as a JSON line.
RK_URL, RK_CLIENT_ID, RK_CHANNELS; RK_LAST_EVENT_ID (optional) resumes from there."""

import asyncio
import json
import os

import relaykit


def emit(kind, **fields):
    print(json.dumps({"kind": kind, **fields}), flush=True)


async def main():
    env = os.environ
    last = env.get("RK_LAST_EVENT_ID")
    stream = relaykit.EventStream(
        env["RK_URL"],
        client_id=env["RK_CLIENT_ID"],
        channels=env["RK_CHANNELS"].split(","),
        last_event_id=int(last) if last else None,
        reconnect=relaykit.Backoff(initial=0.05, max=0.3),
    )
    stream.on_lifecycle("connected", lambda info: emit("connected", **info))
    stream.on_lifecycle("disconnected", lambda d: emit("disconnected", **d))
    stream.on_lifecycle("gap", lambda g: emit("gap", **g))
    async for event in stream:
        emit("event", id=event.id, channel=event.channel, type=event.type, data=event.data, to=event.to)
        if event.type == "stop":
            break
    await stream.close()


asyncio.run(main())
