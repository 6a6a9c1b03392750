"""``SyncSend``: the thread-safe face's ``send``, with its commonest record compiled.

``Producer`` (``kafkaproto.producer.sync_producer``) is a ``SyncSend``: the method an
application calls once per record is this module's, so in the compiled build a record with
nothing to serialize and no key, partition or headers goes from the call to its future without
running interpreted code. Every other record, and the first record of each batch, goes on to the
face's own methods (``_send_full`` and ``_place``), which this class only calls.

The module is on the compiled hot path (``kafkaproto.compiled.MODULES``); it must never do I/O
or know the face's future class or batch groups beyond the calls below.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable
from typing import Any, Final

from kafkaproto import object_new
from kafkaproto.producer._internals.accumulator import RecordAccumulator, RecordPlace
from kafkaproto.producer._internals.batch import ProducerBatch
from kafkaproto.producer.futures import lane_place
from kafkaproto.producer.record import ProducerRecord, RecordMetadata
from mypy_extensions import mypyc_attr

__all__ = ["Callback", "SyncSend"]

# A Final alias: the compiled build calls the C function from a static.
_make: Final = object_new.make

#: Java's ``Callback.onCompletion(metadata, exception)``: exactly one of them is None.
Callback = Callable[[RecordMetadata | None, BaseException | None], object]


@mypyc_attr(allow_interpreted_subclasses=True)
class SyncSend:
    """The base of the thread-safe ``Producer``: ``send`` and the state its fast lane reads.

    The subclass sets the attributes in its ``__init__`` and provides ``_send_full`` (any
    record, the whole path) and ``_place`` (a record the lane placed in a batch with no group
    yet, or with a callback). ``_lane`` None (no fast lane, or closed) sends every record the
    whole way.
    """

    #: The engine's accumulator when both serializers pass bytes through, else None.
    _lane: RecordAccumulator | None
    #: The engine's lock's ``acquire`` and ``release`` (a ``threading.RLock``'s), held around
    #: every append; bound once, as the compiled build calls a bound method without looking
    #: it up.
    _acquire: Callable[[], object]
    _release: Callable[[], object]
    #: Each open batch's group of futures (``sync_producer._BatchGroup``).
    _groups: dict[ProducerBatch, Any]
    #: The class of a record's future (``sync_producer.SendFuture``), made with nothing set: its
    #: ``__init__`` is ``object``'s.
    _future_type: type

    def send(
        self, record: ProducerRecord[Any], callback: Callback | None = None
    ) -> concurrent.futures.Future[RecordMetadata]:
        """Queue ``record``: a future of its ``RecordMetadata``, and ``callback(metadata,
        exception)`` once it is acknowledged or has failed (see
        ``kafkaproto.producer.sync_producer``)."""
        lane = self._lane
        if lane is not None:
            self._acquire()
            try:
                # Any: kept as the boxed tuple lane_place gives (typed, the compiled build would
                # unpack it and box it again for the future).
                placed: Any = lane_place(lane, record)
                if placed is not None:
                    future: Any = _make(self._future_type)
                    group = self._groups.get(placed[0])
                    if group is not None and callback is None:
                        # _place written out: the lane's batch was made by an earlier append,
                        # which gave it its group.
                        future._at = placed
                        future._group = group
                    else:
                        self._place(future, callback, placed)
                    return future  # type: ignore[no-any-return]
            finally:
                self._release()
        return self._send_full(record, callback)

    def _send_full(
        self, record: ProducerRecord[Any], callback: Callback | None
    ) -> concurrent.futures.Future[RecordMetadata]:
        raise NotImplementedError

    def _place(self, future: Any, callback: Callback | None, at: RecordPlace) -> None:
        raise NotImplementedError
