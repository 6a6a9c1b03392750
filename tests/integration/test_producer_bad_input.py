"""Bad input against the real broker gives a clear, typed error, never a hang.

- A topic name the broker refuses ("bad/name", and one over 249 characters): ``await send``
  raises ``InvalidTopicError`` (INVALID_TOPIC_EXCEPTION from Metadata), well before max.block.ms.
  (Unknown topic with auto-creation off is not testable here: the test brokers allow
  auto-creation and the producer asks for it, as Java's does.)
- A record over max.request.size: ``RecordTooLargeError`` from send, nothing sent; a record under
  the producer's limit but over the topic's max.message.bytes: the broker's
  ``MessageTooLargeError`` through the future, the records around it delivered.
- Records each under the topic's max.message.bytes, batched over it: the refused batch is
  split until its pieces fit, every record delivered in order (Java splits at batch.size
  only, which gives such a batch back whole until delivery.timeout.ms fails it).
- A str value (or key) without a serializer: ``TypeError`` from send(), as Java's
  ``SerializationException`` is thrown by send.
- Invalid settings: ``ConfigError`` (also a ``ValueError``) from the constructor, naming the key.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import pytest
from kafkaproto.error_codes import InvalidTopicError, MessageTooLargeError
from kafkaproto.producer.async_producer import AsyncProducer
from kafkaproto.producer.config import ConfigError
from kafkaproto.producer.errors import RecordTooLargeError
from kafkaproto.producer.record import ProducerRecord
from kafkaproto.producer.serializers import StringSerializer
from kafkaproto.producer.sync_producer import Producer
from topics import create_topic, read_partitions

pytestmark = [pytest.mark.broker, pytest.mark.timeout(120)]


@pytest.mark.parametrize("name", ["bad/name", "x" * 250])
def test_invalid_topic_name_fails_typed_and_fast(broker: str, name: str) -> None:
    async def main() -> float:
        async with AsyncProducer(bootstrap_servers=broker, max_block_ms=20_000) as producer:
            started = time.monotonic()
            with pytest.raises(InvalidTopicError):
                await asyncio.wait_for(producer.send(ProducerRecord(name, b"v")), 30)
            return time.monotonic() - started

    assert asyncio.run(main()) < 10  # the broker's answer, not max.block.ms running out


def test_record_over_max_request_size_and_over_topic_limit(broker: str) -> None:
    topic = f"bad-size-{uuid.uuid4().hex[:8]}"
    asyncio.run(create_topic(broker, topic, 1, configs={"max.message.bytes": "2000"}))

    async def main() -> None:
        async with AsyncProducer(
            bootstrap_servers=broker, max_request_size=100_000, linger_ms=0
        ) as producer:
            # Refused before queueing: raised by the await of send itself.
            with pytest.raises(RecordTooLargeError, match=r"max\.request\.size"):
                await producer.send(ProducerRecord(topic, b"x" * 200_000))
            before = await producer.send(ProducerRecord(topic, b"before"))
            await asyncio.wait_for(before, 30)
            over_topic = await producer.send(ProducerRecord(topic, b"y" * 5000))
            with pytest.raises(MessageTooLargeError):
                await asyncio.wait_for(over_topic, 60)
            after = await producer.send(ProducerRecord(topic, b"after"))
            assert (await asyncio.wait_for(after, 30)).offset == 1

    asyncio.run(main())
    assert [r.value for r in asyncio.run(read_partitions(broker, topic, 1))[0]] == [
        b"before",
        b"after",
    ]


def test_a_batch_over_the_topic_limit_is_split_until_it_fits(broker: str) -> None:
    topic = f"split-{uuid.uuid4().hex[:8]}"
    asyncio.run(create_topic(broker, topic, 1, configs={"max.message.bytes": "2000"}))
    values = [b"%03d" % i + b"v" * 97 for i in range(100)]  # ~11 KB together, 100 B each

    async def main() -> list[int]:
        async with AsyncProducer(
            bootstrap_servers=broker,
            linger_ms=200,  # one batch of all hundred, under batch.size (16 KiB)
            request_timeout_ms=10_000,
            delivery_timeout_ms=30_000,
        ) as producer:
            futures = [await producer.send(ProducerRecord(topic, v)) for v in values]
            return [(await asyncio.wait_for(f, 60)).offset for f in futures]

    assert asyncio.run(main()) == list(range(100))
    assert [r.value for r in asyncio.run(read_partitions(broker, topic, 1))[0]] == values


def test_str_without_serializer_is_a_type_error_at_send(broker: str) -> None:
    async def main() -> None:
        async with AsyncProducer(bootstrap_servers=broker) as producer:
            with pytest.raises(TypeError, match="bytes-like"):
                await producer.send(ProducerRecord("t", "a str value"))
            with pytest.raises(TypeError, match="bytes-like"):
                await producer.send(ProducerRecord("t", b"v", key=42))

    asyncio.run(main())
    with Producer(bootstrap_servers=broker) as sync:
        with pytest.raises(TypeError, match="bytes-like"):
            sync.send(ProducerRecord("t", "a str value"))
    topic = f"bad-str-{uuid.uuid4().hex[:8]}"
    with Producer(bootstrap_servers=broker, value_serializer=StringSerializer()) as sync:
        sync.send(ProducerRecord(topic, "now fine ü")).result(timeout=30)
        with pytest.raises(TypeError, match="str values"):
            sync.send(ProducerRecord(topic, b"bytes into a StringSerializer"))
    assert asyncio.run(read_partitions(broker, topic, 1))[0][0].value == "now fine ü".encode()


@pytest.mark.parametrize(
    ("settings", "key"),
    [
        ({"acks": "2"}, "acks"),
        ({"linger.ms": -1}, "linger.ms"),
        ({"delivery.timeout.ms": 1000, "request.timeout.ms": 1000, "linger.ms": 5}, "delivery"),
        ({"enable.idempotence": True, "acks": "1"}, "acks"),
        ({"enable.idempotence": True, "max.in.flight.requests.per.connection": 6}, "in.flight"),
        ({"compression.type": "brotli"}, "compression.type"),
    ],
)
def test_invalid_config_is_a_config_error(settings: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")) as info:
        AsyncProducer(bootstrap_servers="127.0.0.1:1", **settings)
    assert isinstance(info.value, ValueError)
    with pytest.raises(ConfigError):
        Producer(bootstrap_servers="127.0.0.1:1", **settings)
