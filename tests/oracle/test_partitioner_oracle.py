"""kafkaproto.partitioner's murmur2 and keyed partition against kafka-clients' Utils."""

from __future__ import annotations

import random
from collections.abc import Callable

from kafkaproto.partitioner import murmur2, partition_for_key

RunJava = Callable[..., str]
PARTITION_COUNTS = (1, 2, 3, 7, 12, 100, 1000, 2147483647)


def test_ten_thousand_random_keys_agree_with_java(java_oracle: RunJava) -> None:
    rng = random.Random(794)
    keys = [b"", b"\x00", b"\xff" * 3]
    while len(keys) < 10_000:
        keys.append(rng.randbytes(rng.choice((rng.randrange(0, 9), rng.randrange(9, 300)))))
    stdout = java_oracle(
        "Murmur2Oracle",
        *map(str, PARTITION_COUNTS),
        input="".join(key.hex() + "\n" for key in keys),
    )
    rows = stdout.splitlines()
    assert len(rows) == len(keys)
    disagreements = []
    for key, row in zip(keys, rows, strict=True):
        java_hash, *java_partitions = map(int, row.split("\t"))
        ours = [murmur2(key), *(partition_for_key(key, n) for n in PARTITION_COUNTS)]
        if ours != [java_hash, *java_partitions]:
            disagreements.append((key.hex(), ours, row))
    assert disagreements == []
