"""The Kafka producer: ``AsyncProducer`` (asyncio) and ``Producer`` (threads) over one engine —
accumulator, sender, idempotence — and its configuration (``kafkaproto.producer.config``).

Public names live in their modules (``from kafkaproto.producer.async_producer import
AsyncProducer``); importing this package must stay cheap and must never start I/O.
"""
