"""kafkaproto: Apache Kafka's wire protocol for Python — generated message classes, a sans-I/O
protocol core with asyncio connections, record batches, a cluster client, and a producer and a
consumer with the Java clients' semantics.

The public names are importable from here: ``from kafkaproto import AsyncProducer, Producer,
ProducerRecord, AsyncConsumer, Consumer, TopicPartition``. Each is imported on first use (module
``__getattr__``), so ``import kafkaproto`` stays cheap. Submodules stay importable as before
(``kafkaproto.messages``, ``kafkaproto.records.record_batch``, ...).

kafkaproto's three source folders (``codegen/``, ``runtime/``, ``generated/``) each hold a part of
this package; ``__path__`` is extended over all of them (in an installed wheel they are one
folder). ``KAFKAPROTO_PURE_PYTHON=1`` runs the pure-Python sources where compiled modules are
installed (:mod:`kafkaproto.compiled`). This module must never import another kafkaproto module
at import time.
"""

import os as _os
import sys as _sys

# pkgutil.extend_path's job, without importing pkgutil (and typing) on every start.
__path__ = [_os.path.abspath(p) for p in __path__]
_entry = _portion = ""
for _entry in _sys.path:
    _portion = _os.path.abspath(_os.path.join(_entry or _os.curdir, "kafkaproto"))
    if _portion not in __path__ and _os.path.isdir(_portion):
        __path__.append(_portion)
del _entry, _portion


TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing; mypy knows the name

if _os.environ.get("KAFKAPROTO_PURE_PYTHON", "") not in ("", "0"):
    # KAFKAPROTO_PURE_PYTHON=1 (kafkaproto.compiled): kafkaproto's submodules are found as .py
    # sources only, so a compiled extension beside a source is never loaded: the reference
    # path, for the tests and for debugging. Set it before kafkaproto is first imported. The
    # finder classes come from the import system's own module, always loaded: no import here.
    if TYPE_CHECKING:
        from collections.abc import Sequence
        from importlib.machinery import ModuleSpec
        from types import ModuleType

    _machinery = _sys.modules["_frozen_importlib_external"]

    class _SourcesOnly:
        @staticmethod
        def find_spec(
            name: str, path: "Sequence[str] | None", target: "ModuleType | None" = None, /
        ) -> "ModuleSpec | None":
            if not name.startswith("kafkaproto.") or path is None:
                return None
            loaders = (_machinery.SourceFileLoader, _machinery.SOURCE_SUFFIXES)
            for entry in path:
                spec: ModuleSpec | None = _machinery.FileFinder(entry, loaders).find_spec(name)
                if spec is not None and spec.loader is not None:
                    return spec
            return None

    _sys.meta_path.insert(0, _SourcesOnly)

#: Public name -> the module defining it.
_EXPORTS: dict[str, str] = {
    "AsyncProducer": "kafkaproto.producer.async_producer",
    "Producer": "kafkaproto.producer.sync_producer",
    "ProducerRecord": "kafkaproto.producer.record",
    "RecordMetadata": "kafkaproto.producer.record",
    "Serializer": "kafkaproto.producer.serializers",
    "BytesSerializer": "kafkaproto.producer.serializers",
    "StringSerializer": "kafkaproto.producer.serializers",
    "JsonSerializer": "kafkaproto.producer.serializers",
    "RecordFuture": "kafkaproto.producer.futures",
    "ProducerConfig": "kafkaproto.producer.config",
    "BufferExhaustedError": "kafkaproto.producer.errors",
    "DeliveryTimeoutError": "kafkaproto.producer.errors",
    "ProducerClosedError": "kafkaproto.producer.errors",
    "ProducerFatalError": "kafkaproto.producer.errors",
    "ProducerMetadataTimeoutError": "kafkaproto.producer.errors",
    "ProducerTimeoutError": "kafkaproto.producer.errors",
    "RecordTooLargeError": "kafkaproto.producer.errors",
    "AsyncConsumer": "kafkaproto.consumer.async_consumer",
    "Consumer": "kafkaproto.consumer.sync_consumer",
    "ConsumerConfig": "kafkaproto.consumer.config",
    "ConsumerRecord": "kafkaproto.consumer.record",
    "ConsumerRecords": "kafkaproto.consumer.record",
    "TopicPartition": "kafkaproto.consumer.record",
    "OffsetAndTimestamp": "kafkaproto.consumer.record",
    "Deserializer": "kafkaproto.consumer.record",
    "BytesDeserializer": "kafkaproto.consumer.record",
    "StringDeserializer": "kafkaproto.consumer.record",
    "JsonDeserializer": "kafkaproto.consumer.record",
    "ConsumerError": "kafkaproto.consumer.errors",
    "ConsumerTimeoutError": "kafkaproto.consumer.errors",
    "InvalidOffsetError": "kafkaproto.consumer.errors",
    "NoOffsetForPartitionError": "kafkaproto.consumer.errors",
    "PositionOutOfRangeError": "kafkaproto.consumer.errors",
    "LogTruncationError": "kafkaproto.consumer.errors",
    "WakeupError": "kafkaproto.consumer.errors",
    "CommitFailedError": "kafkaproto.consumer.errors",
    "ConsumerRebalanceListener": "kafkaproto.consumer.listener",
    "SubscriptionPattern": "kafkaproto.consumer.subscription_pattern",
    "TransactionAbortRequiredError": "kafkaproto.producer.errors",
    "TransactionAbortedError": "kafkaproto.producer.errors",
    "TransactionStateError": "kafkaproto.producer.errors",
    "TransactionTimeoutError": "kafkaproto.producer.errors",
    "ProducerFencedError": "kafkaproto.error_codes",
    "ConsumerGroupMetadata": "kafkaproto.group_metadata",
    "OffsetAndMetadata": "kafkaproto.group_metadata",
    "ClusterClient": "kafkaproto.cluster",
    "ClusterMetadata": "kafkaproto.cluster",
    "ClusterClientConfig": "kafkaproto.cluster_config",
    "EARLIEST": "kafkaproto.fetcher",
    "LATEST": "kafkaproto.fetcher",
    "fetch_partition": "kafkaproto.fetcher",
    "ConfigError": "kafkaproto.config",
    "KafkaError": "kafkaproto.error_codes",
    "ApiVersionError": "kafkaproto.errors",
    "DecodeError": "kafkaproto.errors",
    "EncodeError": "kafkaproto.errors",
    "KafkaConnectionError": "kafkaproto.errors",
    "KafkaProtoError": "kafkaproto.errors",
    "MetadataTimeoutError": "kafkaproto.errors",
    "RequestTimeoutError": "kafkaproto.errors",
}

