"""The asyncio connection against a scripted server on 127.0.0.1 (fake_broker.py): version
negotiation and its fallback, the in-flight cap, timeouts, close() and a peer that hangs up.
The real broker's side of the same is in tests/integration/test_connection_broker.py."""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import pytest
from fake_broker import CLOSE, FakeBroker, api_versions_body, encode_response
from kafkaproto.connection import Connection
from kafkaproto.errors import (
    ApiVersionError,
    ConnectTimeoutError,
    FrameTooLargeError,
    KafkaConnectionError,
    NoCommonVersionError,
    RequestTimeoutError,
)
from kafkaproto.message import ApiRequest, ApiResponse
from kafkaproto.messages import APIS
from kafkaproto.messages.api_versions import (
    ApiVersionsRequest,
    ApiVersionsResponse,
    ApiVersionsResponseApiVersion,
)
from kafkaproto.messages.metadata import MetadataRequest, MetadataResponse
from kafkaproto.messages.request_header import RequestHeader

pytestmark = pytest.mark.timeout(30)

RANGES = {18: (0, 4), 3: (0, 12), 0: (0, 2), 1: (4, 17)}


def run(coro: Coroutine[Any, Any, None]) -> None:
    asyncio.run(asyncio.wait_for(coro, 20))


def answer_all(header: RequestHeader, body: ApiRequest[ApiResponse]) -> object:
    if body.api_key == 18:
        return api_versions_body(RANGES)
    if body.api_key == 3:
        return MetadataResponse(cluster_id="fake")
    return None


def metadata_held_until(
    release: asyncio.Event,
) -> Callable[[RequestHeader, ApiRequest[ApiResponse]], Awaitable[object]]:
    """A fake broker's handler that answers Metadata only once ``release`` is set."""

    async def handler(header: RequestHeader, body: ApiRequest[ApiResponse]) -> object:
        if body.api_key == 3:
            await release.wait()
        return answer_all(header, body)

    return handler


async def _open(port: int, **kwargs: Any) -> Connection:
    options: dict[str, Any] = {"connect_timeout": 5, "request_timeout": 5, **kwargs}
    return await Connection.open("127.0.0.1", port, **options)


def test_negotiation_picks_highest_common_version() -> None:
    async def main() -> None:
        async with FakeBroker(answer_all) as fake:
            conn = await _open(fake.port, client_id="neg")
            async with conn:
                # First ApiVersions at our newest stable version, with KIP-511 software fields.
                header, first = fake.received[0]
                assert header.request_api_version == APIS[18].latest_stable
                assert header.client_id == "neg"
                assert isinstance(first, ApiVersionsRequest)
                assert first.client_software_name == "kafkaproto"
                assert conn.version_for(18) == 4
                assert conn.version_for(3) == 12
                assert conn.version_for(1) == min(17, APIS[1].latest_stable)
                assert conn.broker_versions[0] == (0, 2)
                with pytest.raises(NoCommonVersionError, match="Produce") as info:
                    conn.version_for(0)  # broker 0-2, kafkaproto 3+
                assert info.value.ours[0] == APIS[0].min_version
                assert info.value.broker == (0, 2)
                with pytest.raises(NoCommonVersionError, match="ListOffsets"):
                    conn.version_for(2)  # the broker does not offer ListOffsets at all
                response = await conn.request(MetadataRequest())
                assert response.cluster_id == "fake"  # typed: a MetadataResponse

    run(main())


def test_unsupported_api_versions_version_is_retried_lower() -> None:
    """Kafka's dance: UNSUPPORTED_VERSION in the v0 layout, listing the range it does serve."""

    def old_broker(header: RequestHeader, body: ApiRequest[ApiResponse]) -> object:
        if body.api_key == 18 and header.request_api_version > 2:
            v0 = ApiVersionsResponse(
                error_code=35,
                api_keys=[ApiVersionsResponseApiVersion(api_key=18, min_version=0, max_version=2)],
            )
            return encode_response(header.correlation_id, 18, 0, v0)  # in the v0 layout
        return answer_all(header, body)

    async def main() -> None:
        async with FakeBroker(old_broker) as fake:
            async with await _open(fake.port) as conn:
                versions = [header.request_api_version for header, _ in fake.received]
                assert versions == [APIS[18].latest_stable, 2]
                assert isinstance(fake.received[1][1], ApiVersionsRequest)
                assert isinstance(conn.api_versions_response, ApiVersionsResponse)
                assert conn.version_for(3) == 12

    run(main())


def test_request_at_version_broker_lacks_is_refused() -> None:
    async def main() -> None:
        async with FakeBroker(answer_all) as fake:
            async with await _open(fake.port) as conn:
                with pytest.raises(ApiVersionError, match="Metadata v13"):
                    await conn.request(MetadataRequest(), version=13)
                assert len(fake.received) == 1  # nothing went out

    run(main())


