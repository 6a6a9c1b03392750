"""``FetchSessionHandler``: incremental fetch sessions (KIP-227) with one broker, as Java's
``FetchSessionHandler`` keeps them.

The first fetch to a broker is a full one (session id 0, epoch 0): it lists every partition and
asks the broker to open a session. When the broker answers with a session id, later fetches are
incremental (that id, epoch 1, 2, ...): they list only partitions that are new or whose fetch
data changed (offset, leader epoch, max bytes ...) and name the ones to drop as "forgotten", and
the broker answers only for partitions with something new. A session error
(``FETCH_SESSION_ID_NOT_FOUND``, ``INVALID_FETCH_SESSION_EPOCH``, ...) or a failed request sends
the next fetch full again. A broker that answers session id 0 keeps us sessionless (every fetch
full), as do Fetch versions below 7.

This module is sans-I/O: it builds what a request must carry and reads what a response says
about the session; it must never build the request object itself (that is
:mod:`kafkaproto.consumer._internals.requests`) nor do I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final
from uuid import UUID

from kafkaproto.consumer.record import TopicPartition

__all__ = [
    "FINAL_EPOCH",
    "INITIAL_EPOCH",
    "INVALID_SESSION_ID",
    "FetchMetadata",
    "FetchRequestData",
    "FetchSessionHandler",
    "PartitionData",
]

INVALID_SESSION_ID: Final = 0
INITIAL_EPOCH: Final = 0  # full fetch: open a new session
FINAL_EPOCH: Final = -1  # full fetch: no session (or close it)
_INT_MAX: Final = 2**31 - 1

# Error codes that end the session (FetchSessionHandler.handleResponse).
FETCH_SESSION_ID_NOT_FOUND: Final = 70
INVALID_FETCH_SESSION_EPOCH: Final = 71


@dataclass(frozen=True, slots=True)
class FetchMetadata:
    """The session id and epoch the next request carries (Java's ``FetchMetadata``)."""

    session_id: int
    epoch: int

    @property
    def is_full(self) -> bool:
        return self.epoch in (INITIAL_EPOCH, FINAL_EPOCH)

    def next_incremental(self) -> FetchMetadata:
        epoch = 1 if self.epoch >= _INT_MAX else self.epoch + 1
        return FetchMetadata(self.session_id, epoch)

    def next_close_existing(self) -> FetchMetadata:
        """A full fetch that closes the current session and asks for a new one."""
        return FetchMetadata(self.session_id, INITIAL_EPOCH)


INITIAL: Final = FetchMetadata(INVALID_SESSION_ID, INITIAL_EPOCH)


@dataclass(frozen=True, slots=True)
class PartitionData:
    """What a fetch asks of one partition (Java's ``FetchRequest.PartitionData``)."""

    topic_id: UUID | None
    fetch_offset: int
    log_start_offset: int
    max_bytes: int
    current_leader_epoch: int | None
    last_fetched_epoch: int | None


@dataclass(frozen=True, slots=True)
class FetchRequestData:
    """One fetch request's content: partitions to send (all of them when ``metadata`` is
    full), partitions to forget (incremental only) and the session metadata."""

    to_send: dict[TopicPartition, PartitionData]
    to_forget: list[TopicPartition]
    metadata: FetchMetadata
    #: Every partition this fetch covers (sent or unchanged in the session), for the caller's
    #: bookkeeping of what is in flight.
    session_partitions: dict[TopicPartition, PartitionData]

    @property
    def is_full(self) -> bool:
        return self.metadata.is_full


class FetchSessionHandler:
    """The session with one broker; ``build`` then ``handle_response`` or ``handle_error`` for
    each request, one request at a time."""

    def __init__(self, node_id: int) -> None:
        self.node_id = node_id
        self.next_metadata = INITIAL
        #: What the broker's session holds, in order.
        self.session_partitions: dict[TopicPartition, PartitionData] = {}

    def build(self, wanted: dict[TopicPartition, PartitionData]) -> FetchRequestData:
        """The request for fetching ``wanted`` now."""
        metadata = self.next_metadata
        if metadata.is_full:
            self.session_partitions = dict(wanted)
            return FetchRequestData(dict(wanted), [], metadata, self.session_partitions)
        to_send: dict[TopicPartition, PartitionData] = {}
        to_forget: list[TopicPartition] = []
        session = self.session_partitions
        for tp, old in list(session.items()):
            new = wanted.get(tp)
            if new is None:
                to_forget.append(tp)
                del session[tp]
            elif new != old:
                if new.topic_id != old.topic_id:
                    # The topic was re-created: drop the old one and add the new (Java's
                    # "toReplace"); the broker takes both in one request since v13.
                    to_forget.append(tp)
                session[tp] = new
                to_send[tp] = new
        for tp, new in wanted.items():
            if tp not in session:
                session[tp] = new
                to_send[tp] = new
        return FetchRequestData(to_send, to_forget, metadata, dict(session))

    def handle_response(self, error_code: int, session_id: int) -> bool:
        """Advance the session after a response; False when the response was a session-level
        error (the next fetch is full again)."""
        if error_code:
            if error_code == FETCH_SESSION_ID_NOT_FOUND:
                self.next_metadata = INITIAL
            else:
                self.next_metadata = self.next_metadata.next_close_existing()
            return False
        if self.next_metadata.epoch == FINAL_EPOCH:
            return True  # sessionless
        if session_id == INVALID_SESSION_ID:
            self.next_metadata = INITIAL  # the broker gave (or closed) no session
        elif self.next_metadata.is_full:
            self.next_metadata = FetchMetadata(session_id, 1)
        else:
            self.next_metadata = self.next_metadata.next_incremental()
        return True

    def handle_error(self) -> None:
        """The request failed (connection lost, timeout): start over with a full fetch that
        closes the session (Java's ``nextCloseExistingAttemptNew``)."""
        self.next_metadata = self.next_metadata.next_close_existing()

    def forget_all(self) -> None:
        """The broker is gone from the metadata or the consumer closes: nothing is kept."""
        self.next_metadata = INITIAL
        self.session_partitions = {}
