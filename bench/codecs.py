"""Encode and decode speed of generated messages against kio and kafka-python 3, in one run.

Four messages with the same logical content in every library (the bytes are checked equal before
anything is timed): (a) MetadataResponse v12 with 200 topics x 50 partitions, (b) ProduceRequest v9
with one 100 KB records blob, (c) FetchRequest v12 with 50 partitions, (d) ApiVersionsResponse v3
with 80 APIs. Prints medians of several repeats and the ratios; run with `make bench-codecs`.

kio decodes in native code (Rust) and encodes in Python; kafka-python 3 compiles its codecs at
run time. Peers are benchmark-only dependencies (the `bench` extra).
"""

from __future__ import annotations

import argparse
import datetime
import gc
import io
import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

TOPICS, PARTITIONS = 200, 50
TOPIC_IDS = [uuid.UUID(int=(i + 1) * 7919) for i in range(TOPICS)]
RECORDS = bytes(range(256)) * 400  # 102,400 bytes
API_KEYS = [(k, 0, k % 17) for k in range(80)]


# --- kafkaproto ------------------------------------------------------------------------------


def ours() -> dict[str, tuple[Any, Callable[[Any], bytes], Callable[[bytes], Any]]]:
    from kafkaproto.messages import api_versions, fetch, metadata, produce

    m = metadata
    meta = m.MetadataResponse(
        throttle_time_ms=0,
        brokers=[
            m.MetadataResponseBroker(node_id=n, host=f"broker-{n}", port=9092, rack=None)
            for n in (1, 2, 3)
        ],
        cluster_id="cluster-a",
        controller_id=1,
        topics=[
            m.MetadataResponseTopic(
                error_code=0,
                name=f"topic-{t}",
                topic_id=TOPIC_IDS[t],
                is_internal=False,
                partitions=[
                    m.MetadataResponsePartition(
                        error_code=0,
                        partition_index=p,
                        leader_id=1 + p % 3,
                        leader_epoch=5,
                        replica_nodes=(1, 2, 3),
                        isr_nodes=(1, 2, 3),
                        offline_replicas=(),
                    )
                    for p in range(PARTITIONS)
                ],
                topic_authorized_operations=-2147483648,
            )
            for t in range(TOPICS)
        ],
    )
    pr = produce
    prod = pr.ProduceRequest(
        transactional_id=None,
        acks=-1,
        timeout_ms=30000,
        topic_data=[
            pr.ProduceRequestTopicProduceData(
                name="events",
                partition_data=[pr.ProduceRequestPartitionProduceData(index=0, records=RECORDS)],
            )
        ],
    )
    f = fetch
    fet = f.FetchRequest(
        replica_id=-1,
        max_wait_ms=500,
        min_bytes=1,
        max_bytes=52428800,
        isolation_level=0,
        session_id=0,
        session_epoch=-1,
        topics=[
            f.FetchRequestFetchTopic(
                topic="events",
                partitions=[
                    f.FetchRequestFetchPartition(
                        partition=p,
                        current_leader_epoch=-1,
                        fetch_offset=100 + p,
                        last_fetched_epoch=-1,
                        log_start_offset=-1,
                        partition_max_bytes=1048576,
                    )
                    for p in range(PARTITIONS)
                ],
            )
        ],
        forgotten_topics_data=[],
        rack_id="",
    )
    a = api_versions
    apiv = a.ApiVersionsResponse(
        error_code=0,
        api_keys=[
            a.ApiVersionsResponseApiVersion(api_key=k, min_version=lo, max_version=hi)
            for k, lo, hi in API_KEYS
        ],
        throttle_time_ms=0,
    )
    out: dict[str, tuple[Any, Callable[[Any], bytes], Callable[[bytes], Any]]] = {}
    for name, msg, version in (
        ("metadata", meta, 12),
        ("produce", prod, 9),
        ("fetch", fet, 12),
        ("api_versions", apiv, 3),
    ):
        cls = type(msg)
        out[name] = (
            msg,
            lambda o, v=version: o.encode(v),
            lambda b, c=cls, v=version: c.decode(b, v),
        )
    return out


# --- kafka-python 3 --------------------------------------------------------------------------


