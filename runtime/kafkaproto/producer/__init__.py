"""The Kafka producer: ``AsyncProducer`` (asyncio) and ``Producer`` (threads), two thin faces over
one engine, and what they take and give: ``ProducerRecord``, ``RecordMetadata``, ``RecordFuture``,
serializers, ``ProducerConfig`` and the typed errors.

The public names are exported by ``kafkaproto`` (``from kafkaproto import AsyncProducer``) and
live in this package's modules; the engine, accumulator, batches, sender, idempotence and
transactions are private machinery in ``kafkaproto.producer._internals`` (Java's
``producer/internals``). Importing this package must stay cheap and must never start I/O.
"""
