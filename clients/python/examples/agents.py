"""Two Python agents handing tasks to each other through a Relaykit hub.

The planner sends each task to the worker as a direct message; the worker acknowledges it,
does it and reports back to the planner, also directly. Both use the realtime client, so a
restarted hub or a dropped connection loses nothing: they resume where they were.

    python3 examples/agents.py worker  --url http://127.0.0.1:3000 &
    python3 examples/agents.py planner --url http://127.0.0.1:3000 --tasks 3

Set RELAYKIT_TOKEN to a JWT (or API key) when the hub requires tokens.
"""

from __future__ import annotations

import argparse
import asyncio
import os

import relaykit


async def worker(url: str, token: str | None) -> None:
    """Does every task it is given, until told to stop."""
    api = relaykit.HubClient(url, token=token)
    hub = relaykit.RealtimeClient(url, client_id="worker", token=token)
    inbox = hub.events()  # before connecting, so nothing slips by
    async with hub:
        print("worker: ready", flush=True)
        async for event in inbox:
            if event.to != "worker":
                continue
            if event.type == "shutdown":
                print("worker: shutting down", flush=True)
                return
            if event.type == "task.assigned" and event.id is not None:
                await api.ack(event.id, by="worker")
                result = f"done: {event.data['title']}"
                await api.send("task.done", {"task": event.id, "result": result}, to="planner", sender="worker")
                print(f"worker: finished task {event.id}", flush=True)


async def planner(url: str, token: str | None, tasks: int) -> None:
    """Hands out `tasks` tasks and waits until each is reported done."""
    api = relaykit.HubClient(url, token=token)
    hub = relaykit.RealtimeClient(url, client_id="planner", token=token)
    done: asyncio.Queue[relaykit.Event] = asyncio.Queue()
    hub.on("task.done", done.put_nowait)
    async with hub:
        sent = []
        for n in range(1, tasks + 1):
            message = await api.send("task.assigned", {"title": f"task {n}"}, to="worker", sender="planner")
            sent.append(message["id"])
            print(f"planner: assigned task {message['id']}", flush=True)
        finished = set()
        while len(finished) < len(sent):
            event = await done.get()
            finished.add(event.data["task"])
            print(f"planner: task {event.data['task']} -> {event.data['result']}", flush=True)
        await api.send("shutdown", None, to="worker", sender="planner")
        print(f"planner: all {len(sent)} tasks done", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("role", choices=["worker", "planner", "both"], nargs="?", default="both")
    parser.add_argument("--url", default=os.environ.get("RELAYKIT_URL", "http://127.0.0.1:3000"))
    parser.add_argument("--tasks", type=int, default=3)
    args = parser.parse_args()
    token = os.environ.get("RELAYKIT_TOKEN") or None

    async def run() -> None:
        if args.role == "worker":
            await worker(args.url, token)
        elif args.role == "planner":
            await planner(args.url, token, args.tasks)
        else:
            working = asyncio.ensure_future(worker(args.url, token))
            await asyncio.sleep(0.5)
            await planner(args.url, token, args.tasks)
            await working

    asyncio.run(run())


if __name__ == "__main__":
    main()
