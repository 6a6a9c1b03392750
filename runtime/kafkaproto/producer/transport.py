"""What the producer engine needs from the network: the ``ProducerTransport`` protocol.

The cluster client (bootstrap, metadata, one connection per broker) implements it; tests use an
in-memory fake. The engine never opens sockets itself. This module holds only the protocol and
must never import an implementation.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol, TypeVar

from kafkaproto.message import ApiRequest, ApiResponse
from kafkaproto.producer.metadata import ClusterSnapshot

__all__ = ["ProducerTransport"]

R = TypeVar("R", bound=ApiResponse)


class ProducerTransport(Protocol):
    """The producer's view of the cluster client.

    * ``metadata_for(topics)``: fresh metadata for these topics (partitions, leaders, topic ids);
      raises on failure (the sender retries after ``retry.backoff.ms``).
    * ``send(node_id, request, version, expect_response=...)``: send one request at ``version``
      to that broker (``None``: any broker, the least loaded) over its single connection,
      pipelined; returns the decoded response, or None at once when written if
      ``expect_response`` is false (acks=0). Raises
      ``ConnectionError``/``OSError`` when the connection fails; the engine bounds the wait with
      ``request.timeout.ms`` itself.
    * ``await api_version(api_key)``: the highest version of the API both sides support, None if
      the brokers do not support it (connecting first if need be).

    Optional, as a pair (the producer uses neither without the other):

    * ``send_nowait(node_id, request, version)`` -> the future of the response of a request
      written at once (as ``send`` with a response), or None, with nothing written, when
      ``send`` would have to wait first (no open connection, no free in-flight slot).
      Cancelling the future drops the response.
    * ``await write(node_id, request, version)`` -> the same future, returned once the request
      is written, after waiting as ``send`` does (requests to a node are written in the order
      of the calls). The producer takes this way when ``send_nowait`` said None, and goes back
      to ``send_nowait`` for a node once every request it wrote this way has left, so that
      none overtakes another.

    Optional: ``finalized_features()`` -> ``(epoch, {feature: level})``, the cluster's finalized
    features as last announced (the transactional producer reads ``transaction.version`` there;
    without it, transaction version 1 is used).
    """

    async def metadata_for(self, topics: Collection[str]) -> ClusterSnapshot: ...

    async def send(
        self,
        node_id: int | None,
        request: ApiRequest[R],
        version: int,
        *,
        expect_response: bool = True,
    ) -> R | None: ...

    async def api_version(self, api_key: int) -> int | None: ...