def kafka_python() -> dict[str, tuple[Any, Callable[[Any], bytes], Callable[[bytes], Any]]]:
    from kafka.protocol.consumer import FetchRequest
    from kafka.protocol.metadata import ApiVersionsResponse, MetadataResponse
    from kafka.protocol.producer import ProduceRequest

    M = MetadataResponse[12]
    T = M.MetadataResponseTopic
    meta = M(
        throttle_time_ms=0,
        brokers=[
            M.MetadataResponseBroker(node_id=n, host=f"broker-{n}", port=9092, rack=None)
            for n in (1, 2, 3)
        ],
        cluster_id="cluster-a",
        controller_id=1,
        topics=[
            T(
                error_code=0,
                name=f"topic-{t}",
                topic_id=TOPIC_IDS[t],
                is_internal=False,
                partitions=[
                    T.MetadataResponsePartition(
                        error_code=0,
                        partition_index=p,
                        leader_id=1 + p % 3,
                        leader_epoch=5,
                        replica_nodes=[1, 2, 3],
                        isr_nodes=[1, 2, 3],
                        offline_replicas=[],
                    )
                    for p in range(PARTITIONS)
                ],
                authorized_operations={31},  # a bit set; bit 31 alone is -2**31
            )
            for t in range(TOPICS)
        ],
    )
    P = ProduceRequest[9]
    TD = P.TopicProduceData
    prod = P(
        transactional_id=None,
        acks=-1,
        timeout_ms=30000,
        topic_data=[
            TD(name="events", partition_data=[TD.PartitionProduceData(index=0, records=RECORDS)])
        ],
    )
    F = FetchRequest[12]
    FT = F.FetchTopic
    fet = F(
        replica_id=-1,
        max_wait_ms=500,
        min_bytes=1,
        max_bytes=52428800,
        isolation_level=0,
        session_id=0,
        session_epoch=-1,
        topics=[
            FT(
                topic="events",
                partitions=[
                    FT.FetchPartition(
                        partition=p,
                        current_leader_epoch=-1,
                        fetch_offset=100 + p,
                        last_fetched_epoch=-1,
                        log_start_offset=-1,
                        partition_max_bytes=1048576,
                    )
                    for p in range(PARTITIONS)
                ],
            )
        ],
        forgotten_topics_data=[],
        rack_id="",
    )
    A = ApiVersionsResponse[3]
    apiv = A(
        error_code=0,
        api_keys=[
            A.ApiVersion(api_key=k, min_version=lo, max_version=hi) for k, lo, hi in API_KEYS
        ],
        throttle_time_ms=0,
    )
    out = {}
    for name, msg in (
        ("metadata", meta),
        ("produce", prod),
        ("fetch", fet),
        ("api_versions", apiv),
    ):
        cls = type(msg)
        version = msg.version

        def dec(b: bytes, cls: Any = cls, version: int = version) -> Any:
            return cls.decode(b, version=version)

        out[name] = (msg, lambda o: bytes(o.encode()), dec)
    return out


# --- kio -------------------------------------------------------------------------------------