def test_pipelining_respects_max_in_flight() -> None:
    release = asyncio.Event()
    outstanding: list[int] = []

    async def slow(header: RequestHeader, body: ApiRequest[ApiResponse]) -> object:
        if body.api_key == 3:
            outstanding.append(1)
            await release.wait()
        return answer_all(header, body)

    async def main() -> None:
        async with FakeBroker(slow) as fake:
            async with await _open(fake.port, max_in_flight=3) as conn:
                tasks = [asyncio.create_task(conn.request(MetadataRequest())) for _ in range(10)]
                await asyncio.sleep(0.2)
                # The fake serves one request at a time (like Kafka), so it saw one; the client
                # holds exactly max_in_flight on the wire and the rest wait for a slot.
                assert conn.in_flight == 3
                assert len(outstanding) == 1
                release.set()
                results = await asyncio.gather(*tasks)
                assert all(isinstance(r, MetadataResponse) for r in results)
                assert conn.in_flight == 0

    run(main())


def test_request_timeout_poisons_connection() -> None:
    def silent(header: RequestHeader, body: ApiRequest[ApiResponse]) -> object:
        return answer_all(header, body) if body.api_key == 18 else None

    async def main() -> None:
        async with FakeBroker(silent) as fake:
            conn = await _open(fake.port, request_timeout=0.3)
            loop = asyncio.get_running_loop()
            started = loop.time()
            first = asyncio.create_task(conn.request(MetadataRequest()))
            await asyncio.sleep(0.1)
            second = asyncio.create_task(conn.request(MetadataRequest(), timeout=10))
            with pytest.raises(RequestTimeoutError) as info:
                await first
            assert 0.2 <= loop.time() - started <= 2
            assert info.value.api == "Metadata" and info.value.version == 12
            assert info.value.broker == f"127.0.0.1:{fake.port}"
            with pytest.raises(KafkaConnectionError, match="timed out"):
                await second
            assert conn.closed
            with pytest.raises(KafkaConnectionError):
                await conn.request(MetadataRequest())
            await asyncio.wait_for(conn.wait_closed(), 5)

    run(main())


def test_shorter_timeout_behind_longer_one_fires_first() -> None:
    def silent(header: RequestHeader, body: ApiRequest[ApiResponse]) -> object:
        return answer_all(header, body) if body.api_key == 18 else None

    async def main() -> None:
        async with FakeBroker(silent) as fake:
            conn = await _open(fake.port, request_timeout=10)
            long = asyncio.create_task(conn.request(MetadataRequest()))
            await asyncio.sleep(0.05)
            short = asyncio.create_task(conn.request(MetadataRequest(), timeout=0.2))
            with pytest.raises(RequestTimeoutError) as info:
                await asyncio.wait_for(short, 3)
            assert info.value.timeout == 0.2
            with pytest.raises(KafkaConnectionError):
                await long

    run(main())


def test_close_fails_every_pending_request() -> None:
    def silent(header: RequestHeader, body: ApiRequest[ApiResponse]) -> object:
        return answer_all(header, body) if body.api_key == 18 else None

    async def main() -> None:
        async with FakeBroker(silent) as fake:
            conn = await _open(fake.port, max_in_flight=2)
            tasks = [asyncio.create_task(conn.request(MetadataRequest())) for _ in range(5)]
            await asyncio.sleep(0.1)
            assert conn.in_flight == 2
            conn.close()
            results = await asyncio.gather(*tasks, return_exceptions=True)
            assert all(isinstance(r, KafkaConnectionError) for r in results), results
            assert "closed by the client" in str(results[0])
            await asyncio.wait_for(conn.wait_closed(), 5)
            conn.close()  # idempotent

    run(main())


def test_peer_closing_mid_request_fails_promptly() -> None:
    def hang_up(header: RequestHeader, body: ApiRequest[ApiResponse]) -> object:
        return answer_all(header, body) if body.api_key == 18 else CLOSE

    async def main() -> None:
        async with FakeBroker(hang_up) as fake:
            conn = await _open(fake.port, request_timeout=30)
            loop = asyncio.get_running_loop()
            started = loop.time()
            tasks = [asyncio.create_task(conn.request(MetadataRequest())) for _ in range(3)]
            results = await asyncio.gather(*tasks, return_exceptions=True)
            assert loop.time() - started < 5  # not the 30 s request timeout
            assert all(isinstance(r, KafkaConnectionError) for r in results), results
            assert "connection lost" in str(results[0])
            assert conn.closed

    run(main())


def test_oversized_frame_fails_oldest_request_with_its_error() -> None:
    def huge(header: RequestHeader, body: ApiRequest[ApiResponse]) -> object:
        if body.api_key == 18:
            return answer_all(header, body)
        return struct.pack(">i", 1 << 30)

    async def main() -> None:
        async with FakeBroker(huge) as fake:
            conn = await _open(fake.port, max_frame_size=1 << 20)
            with pytest.raises(FrameTooLargeError) as info:
                await conn.request(MetadataRequest())
            assert info.value.size == 1 << 30 and info.value.limit == 1 << 20
            assert conn.closed

    run(main())


