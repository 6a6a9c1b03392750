"""``CompletedFetch``: one partition's data from one Fetch response, handed out record by record
as polls ask for them — Java's ``CompletedFetch``.

Batches are decoded one at a time as records are taken (``BatchReader``), so the records before
a corrupt batch reach the application before the ``CorruptRecordError`` for that batch does;
the position never moves past a batch that failed, so nothing is skipped silently. Under
``read_committed`` (KIP-98) the response's aborted transactions are applied as Java does: a
transactional batch whose producer has an aborted transaction starting at or before the batch's
last offset is dropped, until that producer's ABORT control record; control batches are never
shown. Records older than the fetch offset (the start of a compressed batch) are skipped.

This module is sans-I/O and must never touch subscription state: the fetcher decides what a
fetch's records mean for the position.
"""

from __future__ import annotations

import heapq
import struct
from collections.abc import Iterator
from typing import Any, Final

from kafkaproto import tuple_new
from kafkaproto.consumer.errors import RecordDeserializationError, RecordTooLargeForFetchError
from kafkaproto.consumer.record import ConsumerRecord, TopicPartition
from kafkaproto.records.legacy import LegacyBatch
from kafkaproto.records.reader import BatchReader
from kafkaproto.records.record_batch import RecordBatch, TimestampType

__all__ = ["CompletedFetch"]

_CONTROL_KEY: Final = struct.Struct(">hh")  # version, type
_ABORT: Final = 0  # ControlRecordType.ABORT (COMMIT is 1)
# Positions in a ConsumerRecord tuple.
_OFFSET: Final = 2
_KEY: Final = 5
_EPOCH: Final = 8
_new: Final = tuple_new.make


