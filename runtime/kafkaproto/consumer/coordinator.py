"""``ConsumerCoordinator``: the consumer's dealings with its group coordinator — today the
committed offsets of a ``group.id`` consumer that assigns its own partitions (Java's
``ConsumerCoordinator.commitOffsetsSync/Async`` and ``fetchCommittedOffsets``), at the
negotiated FindCoordinator/OffsetCommit/OffsetFetch versions.

Such a consumer commits with generation -1 and no member id, which the broker accepts while the
group has no active members; offsets land in ``__consumer_offsets`` where Java's tools read them.
Group membership (JoinGroup/SyncGroup/Heartbeat, KIP-848's ConsumerGroupHeartbeat) plugs in
here in issue 12: ``generation``, ``member_id`` and ``group_instance_id`` are what commits carry
and what a join will set.

Errors follow Java's handlers: a lost or moving coordinator (``NOT_COORDINATOR``,
``COORDINATOR_NOT_AVAILABLE``, a dropped connection) is looked up again, loading and unstable
offsets are retried, all within the caller's deadline; authorization, metadata-too-large,
generation and unknown-member errors are raised as their typed broker errors. This module does
I/O through the cluster client only; it must never touch fetch state.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection, Mapping
from typing import Final
from uuid import UUID

from kafkaproto.cluster import ClusterClient
from kafkaproto.consumer import requests
from kafkaproto.consumer.errors import ConsumerTimeoutError
from kafkaproto.consumer.record import OffsetAndMetadata, TopicPartition
from kafkaproto.error_codes import (
    InvalidGroupIdError,
    KafkaError,
    TopicAuthorizationFailedError,
    error_for_code,
)
from kafkaproto.errors import KafkaConnectionError, RequestTimeoutError

__all__ = ["ConsumerCoordinator", "require_group"]

log = logging.getLogger(__name__)

_COORDINATOR_LOST: Final = frozenset({14, 15, 7})  # NOT_AVAILABLE, NOT_COORDINATOR, TIMED_OUT
_RETRY: Final = frozenset({14, 15, 7, 3, 88})  # + LOAD_IN_PROGRESS(14), UNKNOWN_TOPIC, UNSTABLE
_COORDINATOR_LOAD_IN_PROGRESS: Final = 14
_TOPIC_AUTHORIZATION_FAILED: Final = 29


def require_group(group_id: str | None) -> str:
    """``group.id`` or Java's ``InvalidGroupIdException`` when there is none."""
    if group_id is None:
        raise InvalidGroupIdError(
            "To use the group management or offset commit APIs, you must provide a valid "
            "group.id in the consumer configuration."
        )
    return group_id


