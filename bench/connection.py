"""Pipelined small requests over one kafkaproto connection to the real broker (``make broker``):
requests per second and client CPU per request, for several in-flight caps, plus the sans-I/O
core alone (framing one request, decoding one response) without any socket.

Kafka serves one request per connection at a time, so past a few in flight the broker's
per-request latency, not the client, sets the ceiling of one connection; the client CPU column
is what the producer will pay. A measuring script: the library and the tests never import it.

Run: make broker && .venv/bin/python bench/connection.py [--bootstrap 127.0.0.1:9092]
"""

from __future__ import annotations

import argparse
import asyncio
import struct
import time

from kafkaproto.connection import Connection
from kafkaproto.message import ApiRequest, ApiResponse
from kafkaproto.messages.metadata import MetadataRequest, MetadataResponse
from kafkaproto.messages.response_header import ResponseHeader
from kafkaproto.protocol import NEED_DATA, ClientProtocol


def core(n: int = 100_000) -> tuple[float, float]:
    proto = ClientProtocol()
    request = MetadataRequest(topics=[])
    started = time.perf_counter()
    for _ in range(n):
        proto.send(request, 12)
    send_us = (time.perf_counter() - started) / n * 1e6
    body = bytearray(4)
    ResponseHeader(correlation_id=0).encode_into(body, 1)
    MetadataResponse().encode_into(body, 12)
    struct.pack_into(">i", body, 0, len(body) - 4)
    wire = bytearray()
    for cid in range(n):
        struct.pack_into(">i", body, 4, cid)
        wire += body
    started = time.perf_counter()
    proto.receive_data(wire)
    while proto.next_event() is not NEED_DATA:
        pass
    return send_us, (time.perf_counter() - started) / n * 1e6


async def pipelined(
    conn: Connection, request: ApiRequest[ApiResponse], n: int, workers: int
) -> tuple[float, float]:
    async def worker(count: int) -> None:
        for _ in range(count):
            await conn.request(request)

    wall, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker(n // workers) for _ in range(workers)))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return n / wall, cpu / n * 1e6


async def main(bootstrap: str, n: int) -> None:
    host, port = bootstrap.rsplit(":", 1)
    send_us, receive_us = core()
    print(f"sans-I/O core: send {send_us:.1f} us/request, receive {receive_us:.1f} us/response")
    print("| in flight | requests/s | client CPU µs/request |")
    print("|---:|---:|---:|")
    for in_flight in (1, 5, 20, 100):
        async with await Connection.open(host, int(port), max_in_flight=in_flight) as conn:
            request = MetadataRequest(topics=[])
            await pipelined(conn, request, 1000, in_flight)  # warm-up
            rate, cpu = await pipelined(conn, request, n, in_flight)
            print(f"| {in_flight} | {rate:,.0f} | {cpu:.1f} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--requests", type=int, default=20_000)
    args = parser.parse_args()
    asyncio.run(main(args.bootstrap, args.requests))
