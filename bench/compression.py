"""Compare compression libraries on what a Kafka producer compresses: one batch's records.

Measures compress and decompress of the records section of a realistic batch (1,000 records of
100-byte JSON-ish values with short keys) at Kafka's default levels, for stdlib zlib, the
dedicated bindings (python-snappy, lz4, zstandard) and cramjam; prints medians. It chooses
nothing by itself and must never be imported by the library.

Run: .venv/bin/python bench/compression.py  (needs `make bench-deps`)
"""

from __future__ import annotations

import random
import statistics
import time
import zlib
from collections.abc import Callable

from kafkaproto.records.varint import encode_varlong

RUNS = 15
INNER = 20


def realistic_records(n: int = 1000, value_size: int = 100, seed: int = 7) -> bytes:
    """The v2 records section for n records: JSON-like events, repeated field names, varying ids."""
    rng = random.Random(seed)
    events = ["click", "view", "purchase", "login", "logout", "search"]
    out = bytearray()
    for i in range(n):
        key = f"user-{rng.randrange(10_000):05d}".encode()
        value = (
            f'{{"id":{rng.randrange(10**9)},"event":"{rng.choice(events)}",'
            f'"ts":{1_700_000_000_000 + i * 3},"session":"{rng.getrandbits(64):016x}","v":'
        ).encode()
        value = (value + b'"' + b"x" * value_size)[: value_size - 2] + b'"}'
        body = (
            b"\x00"
            + encode_varlong(i * 3)
            + encode_varlong(i)
            + encode_varlong(len(key))
            + key
            + encode_varlong(len(value))
            + value
            + b"\x00"
        )
        out += encode_varlong(len(body)) + body
    return bytes(out)


def median_us(fn: Callable[[], object]) -> float:
    samples = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        for _ in range(INNER):
            fn()
        samples.append((time.perf_counter() - t0) / INNER * 1e6)
    return statistics.median(samples)


def main() -> None:
    import cramjam
    import lz4.block
    import snappy
    import zstandard

    data = realistic_records()
    zc = zstandard.ZstdCompressor(level=3)
    zd = zstandard.ZstdDecompressor()
    limit = 64 << 20

    def zlib_gzip(d: bytes) -> bytes:
        c = zlib.compressobj(-1, zlib.DEFLATED, 31)
        return c.compress(d) + c.flush()

    def zlib_gunzip_bounded(c: bytes) -> bytes:
        return zlib.decompressobj(31).decompress(c, limit)

    def zstd_bounded(c: bytes) -> bytes:
        return zd.stream_reader(c, read_across_frames=True).read(limit)

    def cramjam_into(fn: Callable[[bytes, bytearray], int]) -> Callable[[bytes], bytes]:
        def run(c: bytes) -> bytes:
            out = bytearray(len(data))  # what a bounded reader must size up front
            n = fn(c, out)
            del out[n:]
            return bytes(out)

        return run

    # (codec, library, compress, decompress-of-that-library's-output)
    cases: list[tuple[str, str, Callable[[bytes], bytes], Callable[[bytes], object]]] = [
        ("gzip", "zlib (stdlib), bounded decompressobj", zlib_gzip, zlib_gunzip_bounded),
        (
            "gzip",
            "cramjam.gzip",
            lambda d: bytes(cramjam.gzip.compress(d, level=6)),
            lambda c: cramjam.gzip.decompress(c),
        ),
        ("snappy", "python-snappy (raw)", snappy.compress, snappy.uncompress),
        (
            "snappy",
            "cramjam.snappy (raw)",
            lambda d: bytes(cramjam.snappy.compress_raw(d)),
            lambda c: cramjam.snappy.decompress_raw(c),
        ),
        (
            "lz4",
            "lz4.block (fast, no size prefix)",
            lambda d: lz4.block.compress(d, store_size=False),
            lambda c: lz4.block.decompress(c, uncompressed_size=65536),
        ),
        (
            "lz4",
            "cramjam.lz4 block, decompress_into",
            lambda d: bytes(cramjam.lz4.compress_block(d, store_size=False)),
            cramjam_into(cramjam.lz4.decompress_block_into),
        ),
        ("zstd", "zstandard level 3, bounded stream_reader", zc.compress, zstd_bounded),
        ("zstd", "zstandard level 3, one-shot decompress", zc.compress, zd.decompress),
        (
            "zstd",
            "cramjam.zstd level 3, decompress_into",
            lambda d: bytes(cramjam.zstd.compress(d, level=3)),
            cramjam_into(cramjam.zstd.decompress_into),
        ),
    ]
    from kafkaproto.records import compression as shipped

    for codec_id in (1, 2, 3, 4):
        ct = shipped.CompressionType(codec_id)
        cases.append(
            (
                ct.name.lower(),
                "kafkaproto.records.compression (as shipped)",
                lambda d, ct=ct: shipped.compress(ct, d),  # type: ignore[misc]
                lambda c, ct=ct: shipped.decompress(ct, c),  # type: ignore[misc]
            )
        )
    print(f"input: {len(data)} bytes of records (1,000 x 100-byte values); median of {RUNS} runs")
    print(f"{'codec':7} {'library':45} {'ratio':>6} {'compress us':>12} {'decompress us':>14}")
    for codec, lib, comp, decomp in cases:
        # lz4 blocks are at most 64 KiB in Kafka's frame; compare libraries on one full block.
        one_block = codec == "lz4" and "shipped" not in lib
        sample = data[:65536] if one_block else data
        c = comp(sample)
        assert bytes(decomp(c)) == sample, (codec, lib)
        tc = median_us(lambda comp=comp, sample=sample: comp(sample))  # type: ignore[misc]
        td = median_us(lambda decomp=decomp, c=c: decomp(c))  # type: ignore[misc]
        if one_block:  # scale the one-block timing to the whole input
            tc, td = tc * len(data) / len(sample), td * len(data) / len(sample)
        print(f"{codec:7} {lib:45} {len(sample) / len(c):6.2f} {tc:12.1f} {td:14.1f}")


if __name__ == "__main__":
    main()
