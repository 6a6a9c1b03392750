"""``ConsumerRebalanceListener``: what an application is told when group management moves
partitions to or from it (Java's ``ConsumerRebalanceListener``).

Subclass it (or give any object with these methods) and pass it to ``subscribe``. The methods
run inside the consumer's own calls, on the thread (or task) that called ``poll``, ``close`` or
``unsubscribe`` — never from a background thread — so they may call the consumer
(``commit_sync`` of what was processed, ``seek``, ``position``). With ``AsyncConsumer`` they may
be coroutines. Java's guarantees hold:

* ``on_partitions_revoked`` runs before a partition goes to another member, while the member's
  commits are still accepted: commit what was processed there. With an EAGER assignor it runs
  at the start of every rebalance (with every partition, possibly none); with
  ``cooperative-sticky`` and the KIP-848 ``consumer`` protocol only for the partitions that move.
* ``on_partitions_assigned`` runs after every rebalance that completed for this member, with
  the partitions it gained (possibly none), before any record of them is returned.
* ``on_partitions_lost`` runs instead of ``revoked`` when the partitions already belong to
  someone else (the member was fenced, its session expired, or it went past
  ``max.poll.interval.ms``): committing them is no longer possible. By default it calls
  ``on_partitions_revoked``, as Java's does.

An exception from a method is logged, the rebalance completes, and the first such exception is
raised by the consumer call that ran it. This module must never import the engine.
"""

from __future__ import annotations

from collections.abc import Awaitable, Collection
from typing import Any

from kafkaproto.consumer.record import TopicPartition

__all__ = ["ConsumerRebalanceListener"]


class ConsumerRebalanceListener:
    """See the module docstring; every method does nothing by default (``lost`` calls
    ``revoked``). ``partitions`` is a sorted list of ``TopicPartition``."""

    def on_partitions_revoked(
        self, partitions: Collection[TopicPartition]
    ) -> Awaitable[Any] | None:
        return None

    def on_partitions_assigned(
        self, partitions: Collection[TopicPartition]
    ) -> Awaitable[Any] | None:
        return None

    def on_partitions_lost(self, partitions: Collection[TopicPartition]) -> Awaitable[Any] | None:
        return self.on_partitions_revoked(partitions)