class ConsumerCoordinator:
    """See the module docstring. ``topic_ids`` gives the metadata's topic ids (OffsetCommit
    and OffsetFetch name topics by id from v10) and their names back."""

    def __init__(
        self,
        client: ClusterClient,
        group_id: str,
        *,
        topic_ids: Callable[[], Mapping[str, UUID]],
        group_instance_id: str | None = None,
    ) -> None:
        self.client = client
        self.group_id = group_id
        self.group_instance_id = group_instance_id
        # A standalone consumer: no generation, no member (set by a join in issue 12).
        self.generation = -1
        self.member_id = ""
        self.coordinator: int | None = None
        self._topic_ids = topic_ids

    # --- coordinator lookup --------------------------------------------------------------------

    async def _lookup(self) -> int:
        conn = await self.client.any_connection()
        version = conn.version_for(requests.FIND_COORDINATOR)
        request = requests.find_coordinator_request(version, self.group_id)
        response = await conn.request(request, version=version)
        code, node_id, host, port, message = requests.read_find_coordinator_response(
            response, version
        )
        if code:
            raise error_for_code(code, message)
        if node_id not in self.client.metadata.brokers:
            await self.client.refresh_metadata()
        log.debug("group %s: coordinator is node %d (%s:%d)", self.group_id, node_id, host, port)
        self.coordinator = node_id
        return node_id

    def coordinator_unknown(self) -> None:
        self.coordinator = None

    async def _retrying(
        self, what: str, attempt: Callable[[int], object], deadline: float
    ) -> object:
        """Run ``attempt(coordinator)`` until it returns, retrying retriable failures with the
        retry backoff until ``deadline`` (loop time)."""
        loop = asyncio.get_running_loop()
        tries = 0
        last: BaseException | None = None
        while True:
            try:
                node = self.coordinator
                if node is None:
                    node = await self._lookup()
                result = attempt(node)
                if asyncio.iscoroutine(result):
                    result = await result
                return result
            except KafkaError as exc:
                if not exc.retriable:
                    raise
                if exc.code in _COORDINATOR_LOST:
                    self.coordinator_unknown()
                last = exc
            except (KafkaConnectionError, RequestTimeoutError) as exc:
                self.coordinator_unknown()
                self.client.note_error(exc)
                last = exc
            pause = self.client.retry_backoff_s(tries)
            tries += 1
            if loop.time() + pause >= deadline:
                raise ConsumerTimeoutError(
                    f"{what} for group {self.group_id} did not finish in time (last error: {last})"
                ) from last
            await asyncio.sleep(pause)

    # --- commits -------------------------------------------------------------------------------

    async def commit(
        self, offsets: Mapping[TopicPartition, OffsetAndMetadata], deadline: float
    ) -> None:
        """Commit ``offsets``; raises the first non-retriable error, or
        ``ConsumerTimeoutError`` at ``deadline``."""
        if not offsets:
            return
        for tp, om in offsets.items():
            if om.offset < 0:
                raise ValueError(f"Invalid offset {om.offset} to commit for {tp}: must be >= 0")

        async def attempt(node: int) -> None:
            conn = await self.client.connection(node)
            ids = self._topic_ids()
            version = conn.version_for(requests.OFFSET_COMMIT)
            if version >= requests.TOPIC_ID_VERSIONS[requests.OFFSET_COMMIT] and any(
                tp.topic not in ids for tp in offsets
            ):
                version = requests.TOPIC_ID_VERSIONS[requests.OFFSET_COMMIT] - 1
            request = requests.offset_commit_request(
                version,
                self.group_id,
                offsets,
                ids,
                generation=self.generation,
                member_id=self.member_id,
                group_instance_id=self.group_instance_id,
            )
            response = await conn.request(request, version=version)
            names = {v: k for k, v in ids.items()}
            errors = requests.read_offset_commit_response(response, version, names)
            unauthorized = {
                tp.topic for tp, c in errors.items() if c == _TOPIC_AUTHORIZATION_FAILED
            }
            if unauthorized:
                raise TopicAuthorizationFailedError(
                    f"Not authorized to commit to topics {sorted(unauthorized)}"
                )
            for tp, code in errors.items():
                if code:
                    error = error_for_code(code)
                    if not error.retriable:
                        error = error_for_code(code, f"committing {tp}: {error.message}")
                    raise error

        await self._retrying("OffsetCommit", attempt, deadline)

    async def fetch_committed(
        self,
        partitions: Collection[TopicPartition],
        deadline: float,
        *,
        require_stable: bool = True,
    ) -> dict[TopicPartition, OffsetAndMetadata | None]:
        """The committed offsets of ``partitions`` (None: nothing committed). With
        ``require_stable`` (KIP-447) offsets of pending transactional commits are waited for."""
        if not partitions:
            return {}
        result: dict[TopicPartition, OffsetAndMetadata | None] = {}

        async def attempt(node: int) -> None:
            conn = await self.client.connection(node)
            ids = self._topic_ids()
            version = conn.version_for(requests.OFFSET_FETCH)
            if version >= requests.TOPIC_ID_VERSIONS[requests.OFFSET_FETCH] and any(
                tp.topic not in ids for tp in partitions
            ):
                version = requests.TOPIC_ID_VERSIONS[requests.OFFSET_FETCH] - 1
            request = requests.offset_fetch_request(
                version,
                self.group_id,
                partitions,
                ids,
                require_stable=require_stable,
            )
            response = await conn.request(request, version=version)
            names = {v: k for k, v in ids.items()}
            group_error, offsets = requests.read_offset_fetch_response(response, version, names)
            if group_error:
                raise error_for_code(group_error)
            unauthorized = {
                tp.topic for tp, o in offsets.items() if o[3] == _TOPIC_AUTHORIZATION_FAILED
            }
            if unauthorized:
                raise TopicAuthorizationFailedError(
                    f"Not authorized to read the offsets of topics {sorted(unauthorized)}"
                )
            for tp, (offset, epoch, metadata, code) in offsets.items():
                if code:
                    raise error_for_code(code)
                result[tp] = (
                    OffsetAndMetadata(offset, metadata or "", epoch) if offset >= 0 else None
                )
            for tp in partitions:
                result.setdefault(tp, None)

        await self._retrying("OffsetFetch", attempt, deadline)
        return result
