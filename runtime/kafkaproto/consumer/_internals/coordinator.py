"""``ConsumerCoordinator``: the consumer's dealings with its group coordinator — finding it,
a connection of its own to it, and the committed offsets (Java's
``ConsumerCoordinator.commitOffsetsSync/Async`` and ``fetchCommittedOffsets``), at the
negotiated FindCoordinator/OffsetCommit/OffsetFetch versions.

A consumer that assigns its own partitions commits with generation -1 and no member id, which
the broker accepts while the group has no active members. A group member's commits carry what
its membership (:attr:`ConsumerCoordinator.group`: the classic generation or the KIP-848
member epoch) says, and the membership decides what a fenced commit means (Java's
``CommitFailedException``, ``RebalanceInProgressException``, a retry with a newer epoch).
Offsets land in ``__consumer_offsets`` where Java's tools read them.

Errors follow Java's handlers: a lost or moving coordinator (``NOT_COORDINATOR``,
``COORDINATOR_NOT_AVAILABLE``, a dropped connection) is looked up again, loading and unstable
offsets are retried, all within the caller's deadline; authorization and metadata-too-large
errors are raised as their typed broker errors. This module does I/O through the cluster client
only; it must never touch fetch state.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection, Mapping
from typing import Final, Protocol
from uuid import UUID

from kafkaproto.cluster import ClusterClient
from kafkaproto.connection import Connection
from kafkaproto.consumer._internals import requests
from kafkaproto.consumer.errors import ConsumerTimeoutError
from kafkaproto.consumer.record import OffsetAndMetadata, TopicPartition
from kafkaproto.error_codes import (
    InvalidGroupIdError,
    KafkaError,
    TopicAuthorizationFailedError,
    error_for_code,
)
from kafkaproto.errors import KafkaConnectionError, RequestTimeoutError

__all__ = ["CommitIdentity", "ConsumerCoordinator", "GroupMember", "require_group"]

log = logging.getLogger(__name__)

# COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR, REQUEST_TIMED_OUT: look the coordinator up again.
_COORDINATOR_LOST: Final = frozenset({15, 16, 7})
_TOPIC_AUTHORIZATION_FAILED: Final = 29
# The errors of a commit that the group membership explains (Java's OffsetCommitResponseHandler
# and CommitRequestManager): UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, REBALANCE_IN_PROGRESS,
# FENCED_INSTANCE_ID, STALE_MEMBER_EPOCH, FENCED_MEMBER_EPOCH.
_MEMBERSHIP_ERRORS: Final = frozenset({25, 22, 27, 82, 113, 110})

#: (generation id or member epoch, member id, group instance id) a commit carries.
CommitIdentity = tuple[int, str, str | None]


class GroupMember(Protocol):
    """What the coordinator asks a group membership (classic or KIP-848)."""

    def commit_identity(self) -> CommitIdentity:
        """What the next commit carries; raises ``CommitFailedError`` or
        ``RebalanceInProgressError`` when the member cannot commit now (Java)."""
        ...

    def fetch_identity(self) -> tuple[str | None, int]:
        """(member id, member epoch) for OffsetFetch v9+ (None, -1: none)."""
        ...

    def commit_error(self, code: int, sent: CommitIdentity, retry: bool) -> BaseException | None:
        """What a membership error on a commit means: the exception to raise, or None to
        retry (KIP-848: a stale epoch when a newer one is known and ``retry`` allows)."""
        ...


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
        # A standalone consumer: no generation, no member; a group member's come from
        # ``group``.
        self.generation = -1
        self.member_id = ""
        self.coordinator: int | None = None
        #: How many times a coordinator was found: a membership that sees it change gives the
        #: new coordinator a full session (Java resets the session timer on FindCoordinator).
        self.discoveries = 0
        #: The group membership, once the consumer subscribed (None: assigns its own).
        self.group: GroupMember | None = None
        self._topic_ids = topic_ids
        self._lookup_task: asyncio.Task[int] | None = None

    # --- coordinator lookup --------------------------------------------------------------------

    async def lookup(self) -> int:
        """The coordinator's node id, found with FindCoordinator if unknown; concurrent callers
        share one lookup (Java's single ``findCoordinatorFuture``)."""
        if self.coordinator is not None:
            return self.coordinator
        task = self._lookup_task
        if task is None or task.done():
            task = self._lookup_task = asyncio.get_running_loop().create_task(self._lookup())
        return await asyncio.shield(task)

    async def connection(self) -> Connection:
        """The coordinator connection (found first if needed)."""
        node = await self.lookup()
        try:
            return await self.client.coordinator_connection(node)
        except (KafkaConnectionError, RequestTimeoutError):
            self.coordinator_unknown("coordinator unavailable", disconnected=True)
            raise

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
        self.discoveries += 1
        return node_id

    def coordinator_unknown(self, cause: str = "", *, disconnected: bool = False) -> None:
        """Java's ``markCoordinatorUnknown``: look it up again, and drop the connection to the
        old one (failing what is in flight there) unless it is already gone."""
        old = self.coordinator
        if old is None:
            return
        log.info(
            "group %s: coordinator %d is unavailable or invalid (%s); rediscovery will be "
            "attempted",
            self.group_id,
            old,
            cause or "unknown cause",
        )
        self.coordinator = None
        if not disconnected:
            self.client.close_coordinator_connection(old)

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
                node = await self.lookup()
                result = attempt(node)
                if asyncio.iscoroutine(result):
                    result = await result
                return result
            except KafkaError as exc:
                if not exc.retriable:
                    raise
                if exc.code in _COORDINATOR_LOST:
                    self.coordinator_unknown(type(exc).__name__)
                last = exc
            except (KafkaConnectionError, RequestTimeoutError) as exc:
                self.coordinator_unknown(str(exc), disconnected=True)
                self.client.note_error(exc)
                last = exc
            except _Retry as exc:
                last = exc
            pause = self.client.retry_backoff_s(tries)
            tries += 1
            if loop.time() + pause >= deadline:
                raise ConsumerTimeoutError(
                    f"{what} for group {self.group_id} did not finish in time (last error: {last})"
                ) from last
            await asyncio.sleep(pause)

    # --- commits -------------------------------------------------------------------------------

    def identity(self) -> CommitIdentity:
        """What a commit carries now (the membership's, or none for a standalone consumer)."""
        if self.group is not None:
            return self.group.commit_identity()
        return (self.generation, self.member_id, self.group_instance_id)

    async def commit(
        self,
        offsets: Mapping[TopicPartition, OffsetAndMetadata],
        deadline: float,
        *,
        retry_stale_epoch: bool = False,
    ) -> None:
        """Commit ``offsets``; raises the first non-retriable error, or
        ``ConsumerTimeoutError`` at ``deadline``. ``retry_stale_epoch``: a KIP-848 auto commit
        retries a stale member epoch with the newest one (Java's CommitRequestManager)."""
        if not offsets:
            return
        for tp, om in offsets.items():
            if om.offset < 0:
                raise ValueError(f"Invalid offset {om.offset} to commit for {tp}: must be >= 0")

        async def attempt(node: int) -> None:
            sent = self.identity()  # CommitFailedError / RebalanceInProgressError
            generation, member_id, instance_id = sent
            conn = await self.client.coordinator_connection(node)
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
                generation=generation,
                member_id=member_id,
                group_instance_id=instance_id,
            )
            response = await conn.request(request, version=version)
            names = {v: k for k, v in ids.items()}
            errors = requests.read_offset_commit_response(response, version, names)
            membership = {c for c in errors.values() if c in _MEMBERSHIP_ERRORS}
            if membership and self.group is not None:
                error = self.group.commit_error(min(membership), sent, retry_stale_epoch)
                if error is None:
                    raise _Retry("the member epoch moved on: commit again with the new one")
                raise error
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
            conn = await self.client.coordinator_connection(node)
            ids = self._topic_ids()
            member_id, member_epoch = (
                self.group.fetch_identity() if self.group is not None else (None, -1)
            )
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
                member_id=member_id,
                member_epoch=member_epoch,
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


class _Retry(Exception):
    """An attempt to repeat at once (after the retry backoff), within the caller's deadline."""
