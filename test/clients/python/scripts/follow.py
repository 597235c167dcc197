"""Runs a relaykit.RealtimeClient for a test and reports everything as JSON lines.

Environment: RK_URL, RK_CLIENT_ID, RK_CHANNELS (comma-separated), RK_BACKOFF
("initial,max" seconds), RK_HEARTBEAT ("interval,timeout" seconds; absent: default),
RK_ASK_TOKEN=1 (a token provider that prints `token` with `refresh` and waits for the
test's `token <jwt>` command), RK_FIXED_TOKEN (a token string, not a provider).
Commands on stdin, one per line: `hold` (reconnect waits), `release`, `cursors`,
`publish <channel> <type> <json>`, `subscribe <channel>`, `token <jwt>`, `close`.
"""

import asyncio
import json
import os
import sys

import relaykit


def emit(kind, **fields):
    print(json.dumps({"kind": kind, **fields}), flush=True)


def event_dict(e):
    return {"id": e.id, "channel": e.channel, "type": e.type, "data": e.data, "sender": e.sender, "to": e.to}


async def main():
    env = os.environ
    gate = asyncio.Event()
    gate.set()

    async def sleep(seconds):
        emit("sleep", seconds=seconds)
        await gate.wait()
        await asyncio.sleep(seconds)

    tokens: asyncio.Queue = asyncio.Queue()

    async def provider(refresh):
        emit("token", refresh=refresh)
        return await tokens.get()

    initial, maximum = (float(x) for x in env.get("RK_BACKOFF", "0.05,0.5").split(","))
    heartbeat = relaykit.Heartbeat()
    if env.get("RK_HEARTBEAT"):
        interval, timeout = (float(x) for x in env["RK_HEARTBEAT"].split(","))
        heartbeat = relaykit.Heartbeat(interval=interval, timeout=timeout)
    client = relaykit.RealtimeClient(
        env["RK_URL"],
        client_id=env.get("RK_CLIENT_ID") or None,
        token=env.get("RK_FIXED_TOKEN") or (provider if env.get("RK_ASK_TOKEN") else None),
        channels=[c for c in env.get("RK_CHANNELS", "").split(",") if c],
        reconnect=relaykit.Backoff(initial=initial, max=maximum),
        heartbeat=heartbeat,
        connect_timeout=3,
        sleep=sleep,
    )
    client.on("*", lambda e: emit("event", **event_dict(e)))
    client.on_lifecycle("connected", lambda i: emit("connected", client_id=i.client_id, auth=i.auth, reconnected=i.reconnected, replayed=i.replayed))
    client.on_lifecycle("disconnected", lambda d: emit("disconnected", code=d.code, reason=d.reason, will_reconnect=d.will_reconnect))
    client.on_lifecycle("error", lambda e: emit("error", code=e.code, message=e.message))
    client.on_lifecycle("gap", lambda g: emit("gap", **g))
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    connected = asyncio.ensure_future(client.connect())
    while line := (await reader.readline()).decode().strip():
        command, _, rest = line.partition(" ")
        if command == "token":
            tokens.put_nowait(rest)
            continue
        if command == "connect":
            try:
                await connected
            except relaykit.RealtimeError as error:
                emit("stopped", code=error.code, state=client.state)
                return
        elif command == "hold":
            gate.clear()
        elif command == "release":
            gate.set()
        elif command == "cursors":
            c = client.cursors()
            emit("cursors", channels=c.channels, direct=c.direct)
        elif command == "publish":
            channel, kind, payload = rest.split(" ", 2)
            try:
                emit("published", id=await client.publish(channel, kind, json.loads(payload)))
            except relaykit.RealtimeError as error:
                emit("publish_failed", code=error.code)
        elif command == "subscribe":
            try:
                await client.subscribe([rest])
                emit("subscribed", channel=rest)
            except relaykit.RealtimeError as error:
                emit("subscribe_failed", code=error.code, details=error.details)
        elif command == "close":
            break
        emit("done", command=command)
    await client.close()
    emit("closed", state=client.state)


asyncio.run(main())
