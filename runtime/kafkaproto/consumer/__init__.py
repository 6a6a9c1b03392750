"""The Kafka consumer: ``AsyncConsumer`` (asyncio) and ``Consumer`` (blocking, driven by one
thread), two thin faces over one engine, and what they take and give: ``ConsumerRecord``,
``TopicPartition``, deserializers, ``ConsumerConfig``, ``ConsumerRebalanceListener``,
``SubscriptionPattern``, ``describe_group`` and the typed errors.

The public names are exported by ``kafkaproto`` (``from kafkaproto import AsyncConsumer``) and
live in this package's modules; the engine, subscription state, fetcher, offsets, coordinator,
memberships and assignors are private machinery in ``kafkaproto.consumer._internals`` (Java's
``consumer/internals``). Importing this package must stay cheap and must never start I/O.
"""
