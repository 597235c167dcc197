"""Handler styles of relaykit.RealtimeClient: `async for` over a channel, `on(type, fn)` with an
async handler that calls the client, `on_direct`, a handler that raises, and a refused
subscription. RK_URL is the hub; prints JSON lines."""

import asyncio
import json
import os

import relaykit


def emit(kind, **fields):
    print(json.dumps({"kind": kind, **fields}), flush=True)


async def main():
    async with relaykit.RealtimeClient(os.environ["RK_URL"], client_id="py-agent") as hub:
        room = hub.channel("room")
        hub.channel("requests")

        async def answer(event):
            # A handler may await the client: frames keep being read meanwhile.
            reply = await hub.publish("room", "answer", {"to": event.data["n"]})
            emit("answered", request=event.id, reply=reply)

        hub.on("question", answer)
        hub.on_direct(lambda e: emit("direct", id=e.id, type=e.type))
        hub.on("boom", lambda e: 1 / 0)
        hub.on_lifecycle("error", lambda e: emit("error", code=e.code))
        await hub.subscribe(["requests"])
        try:
            await hub.subscribe(["$hub:*"])
        except relaykit.RealtimeError as error:
            emit("refused", code=error.code)
        emit("ready", subscriptions=sorted(await hub.subscriptions()))
        seen = []
        async for event in room:
            seen.append({"id": event.id, "type": event.type, "data": event.data})
            if event.type == "stop":
                break
        emit("room", events=seen)


asyncio.run(main())
