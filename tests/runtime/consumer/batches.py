"""Record batches for the consumer's sans-I/O tests, made with the records writer."""

from __future__ import annotations

import struct

from kafkaproto.records.batch_builder import BatchBuilder
from kafkaproto.records.compression import CompressionType


def batch(
    base_offset: int,
    count: int,
    *,
    epoch: int = 0,
    producer_id: int = -1,
    transactional: bool = False,
    compression: CompressionType = CompressionType.NONE,
    prefix: bytes = b"v",
) -> bytes:
    """``count`` records at ``base_offset``..; values ``prefix + offset``."""
    b = BatchBuilder(
        batch_size=1 << 20,
        compression=compression,
        base_offset=base_offset,
        partition_leader_epoch=epoch,
        producer_id=producer_id,
        producer_epoch=0 if producer_id >= 0 else -1,
        base_sequence=0 if producer_id >= 0 else -1,
        is_transactional=transactional,
    )
    for i in range(count):
        b.append(b"k%d" % (base_offset + i), prefix + b"%d" % (base_offset + i), 1_000 + i)
    return b.build()


def marker(offset: int, producer_id: int, *, commit: bool, epoch: int = 0) -> bytes:
    """A KIP-98 transaction marker (control batch) at ``offset``."""
    b = BatchBuilder(
        base_offset=offset,
        partition_leader_epoch=epoch,
        producer_id=producer_id,
        producer_epoch=0,
        is_transactional=True,
        is_control=True,
    )
    b.append(struct.pack(">hh", 0, 1 if commit else 0), struct.pack(">hi", 0, 0), 2_000)
    return b.build()
