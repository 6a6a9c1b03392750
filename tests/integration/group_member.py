"""A kafkaproto consumer as one member of a group, run as its own process by the group tests (so
that it can be SIGKILLed, and so several members really are separate clients):

    python group_member.py --bootstrap B --topic T --group G --protocol classic|consumer
        [--face sync|async] [--out FILE] [--pause-ms N] [-X key=value ...]

It subscribes with a rebalance listener and polls until "quit" arrives on stdin, then closes
(leaving the group). It prints one JSON line per listener call, as GroupMember.java does:
``{"event": "assigned" | "revoked" | "lost", "partitions": [...], "assignment": [...]}``; on
``assigned`` it also reports the group's committed offsets of the partitions it got
(``"committed": {"t-0": 12, ...}``), where it starts reading them. With ``--out`` every
processed record is appended there as ``partition offset`` before the next poll (that is the
"processing"; the default auto commit then commits it). ``--pause-ms`` sleeps after each poll
that returned records (a slow application).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import threading
import time
from typing import IO, Any

from kafkaproto.consumer.async_consumer import AsyncConsumer
from kafkaproto.consumer.errors import WakeupError
from kafkaproto.consumer.record import TopicPartition
from kafkaproto.consumer.sync_consumer import Consumer

_lock = threading.Lock()


def emit(doc: dict[str, Any]) -> None:
    with _lock:
        sys.stdout.write(json.dumps(doc) + "\n")
        sys.stdout.flush()


def _names(partitions: Any) -> list[str]:
    return sorted(str(tp) for tp in partitions)


class Listener:
    """Reports every call; on assignment, the committed offsets where reading starts. With an
    ``out`` file it also marks there where each partition's run of records starts and ends
    (``# assigned P COMMITTED``, ``# revoked P``, ``# lost P``)."""

    def __init__(self, consumer: Any, face: str, out: IO[str] | None) -> None:
        self.consumer = consumer
        self.face = face
        self.out = out

    def _event(self, event: str, partitions: list[TopicPartition], committed: Any = None) -> None:
        if self.out is not None:
            for tp in partitions:
                om = committed.get(tp) if committed is not None else None
                extra = f" {om.offset if om is not None else -1}" if event == "assigned" else ""
                self.out.write(f"# {event} {tp.partition}{extra}\n")
            self.out.flush()
        doc: dict[str, Any] = {
            "event": event,
            "t": time.time(),
            "partitions": _names(partitions),
            "assignment": _names(self.consumer.assignment()),
        }
        if committed is not None:
            doc["committed"] = {
                str(tp): (om.offset if om is not None else None) for tp, om in committed.items()
            }
        emit(doc)

    def on_partitions_revoked(self, partitions: list[TopicPartition]) -> Any:
        self._event("revoked", partitions)

    def on_partitions_lost(self, partitions: list[TopicPartition]) -> Any:
        self._event("lost", partitions)

    def on_partitions_assigned(self, partitions: list[TopicPartition]) -> Any:
        if self.face == "async":

            async def report() -> None:
                committed = await self.consumer.committed(partitions) if partitions else {}
                self._event("assigned", partitions, committed)

            return report()
        committed = self.consumer.committed(partitions) if partitions else {}
        self._event("assigned", partitions, committed)
        return None


def _settings(args: argparse.Namespace) -> dict[str, object]:
    settings: dict[str, object] = {
        "bootstrap.servers": args.bootstrap,
        "group.id": args.group,
        "group.protocol": args.protocol,
        "auto.offset.reset": "earliest",
    }
    for item in args.X:
        key, _, value = item.partition("=")
        settings[key] = value
    return settings


def _write(out: IO[str] | None, records: Any) -> None:
    if out is None or not records:
        return
    out.write("".join(f"{r.partition} {r.offset}\n" for r in records))
    out.flush()


def _watch_stdin(quit_: threading.Event, wake: Any) -> None:
    for line in sys.stdin:
        if line.strip() == "quit":
            break
    quit_.set()
    wake()


def run_sync(args: argparse.Namespace, out: IO[str] | None) -> None:
    quit_ = threading.Event()
    with Consumer(_settings(args)) as consumer:
        threading.Thread(target=_watch_stdin, args=(quit_, consumer.wakeup), daemon=True).start()
        consumer.subscribe([args.topic], Listener(consumer, "sync", out))
        emit({"event": "subscribed"})
        while not quit_.is_set():
            try:
                records = consumer.poll(0.2)
            except WakeupError:
                continue
            if records:
                _write(out, records)
                emit({"event": "records", "count": len(records)})
                if args.pause_ms:
                    time.sleep(args.pause_ms / 1000)
    emit({"event": "closed"})


async def run_async(args: argparse.Namespace, out: IO[str] | None) -> None:
    quit_ = threading.Event()
    async with AsyncConsumer(_settings(args)) as consumer:
        loop = asyncio.get_running_loop()
        threading.Thread(
            target=_watch_stdin,
            args=(quit_, lambda: loop.call_soon_threadsafe(consumer.wakeup)),
            daemon=True,
        ).start()
        consumer.subscribe([args.topic], Listener(consumer, "async", out))
        emit({"event": "subscribed"})
        while not quit_.is_set():
            try:
                records = await consumer.poll(0.2)
            except WakeupError:
                continue
            if records:
                _write(out, records)
                emit({"event": "records", "count": len(records)})
                if args.pause_ms:
                    await asyncio.sleep(args.pause_ms / 1000)
    emit({"event": "closed"})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--group", required=True)
    parser.add_argument("--protocol", default="classic")
    parser.add_argument("--face", choices=("sync", "async"), default="sync")
    parser.add_argument("--out", default=None)
    parser.add_argument("--pause-ms", type=int, default=0)
    parser.add_argument("-X", action="append", default=[])
    args = parser.parse_args()
    out = open(args.out, "a", encoding="ascii") if args.out else None
    try:
        if args.face == "sync":
            run_sync(args, out)
        else:
            asyncio.run(run_async(args, out))
    finally:
        if out is not None:
            out.close()


if __name__ == "__main__":
    main()