def kio() -> dict[str, tuple[Any, Callable[[Any], bytes], Callable[[bytes], Any]]]:
    from kio.schema.api_versions.v3 import response as av
    from kio.schema.errors import ErrorCode
    from kio.schema.fetch.v12 import request as fr
    from kio.schema.metadata.v12 import response as mr
    from kio.schema.produce.v9 import request as pr
    from kio.serial import entity_reader, entity_writer
    from kio.static.primitive import i8, i16, i32, i64

    zero = datetime.timedelta(0)
    meta = mr.MetadataResponse(
        throttle_time=zero,
        brokers=tuple(
            mr.MetadataResponseBroker(node_id=i32(n), host=f"broker-{n}", port=i32(9092), rack=None)
            for n in (1, 2, 3)
        ),
        cluster_id="cluster-a",
        controller_id=i32(1),
        topics=tuple(
            mr.MetadataResponseTopic(
                error_code=ErrorCode.none,
                name=f"topic-{t}",
                topic_id=TOPIC_IDS[t],
                is_internal=False,
                partitions=tuple(
                    mr.MetadataResponsePartition(
                        error_code=ErrorCode.none,
                        partition_index=i32(p),
                        leader_id=i32(1 + p % 3),
                        leader_epoch=i32(5),
                        replica_nodes=(i32(1), i32(2), i32(3)),
                        isr_nodes=(i32(1), i32(2), i32(3)),
                        offline_replicas=(),
                    )
                    for p in range(PARTITIONS)
                ),
                topic_authorized_operations=i32(-2147483648),
            )
            for t in range(TOPICS)
        ),
    )
    prod = pr.ProduceRequest(
        transactional_id=None,
        acks=i16(-1),
        timeout=datetime.timedelta(milliseconds=30000),
        topic_data=(
            pr.TopicProduceData(
                name="events",
                partition_data=(pr.PartitionProduceData(index=i32(0), records=RECORDS),),
            ),
        ),
    )
    fet = fr.FetchRequest(
        replica_id=i32(-1),
        max_wait=datetime.timedelta(milliseconds=500),
        min_bytes=i32(1),
        max_bytes=i32(52428800),
        isolation_level=i8(0),
        session_id=i32(0),
        session_epoch=i32(-1),
        topics=(
            fr.FetchTopic(
                topic="events",
                partitions=tuple(
                    fr.FetchPartition(
                        partition=i32(p),
                        current_leader_epoch=i32(-1),
                        fetch_offset=i64(100 + p),
                        last_fetched_epoch=i32(-1),
                        log_start_offset=i64(-1),
                        partition_max_bytes=i32(1048576),
                    )
                    for p in range(PARTITIONS)
                ),
            ),
        ),
        forgotten_topics_data=(),
        rack_id="",
    )
    apiv = av.ApiVersionsResponse(
        error_code=ErrorCode.none,
        api_keys=tuple(
            av.ApiVersion(api_key=i16(k), min_version=i16(lo), max_version=i16(hi))
            for k, lo, hi in API_KEYS
        ),
        throttle_time=zero,
    )
    out = {}
    for name, msg in (
        ("metadata", meta),
        ("produce", prod),
        ("fetch", fet),
        ("api_versions", apiv),
    ):
        writer = entity_writer(type(msg))
        reader = entity_reader(type(msg))

        def enc(o: Any, writer: Any = writer) -> bytes:
            buf = io.BytesIO()
            writer(buf, o)
            return buf.getvalue()

        def dec(b: bytes, reader: Any = reader) -> Any:
            return reader(memoryview(b), 0)[0]

        out[name] = (msg, enc, dec)
    return out


# --- timing ----------------------------------------------------------------------------------


def timed(fn: Callable[[], Any], repeats: int) -> float:
    """Median seconds per call, over ``repeats`` batches sized to take ~50 ms each.

    As ``timeit`` does, the cyclic garbage collector is off while a batch runs (and a collection
    runs before each): otherwise the objects a big decode leaves behind push whole-heap
    collections into whichever library happens to run next, and a ratio swings 0.9x-3x with the
    heap's state instead of the codecs' speed."""
    gc.collect()
    start = time.perf_counter()
    fn()
    once = max(time.perf_counter() - start, 1e-7)
    number = max(1, int(0.05 / once))
    samples = []
    for _ in range(repeats):
        gc.collect()
        gc.disable()
        try:
            start = time.perf_counter()
            for _ in range(number):
                fn()
            samples.append((time.perf_counter() - start) / number)
        finally:
            gc.enable()
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    libs = {"kafkaproto": ours(), "kafka-python": kafka_python(), "kio": kio()}
    print(
        f"{'message':<13} {'op':<7} "
        + " ".join(f"{lib:>14}" for lib in libs)
        + "   vs kio   vs kafka-python"
    )
    for name in libs["kafkaproto"]:
        expected = libs["kafkaproto"][name][1](libs["kafkaproto"][name][0])
        for lib, cases in libs.items():
            got = cases[name][1](cases[name][0])
            if got != expected:
                raise SystemExit(
                    f"{lib} encodes {name} differently ({len(got)} vs {len(expected)} bytes)"
                )
            decoded = cases[name][2](expected)
            if lib == "kafkaproto":
                assert decoded == cases[name][0]
        for op in ("encode", "decode"):
            t = {}
            for lib, cases in libs.items():
                msg, enc, dec = cases[name]
                if op == "encode":
                    t[lib] = timed(lambda enc=enc, msg=msg: enc(msg), args.repeats)
                else:
                    t[lib] = timed(lambda dec=dec, data=expected: dec(data), args.repeats)
            ratio_kio = t["kio"] / t["kafkaproto"]
            ratio_kp = t["kafka-python"] / t["kafkaproto"]
            print(
                f"{name:<13} {op:<7} "
                + " ".join(f"{t[lib] * 1e3:>11.3f} ms" for lib in libs)
                + f"   {ratio_kio:>5.2f}x   {ratio_kp:>5.2f}x"
            )
    print("ratios: peer time / kafkaproto time (above 1 means kafkaproto is faster)")


if __name__ == "__main__":
    main()