class CompletedFetch:
    """See the module docstring. ``fetch_offset`` is the offset the fetch asked for;
    ``aborted`` the response's aborted transactions as (producer id, first offset), None when
    the broker sent none. ``key_deserializer``/``value_deserializer`` None: bytes as they
    are."""

    __slots__ = (
        "_aborted_pids",
        "_aborted_queue",
        "_batch",
        "_batches",
        "_epoch",
        "_error",
        "_index",
        "_keys",
        "_read_committed",
        "_reader",
        "_records",
        "_ts_type",
        "_values",
        "consumed",
        "fetch_offset",
        "high_watermark",
        "last_epoch",
        "last_stable_offset",
        "log_start_offset",
        "next_fetch_offset",
        "records_returned",
        "tp",
    )

    def __init__(
        self,
        tp: TopicPartition,
        fetch_offset: int,
        records: bytes | memoryview | None,
        *,
        high_watermark: int = -1,
        last_stable_offset: int = -1,
        log_start_offset: int = -1,
        aborted: list[tuple[int, int]] | None = None,
        read_committed: bool = False,
        check_crcs: bool = True,
        key_deserializer: Any = None,
        value_deserializer: Any = None,
    ) -> None:
        self.tp = tp
        self.fetch_offset = fetch_offset
        self.next_fetch_offset = fetch_offset
        self.last_epoch: int | None = None
        self.high_watermark = high_watermark
        self.last_stable_offset = last_stable_offset
        self.log_start_offset = log_start_offset
        self.consumed = False
        self.records_returned = 0
        self._read_committed = read_committed
        self._aborted_queue: list[tuple[int, int]] = (
            [(first, pid) for pid, first in aborted] if aborted else []
        )
        heapq.heapify(self._aborted_queue)
        self._aborted_pids: set[int] = set()
        self._reader = BatchReader(
            records or b"",
            partition=tp,
            check_crc=check_crcs,
            into=(ConsumerRecord, tp.topic, tp.partition),
        )
        self._batches: Iterator[RecordBatch | LegacyBatch] = iter(self._reader)
        self._batch: RecordBatch | LegacyBatch | None = None
        self._records: list[Any] = []
        self._index = 0
        self._error: BaseException | None = None
        self._keys = key_deserializer
        self._values = value_deserializer

    # --- taking records ----------------------------------------------------------------------

    def fetch_records(self, max_records: int) -> list[ConsumerRecord[Any, Any]]:
        """Up to ``max_records`` records from where the last call stopped. An error (corrupt
        batch, deserializer) is raised when no record precedes it in this call, else on the
        next call; the fetch is then left unconsumed at the failing record."""
        if self._error is not None:
            error, self._error = self._error, None
            raise error
        out: list[ConsumerRecord[Any, Any]] = []
        try:
            self._fill(out, max_records)
        except (RecordDeserializationError, RecordTooLargeForFetchError, ValueError) as exc:
            # CorruptRecordError is a ValueError too.
            if not out:
                raise
            self._error = exc
        self.records_returned += len(out)
        return out

    def _fill(self, out: list[ConsumerRecord[Any, Any]], max_records: int) -> None:
        # v2 batches decode straight into ConsumerRecords (records.decode_batch's ``into``):
        # without deserializers a poll hands out slices of the decoded lists, no per-record
        # work at all.
        while len(out) < max_records:
            records = self._records
            if self._index >= len(records):
                if not self._next_batch():
                    return
                continue
            take = min(max_records - len(out), len(records) - self._index)
            chunk = records[self._index : self._index + take]
            if self._keys is None and self._values is None:
                out.extend(chunk)
                self._index += take
                self.next_fetch_offset = chunk[-1][_OFFSET] + 1
                self.last_epoch = chunk[-1][_EPOCH]
            else:
                for r in chunk:
                    out.append(self._deserialized(r))
                    self._index += 1  # past the record only once it deserialized

    def _deserialized(self, r: Any) -> Any:
        topic, partition, offset, ts, ts_type, key, value, headers, epoch = r
        what = "key"
        try:
            if self._keys is not None:
                key = self._keys.deserialize(topic, headers, key)
            what = "value"
            if self._values is not None:
                value = self._values.deserialize(topic, headers, value)
        except Exception as exc:
            raise RecordDeserializationError(
                f"Error deserializing {what} for partition {self.tp} at offset {offset}. "
                "If needed, please seek past the record to continue consumption.",
                self.tp,
                offset,
            ) from exc
        self.next_fetch_offset = offset + 1
        self.last_epoch = epoch
        return _new(
            ConsumerRecord, (topic, partition, offset, ts, ts_type, key, value, headers, epoch)
        )

    def _next_batch(self) -> bool:
        """Move to the next batch with records to hand out; False at the end of the data."""
        batch = self._batch
        if batch is not None:
            nxt = _next_offset(batch)
            if nxt > self.next_fetch_offset:
                # v2 keeps a batch's last offset even when compaction removed its last
                # records: continuing from it avoids fetching the same batch again.
                self.next_fetch_offset = nxt
            self._batch = None
        while True:
            try:
                batch = next(self._batches)
            except StopIteration:
                self._finish()
                return False
            if _next_offset(batch) <= self.next_fetch_offset:
                continue  # wholly before the fetch offset
            if isinstance(batch, RecordBatch):
                records = batch.records
                if self._read_committed and batch.is_transactional:
                    self._consume_aborted_up_to(batch.last_offset)
                    if batch.is_control:
                        if records and _is_abort(records[0][_KEY]):
                            self._aborted_pids.discard(batch.producer_id)
                        self.next_fetch_offset = batch.next_offset
                        continue
                    if batch.producer_id in self._aborted_pids:
                        self.next_fetch_offset = batch.next_offset
                        continue
                elif batch.is_control:
                    self.next_fetch_offset = batch.next_offset
                    continue
            else:
                records = self._legacy_records(batch)
            start = 0
            if records and records[0][_OFFSET] < self.next_fetch_offset:
                # A compressed batch starts before the offset asked for.
                while start < len(records) and records[start][_OFFSET] < self.next_fetch_offset:
                    start += 1
            self._batch = batch
            self._records = records
            self._index = start
            if start < len(records):
                return True

    def _legacy_records(self, batch: LegacyBatch) -> list[Any]:
        """Magic 0/1 entries (old logs) in the consumer's record shape, no leader epoch."""
        topic, partition = self.tp
        ts_type = batch.timestamp_type or TimestampType.CREATE_TIME
        return [
            _new(
                ConsumerRecord,
                (topic, partition, r.offset, r.timestamp, ts_type, r.key, r.value, r.headers, None),
            )
            for r in batch.records
        ]

    def _consume_aborted_up_to(self, offset: int) -> None:
        queue = self._aborted_queue
        while queue and queue[0][0] <= offset:
            self._aborted_pids.add(heapq.heappop(queue)[1])

    def _finish(self) -> None:
        self.consumed = True
        reader = self._reader
        if self.records_returned == 0 and reader.partial_at == 0 and reader.partial_size > 0:
            # Nothing complete came back, only the start of a batch: no fetch size the broker
            # honours will return it (pre-KIP-74 brokers and formats), so say so instead of
            # fetching the same prefix forever.
            raise RecordTooLargeForFetchError(
                f"There are some messages at [Partition=Offset]: {{{self.tp}={self.fetch_offset}}}"
                f" whose size ({reader.partial_size} bytes) is larger than the fetch size and "
                "hence cannot be returned. Increase the fetch size, or decrease the maximum "
                "message size the broker will allow.",
                self.tp,
                self.fetch_offset,
            )

    def drain(self) -> None:
        """Discard what is left (the position moved away from this fetch)."""
        self.consumed = True
        self._records = []
        self._index = 0
        self._error = None


def _next_offset(batch: RecordBatch | LegacyBatch) -> int:
    if isinstance(batch, RecordBatch):
        return batch.next_offset
    return batch.last_offset + 1


def _is_abort(key: bytes | None) -> bool:
    # A control record's key: version int16, type int16 (ABORT 0, COMMIT 1).
    return key is not None and len(key) >= 4 and _CONTROL_KEY.unpack_from(key)[1] == _ABORT
