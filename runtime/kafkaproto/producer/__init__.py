"""The Kafka producer: configuration now (``kafkaproto.producer.config``), the accumulator, sender
and the asyncio producer later. Importing this package must stay cheap and must never start I/O."""
