"""relaykit.HubClient against a hub: RK_URL, RK_ADMIN_TOKEN. Prints one JSON line per step."""

import asyncio
import json
import os

import relaykit


def emit(kind, **fields):
    print(json.dumps({"kind": kind, **fields}), flush=True)


async def expect_error(kind, cls, call):
    try:
        await call
    except cls as error:
        emit(kind, cls=type(error).__name__, code=error.code, status=error.status, details=error.details is not None)
    else:
        emit(kind, cls=None)


async def main():
    url = os.environ["RK_URL"]
    hub = relaykit.HubClient(url)
    sent = [await hub.send("task.created", {"n": n}, channel="tasks", sender="planner") for n in range(5)]
    direct = await hub.send("task.assigned", {"n": 9}, to="worker", ttl=60)
    emit("sent", ids=[m["id"] for m in sent], direct=direct["id"], sender=sent[0]["from"], to=direct["to"])
    page = await hub.list(channel="tasks", limit=2)
    emit("page", ids=[m["id"] for m in page["messages"]], next=page["nextCursor"])
    emit("all", ids=[m["id"] async for m in hub.messages(channel="tasks", page_size=2)])
    emit("for_worker", ids=[m["id"] async for m in hub.messages(client="worker")])
    one = await hub.get(sent[1]["id"])
    emit("get", id=one["id"], payload=one["payload"], delivered=one["deliveredAt"])
    acked = await hub.ack(sent[1]["id"], by="worker")
    emit("ack", delivered=acked["deliveredAt"] is not None)

    await expect_error("missing", relaykit.MessageNotFoundError, hub.get(999_999))
    await expect_error("invalid", relaykit.ValidationError, hub.send("not a type!", 1))
    await expect_error("no_admin", relaykit.UnauthorizedError, hub.plugins())
    await expect_error("unreachable", relaykit.HubUnreachableError, relaykit.HubClient("http://127.0.0.1:9").health())

    admin = relaykit.HubClient(url, token=os.environ["RK_ADMIN_TOKEN"])
    plugins = await admin.plugins()
    emit("plugins", names=sorted(p["name"] for p in plugins))
    changed = await admin.update_plugin("metrics", enabled=False)
    metrics = next(p for p in changed["plugins"] if p["name"] == "metrics")
    emit("disabled", changes=changed["changes"], enabled=metrics["enabled"], state=metrics["state"])
    await expect_error("unknown_plugin", relaykit.PluginNotFoundError, admin.update_plugin("nope", enabled=True))
    emit("reloaded", keys=sorted(await admin.reload_config()))
    broadcast = await admin.broadcast("note", {"x": 1}, channel="tasks")
    emit("broadcast", id=broadcast["id"])


asyncio.run(main())
