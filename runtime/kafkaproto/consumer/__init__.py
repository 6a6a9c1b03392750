"""The Kafka consumer: ``AsyncConsumer`` (asyncio) and ``Consumer`` (blocking, driven by one
thread) over one engine — subscription state, fetcher, offsets, coordinator — and its
configuration (``kafkaproto.consumer.config``).

Public names live in their modules (``from kafkaproto.consumer.async_consumer import
AsyncConsumer``); importing this package must stay cheap and must never start I/O.
"""
