"""The producer's private machinery, as Java's ``clients/producer/internals``: the engine both
faces drive (``engine``), the record accumulator and its batches, the sender, idempotence and
transactions, and the transport over the cluster client. Applications use the faces and types of
``kafkaproto.producer`` (``AsyncProducer``, ``Producer``, ``ProducerRecord``, ...); nothing here is
a stable interface, and importing this package must stay cheap and never start I/O.
"""