__all__ = [
    "EARLIEST",
    "LATEST",
    "ApiVersionError",
    "AsyncConsumer",
    "AsyncProducer",
    "BufferExhaustedError",
    "BytesDeserializer",
    "BytesSerializer",
    "ClusterClient",
    "ClusterClientConfig",
    "ClusterMetadata",
    "CommitFailedError",
    "ConfigError",
    "Consumer",
    "ConsumerConfig",
    "ConsumerError",
    "ConsumerGroupMetadata",
    "ConsumerRebalanceListener",
    "ConsumerRecord",
    "ConsumerRecords",
    "ConsumerTimeoutError",
    "DecodeError",
    "DeliveryTimeoutError",
    "Deserializer",
    "EncodeError",
    "InvalidOffsetError",
    "JsonDeserializer",
    "JsonSerializer",
    "KafkaConnectionError",
    "KafkaError",
    "KafkaProtoError",
    "LogTruncationError",
    "MetadataTimeoutError",
    "NoOffsetForPartitionError",
    "OffsetAndMetadata",
    "OffsetAndTimestamp",
    "PositionOutOfRangeError",
    "Producer",
    "ProducerClosedError",
    "ProducerConfig",
    "ProducerFatalError",
    "ProducerFencedError",
    "ProducerMetadataTimeoutError",
    "ProducerRecord",
    "ProducerTimeoutError",
    "RecordFuture",
    "RecordMetadata",
    "RecordTooLargeError",
    "RequestTimeoutError",
    "Serializer",
    "StringDeserializer",
    "StringSerializer",
    "SubscriptionPattern",
    "TopicPartition",
    "TransactionAbortRequiredError",
    "TransactionAbortedError",
    "TransactionStateError",
    "TransactionTimeoutError",
    "WakeupError",
    "fetch_partition",
]

if TYPE_CHECKING:
    from kafkaproto.cluster import ClusterClient, ClusterMetadata
    from kafkaproto.cluster_config import ClusterClientConfig
    from kafkaproto.config import ConfigError
    from kafkaproto.consumer.async_consumer import AsyncConsumer
    from kafkaproto.consumer.config import ConsumerConfig
    from kafkaproto.consumer.errors import (
        CommitFailedError,
        ConsumerError,
        ConsumerTimeoutError,
        InvalidOffsetError,
        LogTruncationError,
        NoOffsetForPartitionError,
        PositionOutOfRangeError,
        WakeupError,
    )
    from kafkaproto.consumer.listener import ConsumerRebalanceListener
    from kafkaproto.consumer.record import (
        BytesDeserializer,
        ConsumerRecord,
        ConsumerRecords,
        Deserializer,
        JsonDeserializer,
        OffsetAndTimestamp,
        StringDeserializer,
        TopicPartition,
    )
    from kafkaproto.consumer.subscription_pattern import SubscriptionPattern
    from kafkaproto.consumer.sync_consumer import Consumer
    from kafkaproto.error_codes import KafkaError, ProducerFencedError
    from kafkaproto.errors import (
        ApiVersionError,
        DecodeError,
        EncodeError,
        KafkaConnectionError,
        KafkaProtoError,
        MetadataTimeoutError,
        RequestTimeoutError,
    )
    from kafkaproto.fetcher import EARLIEST, LATEST, fetch_partition
    from kafkaproto.group_metadata import ConsumerGroupMetadata, OffsetAndMetadata
    from kafkaproto.producer.async_producer import AsyncProducer
    from kafkaproto.producer.config import ProducerConfig
    from kafkaproto.producer.errors import (
        BufferExhaustedError,
        DeliveryTimeoutError,
        ProducerClosedError,
        ProducerFatalError,
        ProducerMetadataTimeoutError,
        ProducerTimeoutError,
        RecordTooLargeError,
        TransactionAbortedError,
        TransactionAbortRequiredError,
        TransactionStateError,
        TransactionTimeoutError,
    )
    from kafkaproto.producer.futures import RecordFuture
    from kafkaproto.producer.record import ProducerRecord, RecordMetadata
    from kafkaproto.producer.serializers import (
        BytesSerializer,
        JsonSerializer,
        Serializer,
        StringSerializer,
    )
    from kafkaproto.producer.sync_producer import Producer


def __getattr__(name: str) -> object:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'kafkaproto' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module_name), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