def test_connect_refused_is_typed() -> None:
    with socket.socket() as s:  # a port that nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]

    async def main() -> None:
        with pytest.raises(KafkaConnectionError, match="cannot connect") as info:
            await _open(port)
        assert info.value.broker == f"127.0.0.1:{port}"

    run(main())


def test_silent_broker_during_negotiation_is_a_connect_timeout() -> None:
    async def main() -> None:
        async with FakeBroker(lambda h, b: None) as fake:
            with pytest.raises(ConnectTimeoutError, match="ApiVersions"):
                await _open(fake.port, request_timeout=0.3)

    run(main())


def test_cancelled_waiter_does_not_lose_a_slot() -> None:
    release = asyncio.Event()
    slow = metadata_held_until(release)

    async def main() -> None:
        async with FakeBroker(slow) as fake:
            async with await _open(fake.port, max_in_flight=1) as conn:
                first = asyncio.create_task(conn.request(MetadataRequest()))
                waiting = asyncio.create_task(conn.request(MetadataRequest()))
                third = asyncio.create_task(conn.request(MetadataRequest()))
                await asyncio.sleep(0.05)
                waiting.cancel()
                release.set()
                assert isinstance(await first, MetadataResponse)
                assert isinstance(await asyncio.wait_for(third, 5), MetadataResponse)
                assert waiting.cancelled()

    run(main())


def test_request_nowait_writes_at_once_while_a_slot_is_free() -> None:
    release = asyncio.Event()
    slow = metadata_held_until(release)

    async def main() -> None:
        async with FakeBroker(slow) as fake:
            async with await _open(fake.port, max_in_flight=2) as conn:
                first = conn.request_nowait(MetadataRequest())
                second = conn.request_nowait(MetadataRequest(), version=12)
                assert first is not None and second is not None
                assert conn.in_flight == 2
                # Every slot taken: nothing is written, request() is the way to wait.
                assert conn.request_nowait(MetadataRequest()) is None
                assert conn.in_flight == 2
                waiting = asyncio.create_task(conn.request(MetadataRequest()))
                await asyncio.sleep(0.05)
                release.set()
                results = [await first, await second, await waiting]
                assert all(isinstance(r, MetadataResponse) for r in results), results
                assert conn.in_flight == 0
                third = conn.request_nowait(MetadataRequest())
                assert third is not None
                assert isinstance(await third, MetadataResponse)

    run(main())


def test_request_nowait_refuses_a_version_and_a_closed_connection() -> None:
    def silent(header: RequestHeader, body: ApiRequest[ApiResponse]) -> object:
        return answer_all(header, body) if body.api_key == 18 else None

    async def main() -> None:
        async with FakeBroker(silent) as fake:
            conn = await _open(fake.port)
            with pytest.raises(ApiVersionError, match="Metadata v13"):
                conn.request_nowait(MetadataRequest(), version=13)
            assert conn.in_flight == 0
            pending = conn.request_nowait(MetadataRequest())
            assert pending is not None
            conn.close()
            with pytest.raises(KafkaConnectionError, match="closed by the client"):
                await pending
            assert conn.request_nowait(MetadataRequest()) is None

    run(main())


def test_request_nowait_cancelled_drops_its_response_and_keeps_the_order() -> None:
    async def main() -> None:
        async with FakeBroker(answer_all) as fake:
            async with await _open(fake.port) as conn:
                dropped = conn.request_nowait(MetadataRequest())
                kept = conn.request_nowait(MetadataRequest())
                assert dropped is not None and kept is not None
                dropped.cancel()
                assert isinstance(await kept, MetadataResponse)
                assert conn.in_flight == 0
                assert not conn.closed

    run(main())


def test_write_request_returns_once_written_and_waits_for_a_slot_in_order() -> None:
    release = asyncio.Event()
    slow = metadata_held_until(release)

    async def main() -> None:
        async with FakeBroker(slow) as fake:
            async with await _open(fake.port, max_in_flight=1) as conn:
                first = await conn.write_request(MetadataRequest())
                assert conn.in_flight == 1 and not first.done()  # written, not answered
                second = asyncio.create_task(conn.write_request(MetadataRequest(), version=12))
                await asyncio.sleep(0.05)
                assert not second.done()  # waiting for the only slot
                assert conn.request_nowait(MetadataRequest()) is None  # would overtake it
                release.set()
                assert isinstance(await first, MetadataResponse)
                written = await second
                assert isinstance(await written, MetadataResponse)
                with pytest.raises(ApiVersionError, match="Metadata v13"):
                    await conn.write_request(MetadataRequest(), version=13)
                assert conn.in_flight == 0
            with pytest.raises(KafkaConnectionError, match="closed by the client"):
                await conn.write_request(MetadataRequest())

    run(main())
