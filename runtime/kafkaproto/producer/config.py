"""The producer's configuration with Kafka 4.4.0's names, defaults, validation and rules.

``ProducerConfig`` is defined on the shared machinery (:mod:`kafkaproto.config`): it lists its
keys (the common client settings from :mod:`kafkaproto.config.common`, then the producer's own)
and its rules, in Java's order: ``ProducerConfig.postProcessParsedConfig`` (SASL mechanism check,
reconnect backoff, idempotence, client id) and the checks ``KafkaProducer``'s constructor makes
(KIP-91 delivery timeout, rack-aware partitioner). Every default, type, importance and rule was
read from the kafka-clients 4.4.0 bytecode and is checked against the jar by
tests/oracle/test_producer_config_oracle.py; comments name the Java class each comes from.

Unknown keys follow Java: a warning, not an error. Java applications put settings of their own
plugins (interceptors, serializers) in the same map, and property files ported from Java carry
them; the warning names the closest known key to catch typos. Two deliberate differences, each
because silently ignoring the key would change what goes over the wire: ``ssl.*``/``sasl.*`` keys
kafkaproto does not know (the security settings it implements are
:class:`~kafkaproto.security.definitions.SecuritySettings`), ``security.providers`` and
``config.providers`` are errors. Java plugin class names (``key.serializer``, ``partitioner.class``
...) and JMX metrics settings are accepted with a warning and not used. As a Python convenience
``acks`` also takes the ints -1, 0 and 1.

This module must never open connections, read files or start tasks: it only turns settings into
a validated, immutable value.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import ClassVar

from kafkaproto.config import common
from kafkaproto.config.definition import (
    INT_MAX,
    KAFKA_VERSION,
    AbstractConfig,
    CaseInsensitiveValidString,
    Check,
    ConfigError,
    Explanation,
    Importance,
    NonEmptyString,
    Range,
    Rule,
    RuleContext,
    Type,
    ValidString,
    boolean,
    custom,
    integer,
    long,
    optional_string,
    parse_str,
    string,
)
from kafkaproto.security.definitions import SecuritySettings, security_rules

__all__ = [
    "KAFKA_VERSION",
    "ConfigError",
    "Explanation",
    "ProducerConfig",
    "explain",
]

HIGH, MEDIUM, LOW = Importance.HIGH, Importance.MEDIUM, Importance.LOW


def _acks_text(value: object) -> str:
    # As a Python convenience acks also takes the ints -1, 0 and 1.
    if isinstance(value, int) and not isinstance(value, bool) and value in (-1, 0, 1):
        return str(value)
    return parse_str(value)


def _parse_acks(text: str) -> int:
    # ProducerConfig.parseAcks: "all" is -1.
    return -1 if text == "all" else int(text)


def _check_gzip_level(level: int) -> None:
    # GzipCompression.LevelValidator: 1..9 or -1 (Deflater.DEFAULT_COMPRESSION).
    if level != -1 and not 1 <= level <= 9:
        raise ValueError("Value must be between 1 and 9 or equal to -1")


# Java ProducerConfig.PRODUCER_CLIENT_ID_SEQUENCE: an AtomicInteger starting at 1, per process.
_client_id_sequence = itertools.count(1)


# --- Java's rules (their bodies read ProducerConfig's definitions, defined below) ------------


def _idempotence(ctx: RuleContext) -> None:
    """``ProducerConfig.postProcessAndValidateIdempotenceConfigs`` (4.4 bytecode)."""
    user_idempotence = ctx.user_set(ProducerConfig.enable_idempotence)
    enabled = ctx.value(ProducerConfig.enable_idempotence)
    acks = ctx.value(ProducerConfig.acks)
    disable_reason = ""
    if enabled:
        if ctx.value(ProducerConfig.retries) == 0:
            if user_idempotence:
                raise ConfigError(
                    "retries", 0, "Must set retries to non-zero when using the idempotent producer."
                )
            ctx.log.info("Idempotence will be disabled because retries is set to 0.")
            disable_reason = "idempotence disabled because retries=0"
        if acks != -1:
            if user_idempotence:
                raise ConfigError(
                    "acks",
                    str(acks),
                    "Must set acks to all in order to use the idempotent producer. "
                    "Otherwise we cannot guarantee idempotence.",
                )
            ctx.log.info(
                "Idempotence will be disabled because acks is set to %s, not set to 'all'.", acks
            )
            disable_reason = disable_reason or f"idempotence disabled because acks={acks}"
        # An error since 4.0 even when idempotence is only on by default, and checked before
        # the disabling above takes effect (so acks=1 with 6 in flight is still an error).
        in_flight = ctx.value(ProducerConfig.max_in_flight_requests_per_connection)
        if in_flight > 5:
            raise ConfigError(
                "max.in.flight.requests.per.connection",
                in_flight,
                "To use the idempotent producer, max.in.flight.requests.per.connection must "
                "be set to at most 5.",
            )
    if disable_reason:
        ctx.set(ProducerConfig.enable_idempotence, False, disable_reason)
        enabled = False
    # transactional.id is checked after idempotence may have been switched off.
    if not enabled and ctx.user_set(ProducerConfig.transactional_id):
        raise ConfigError(
            "transactional.id",
            ctx.value(ProducerConfig.transactional_id),
            "Cannot set a transactional.id without also enabling idempotence.",
        )
    if ctx.value(ProducerConfig.transaction_two_phase_commit_enable) and ctx.user_set(
        ProducerConfig.transaction_timeout_ms
    ):
        raise ConfigError(
            "transaction.timeout.ms",
            ctx.value(ProducerConfig.transaction_timeout_ms),
            "Cannot set transaction.timeout.ms when transaction.two.phase.commit.enable is "
            "set to true. Transactions will not expire with two-phase commit enabled.",
        )


def _client_id(ctx: RuleContext) -> None:
    """``ProducerConfig.maybeOverrideClientId``."""
    if ctx.user_set(ProducerConfig.client_id):
        return
    tid = ctx.value(ProducerConfig.transactional_id)
    if tid is not None:
        ctx.set(ProducerConfig.client_id, f"producer-{tid}", "producer-<transactional.id>")
    else:
        seq = next(_client_id_sequence)
        ctx.set(
            ProducerConfig.client_id, f"producer-{seq}", "producer-<per-process sequence number>"
        )


def _delivery_timeout(ctx: RuleContext) -> None:
    """``KafkaProducer.configureDeliveryTimeout`` (KIP-91); linger.ms is capped to an int
    first."""
    linger = min(ctx.value(ProducerConfig.linger_ms), INT_MAX)
    floor = min(linger + ctx.value(ProducerConfig.request_timeout_ms), INT_MAX)
    delivery = ctx.value(ProducerConfig.delivery_timeout_ms)
    if delivery < floor:
        if ctx.user_set(ProducerConfig.delivery_timeout_ms):
            raise ConfigError(
                "delivery.timeout.ms",
                delivery,
                "delivery.timeout.ms should be equal to or larger than linger.ms + "
                "request.timeout.ms",
            )
        ctx.log.warning(
            "delivery.timeout.ms should be equal to or larger than linger.ms + "
            "request.timeout.ms. Setting it to %d.",
            floor,
        )
        ctx.set(
            ProducerConfig.delivery_timeout_ms,
            floor,
            "raised by KIP-91 rule to linger.ms + request.timeout.ms",
        )


def _rack_aware_partitioner(ctx: RuleContext) -> None:
    """``RecordAccumulator.PartitionerConfig`` (built by KafkaProducer's constructor),
    KIP-1123."""
    rack = ctx.value(ProducerConfig.client_rack)
    if ctx.value(ProducerConfig.partitioner_rack_aware) and not rack.strip():
        raise ConfigError(
            "client.rack", rack, "client.rack must be provided if partitioner.rack.aware is enabled"
        )


class ProducerConfig(AbstractConfig, SecuritySettings):  # type: ignore[misc,valid-type]
    """Kafka 4.4.0 producer settings. Build with ``ProducerConfig({"linger.ms": 10})``,
    ``ProducerConfig(linger_ms=10)`` or both; a rejected setting raises ``ConfigError``.

    Each attribute is a setting under its Python name; on the class it is the definition
    (``ProducerConfig.linger_ms.default``), ``ProducerConfig.CONFIG`` lists them all.
    """

    CLIENT = "producer"

    # Keys in ProducerConfig.configDef()'s order.
    bootstrap_servers = common.BOOTSTRAP_SERVERS
    client_dns_lookup = common.CLIENT_DNS_LOOKUP
    buffer_memory = long(
        "buffer.memory",
        33554432,
        Range(0),
        importance=HIGH,
        doc="Bytes of memory for records waiting to be sent; when full, send() waits up to "
        "max.block.ms for room.",
    )
    # New since 4.1.
    buffer_memory_allocation_strategy = string(
        "buffer.memory.allocation.strategy",
        "full",
        CaseInsensitiveValidString("FULL", "INCREMENTAL"),
        importance=MEDIUM,
        doc="How a batch takes memory from buffer.memory: all of batch.size up front (full) "
        "or as it grows (incremental).",
    )
    retries = integer(
        "retries",
        INT_MAX,
        Range(0, INT_MAX),
        importance=HIGH,
        doc="How often a batch failing with a retriable error is sent again, within "
        "delivery.timeout.ms.",
    )
    # Held as ProducerConfig.parseAcks's result (-1 = all).
    acks = custom(
        "acks",
        Type.STRING,
        "all",
        _acks_text,
        ValidString("all", "-1", "0", "1"),
        _parse_acks,
        importance=LOW,
        doc="Acknowledgements the leader waits for before answering: all (-1, every in-sync "
        "replica), 1 (the leader) or 0 (no answer).",
    )
    compression_type = string(
        "compression.type",
        "none",
        ValidString("none", "gzip", "snappy", "lz4", "zstd"),
        importance=HIGH,
        doc="Codec for record batches: none, gzip, snappy, lz4 or zstd.",
    )
    compression_gzip_level = integer(
        "compression.gzip.level",
        -1,
        Check(_check_gzip_level, "[1,...,9] or -1"),
        importance=MEDIUM,
        doc="gzip level, 1-9, or -1 for the codec's default.",
    )
    # Lz4Compression.MIN_LEVEL/MAX_LEVEL.
    compression_lz4_level = integer(
        "compression.lz4.level",
        9,
        Range(1, 17),
        importance=MEDIUM,
        doc="lz4 level, 1-17.",
    )
    # ZstdCompression.MIN_LEVEL/MAX_LEVEL.
    compression_zstd_level = integer(
        "compression.zstd.level",
        3,
        Range(-131072, 22),
        importance=MEDIUM,
        doc="zstd level, -131072 to 22.",
    )
    # KafkaProducer then uses max(1, batch.size).
    batch_size = integer(
        "batch.size",
        16384,
        Range(0),
        importance=MEDIUM,
        doc="Bytes a partition's batch is allowed to grow to before it is sent.",
    )
    # KIP-794.
    partitioner_adaptive_partitioning_enable = boolean(
        "partitioner.adaptive.partitioning.enable",
        True,
        importance=LOW,
        doc="Keyless records go more often to partitions whose brokers keep up (KIP-794).",
    )
    partitioner_availability_timeout_ms = long(
        "partitioner.availability.timeout.ms",
        0,
        Range(0),
        importance=LOW,
        doc="A partition whose broker took no batch for this long is skipped by the "
        "partitioner; 0 turns this off (KIP-794).",
    )
    partitioner_ignore_keys = boolean(
        "partitioner.ignore.keys",
        False,
        importance=MEDIUM,
        doc="Place keyed records like keyless ones instead of by the key's hash.",
    )
    # KIP-1123, new since 4.1.
    partitioner_rack_aware = boolean(
        "partitioner.rack.aware",
        False,
        importance=LOW,
        doc="Prefer partitions led in client.rack (KIP-1123).",
    )
    # KIP-1030 raised it from 0 in 4.0.
    linger_ms = long(
        "linger.ms",
        5,
        Range(0),
        importance=MEDIUM,
        doc="How long a batch waits for more records before it is sent.",
    )
    # KIP-91.
    delivery_timeout_ms = integer(
        "delivery.timeout.ms",
        120000,
        Range(0),
        importance=MEDIUM,
        doc="Upper bound from send() to success or failure, retries included (KIP-91); at "
        "least linger.ms + request.timeout.ms.",
    )
    client_id = common.CLIENT_ID
    # In the producer since 4.1, for KIP-1123.
    client_rack = common.CLIENT_RACK
    send_buffer_bytes = common.SEND_BUFFER_BYTES
    receive_buffer_bytes = common.RECEIVE_BUFFER_BYTES
    max_request_size = integer(
        "max.request.size",
        1048576,
        Range(0),
        importance=MEDIUM,
        doc="Largest request in bytes; also caps the size of one record.",
    )
    reconnect_backoff_ms = common.RECONNECT_BACKOFF_MS
    reconnect_backoff_max_ms = common.RECONNECT_BACKOFF_MAX_MS
    retry_backoff_ms = common.RETRY_BACKOFF_MS
    retry_backoff_max_ms = common.RETRY_BACKOFF_MAX_MS
    bootstrap_resolve_timeout_ms = common.BOOTSTRAP_RESOLVE_TIMEOUT_MS
    enable_metrics_push = common.ENABLE_METRICS_PUSH
    max_block_ms = long(
        "max.block.ms",
        60000,
        Range(0),
        importance=MEDIUM,
        doc="How long send(), flush-free appends and metadata lookups may wait (for memory or "
        "for a topic's metadata).",
    )
    request_timeout_ms = common.REQUEST_TIMEOUT_MS
    metadata_max_age_ms = common.METADATA_MAX_AGE_MS
    metadata_max_idle_ms = long(
        "metadata.max.idle.ms",
        300000,
        Range(5000),
        importance=LOW,
        doc="A topic not produced to for this long is dropped from the metadata the producer "
        "keeps.",
    )
    max_in_flight_requests_per_connection = integer(
        "max.in.flight.requests.per.connection",
        5,
        Range(1),
        importance=LOW,
        doc="Requests sent to one broker before waiting for answers; at most 5 with idempotence.",
    )
    socket_connection_setup_timeout_ms = common.SOCKET_CONNECTION_SETUP_TIMEOUT_MS
    socket_connection_setup_timeout_max_ms = common.SOCKET_CONNECTION_SETUP_TIMEOUT_MAX_MS
    connections_max_idle_ms = common.CONNECTIONS_MAX_IDLE_MS
    # Default true since 3.0 (KIP-679).
    enable_idempotence = boolean(
        "enable.idempotence",
        True,
        importance=LOW,
        doc="Exactly one copy of each record per partition, in order, despite retries "
        "(KIP-98, on by default since KIP-679).",
    )
    transaction_timeout_ms = integer(
        "transaction.timeout.ms",
        60000,
        importance=LOW,
        doc="How long the transaction coordinator lets a transaction stay open.",
    )
    transactional_id = optional_string(
        "transactional.id",
        None,
        NonEmptyString(),
        importance=LOW,
        doc="Identity of a transactional producer across restarts; null for none.",
    )
    # KIP-939.
    transaction_two_phase_commit_enable = boolean(
        "transaction.two.phase.commit.enable",
        False,
        importance=LOW,
        doc="Let an external coordinator finish transactions (KIP-939).",
    )
    metadata_recovery_strategy = common.METADATA_RECOVERY_STRATEGY
    metadata_recovery_rebootstrap_trigger_ms = common.METADATA_RECOVERY_REBOOTSTRAP_TRIGGER_MS
    # New since 4.1.
    metadata_cluster_check_enable = boolean(
        "metadata.cluster.check.enable",
        True,
        importance=LOW,
        doc="Refuse metadata from a cluster whose id differs from the one first seen.",
    )

    # Keys Java knows that kafkaproto refuses (ignoring them would change what goes over the
    # wire) or accepts and does not use. Names from ProducerConfig.configDef() in 4.4.0.
    UNSUPPORTED_PREFIXES = ("ssl.", "sasl.")
    UNSUPPORTED_KEYS = frozenset({"security.providers", "config.providers"})
    JAVA_ONLY_KEYS = frozenset(
        {
            "key.serializer",
            "value.serializer",
            "partitioner.class",
            "interceptor.classes",
            "metric.reporters",
            "metrics.sample.window.ms",
            "metrics.num.samples",
            "metrics.recording.level",
        }
    )
    # ProducerConfig.postProcessParsedConfig in Java's order, then KafkaProducer's checks.
    RULES: ClassVar[tuple[Rule, ...]] = (
        common.sasl_mechanism,
        security_rules,
        common.exponential_backoff_warnings,
        common.reconnect_backoff,
        _idempotence,
        _client_id,
        _delivery_timeout,
        _rack_aware_partitioner,
    )

    @property
    def sticky_batch_size(self) -> int:
        """What ``KafkaProducer`` hands the accumulator and partitioner: ``max(1, batch.size)``."""
        return max(1, self.batch_size)


def explain(settings: Mapping[str, object]) -> list[Explanation]:
    """Every producer key with its effective value and why, for ``settings`` (Java or Python
    names); ignored keys come last. Raises ``ConfigError`` like ``ProducerConfig``."""
    return ProducerConfig.explain(settings)
