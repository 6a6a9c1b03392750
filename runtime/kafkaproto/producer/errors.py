"""The producer's own typed errors: the ones raised on the client side, not read off the wire.

Broker error codes stay in ``kafkaproto.error_codes``; these are what Java's producer raises
itself (``TimeoutException`` from the accumulator and ``max.block.ms``, ``RecordTooLargeException``
from ``KafkaProducer.ensureValidRecordSize``, "producer closed"). This module must never import
anything from the producer's engine, so every layer can raise them.
"""

from __future__ import annotations

from kafkaproto import errors
from kafkaproto.error_codes import MessageTooLargeError
from kafkaproto.errors import KafkaProtoError

__all__ = [
    "BufferExhaustedError",
    "DeliveryTimeoutError",
    "ProducerClosedError",
    "ProducerFatalError",
    "ProducerMetadataTimeoutError",
    "ProducerTimeoutError",
    "RecordTooLargeError",
    "TransactionAbortRequiredError",
    "TransactionAbortedError",
    "TransactionStateError",
    "TransactionTimeoutError",
]


class ProducerTimeoutError(KafkaProtoError, TimeoutError):
    """Java's ``org.apache.kafka.common.errors.TimeoutException`` raised by the client itself.

    Also a builtin ``TimeoutError``, so ``except TimeoutError`` catches it."""

    retriable = True


class DeliveryTimeoutError(ProducerTimeoutError):
    """KIP-91: a batch reached ``delivery.timeout.ms`` (counted from its creation) before it was
    acknowledged; every record of the batch fails with it (Java: ``Sender.sendProducerData``'s
    "Expiring N record(s) for tp: X ms has passed since batch creation")."""


class BufferExhaustedError(ProducerTimeoutError):
    """``buffer.memory`` stayed full for ``max.block.ms`` (Java's ``BufferExhaustedException``)."""


class ProducerMetadataTimeoutError(ProducerTimeoutError, errors.MetadataTimeoutError):
    """The topic's metadata did not arrive within ``max.block.ms`` (Java: "Topic X not present
    in metadata after N ms."); also a ``kafkaproto.errors.MetadataTimeoutError`` (the cluster
    client's), so one ``except`` catches both."""


class RecordTooLargeError(MessageTooLargeError):
    """One record larger than ``max.request.size`` or ``buffer.memory``, refused before it is
    queued (Java's ``RecordTooLargeException`` from ``ensureValidRecordSize``; the same Java
    class the broker's MESSAGE_TOO_LARGE maps to, hence the subclass)."""


class ProducerClosedError(KafkaProtoError, RuntimeError):
    """A send after ``close()``, or records still queued when a bounded ``close()`` gave up
    (Java: "Producer is closed forcefully." / "Cannot perform operation after producer has been
    closed")."""


class ProducerFatalError(KafkaProtoError, RuntimeError):
    """The idempotent or transactional producer hit a fatal error (not authorized, unsupported
    version, an unexpected coordinator answer...); ``__cause__`` is the error behind it. Every
    later send and transactional call fails: close the producer (Java: TransactionManager in
    ``FATAL_ERROR``). Fencing raises ``kafkaproto.error_codes.ProducerFencedError`` instead,
    as Java raises ``ProducerFencedException``."""


class TransactionAbortRequiredError(KafkaProtoError, RuntimeError):
    """The current transaction hit an error it cannot be committed through (a record failed, a
    partition or offsets could not be added, the coordinator said TRANSACTION_ABORTABLE...);
    ``__cause__`` says which. Call ``abort_transaction()``, then begin a new transaction: the
    producer stays usable (Java: ``KafkaException`` from ``maybeFailWithError`` in
    ``ABORTABLE_ERROR``)."""


class TransactionStateError(KafkaProtoError, RuntimeError):
    """A transactional method called in the wrong state or order: ``begin_transaction()`` before
    ``init_transactions()``, a send outside a transaction, a commit while an earlier
    ``commit_transaction()`` that timed out has not been retried... The message says which
    call is expected (Java: ``IllegalStateException``). Nothing was changed."""


class TransactionTimeoutError(ProducerTimeoutError):
    """``init_transactions()``, ``commit_transaction()``, ``abort_transaction()`` or
    ``send_offsets_to_transaction()`` did not finish within ``max.block.ms``. The operation
    goes on in the background: call the same method again to wait for it (any other
    transactional call raises ``TransactionStateError`` until then), as Java's
    ``TransactionalRequestResult.await``."""


class TransactionAbortedError(KafkaProtoError, RuntimeError):
    """A record's transaction was aborted before the record was sent (Java's
    ``TransactionAbortedException``: "Failing batch since transaction was aborted")."""
