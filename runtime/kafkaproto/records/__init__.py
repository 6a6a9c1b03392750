"""Kafka record data: RecordBatch v2 (read and write), legacy message sets v0/v1 (read only) and
the compression codecs they use.

Public names live in their modules (``kafkaproto.records.record_batch``, ``.batch_builder``,
``.legacy``, ``.compression``, ``.errors``); this package file must stay free of imports so that
loading one module never pulls in another's dependencies.
"""
