"""The consumer's configuration with Kafka 4.4.0's names, defaults, validation and rules.

``ConsumerConfig`` is defined on the shared machinery (:mod:`kafkaproto.config`): it lists its
keys (the common client settings from :mod:`kafkaproto.config.common`, then the consumer's own)
in ``ConsumerConfig.configDef()``'s order, and its rules in Java's order:
``ConsumerConfig.postProcessParsedConfig`` (SASL mechanism, backoffs, ``maybeOverrideClientId``,
``maybeOverrideEnableAutoCommit``, ``checkUnsupportedConfigsPostProcess``) and the checks the
4.4 ``KafkaConsumer`` constructor makes (blank ``group.id``; heartbeat below the session timeout
for a group member). Every definition is checked against the jar's ``ConfigDef`` and every rule
against a real ``KafkaConsumer`` by tests/oracle/test_consumer_config_oracle.py.

``auto.offset.reset`` includes 4.0's ``by_duration:<ISO-8601 duration>`` (KIP-842/KIP-1106),
parsed as Java's ``java.time.Duration.parse`` does; :func:`parse_reset_strategy` turns it into
an :class:`OffsetResetStrategy`.

Unknown keys follow Java (a warning naming the closest known key). The security settings are
:class:`~kafkaproto.security.definitions.SecuritySettings`, shared with every client; ``ssl.*`` /
``sasl.*`` keys kafkaproto does not implement are errors, Java plugin class names
(deserializers, interceptors, metrics reporters) are accepted with a warning and not used — as in
the producer's config.

This module must never open connections, read files or start tasks: it only turns settings into
a validated, immutable value.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import ClassVar, Final

from kafkaproto.config import common
from kafkaproto.config.definition import (
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
    ValidList,
    ValidString,
    boolean,
    integer,
    optional_string,
    python_name,
    string,
    string_list,
)
from kafkaproto.security.definitions import SecuritySettings, security_rules

__all__ = [
    "KAFKA_VERSION",
    "ConfigError",
    "ConsumerConfig",
    "Explanation",
    "OffsetResetStrategy",
    "explain",
    "parse_reset_strategy",
]

HIGH, MEDIUM, LOW = Importance.HIGH, Importance.MEDIUM, Importance.LOW


# --- auto.offset.reset (AutoOffsetResetStrategy, 4.4) ------------------------------------------


@dataclass(frozen=True, slots=True)
class OffsetResetStrategy:
    """Where a partition without a valid position starts: ``earliest``, ``latest``, ``none``
    (raise ``NoOffsetForPartitionError``) or ``by_duration`` (the first record at or after now
    minus ``duration_ms``; the log end when there is none)."""

    kind: str  # "earliest" | "latest" | "none" | "by_duration"
    duration_ms: int = 0

    def __str__(self) -> str:
        return self.kind


EARLIEST: Final = OffsetResetStrategy("earliest")
LATEST: Final = OffsetResetStrategy("latest")
NONE: Final = OffsetResetStrategy("none")

# java.time.Duration.parse's grammar (case-insensitive): [-+]P[nD][T[nH][nM][n[.fraction]S]].
_DURATION: Final = re.compile(
    r"([-+]?)P(?:([-+]?[0-9]+)D)?"
    r"(T(?:([-+]?[0-9]+)H)?(?:([-+]?[0-9]+)M)?(?:([-+]?[0-9]+)(?:[.,]([0-9]{0,9}))?S)?)?",
    re.IGNORECASE,
)
_NANOS_PER = {"D": 86_400 * 10**9, "H": 3_600 * 10**9, "M": 60 * 10**9}


def _java_duration_nanos(text: str) -> int:
    """``Duration.parse`` (ISO-8601 PnDTnHnMn.nS) in nanoseconds; ValueError as Java throws
    ``DateTimeParseException``."""
    m = _DURATION.fullmatch(text)
    if m is None or m.group(3) == "T" or not any(m.group(i) for i in (2, 4, 5, 6)):
        raise ValueError(f"Text cannot be parsed to a Duration: {text}")
    days, hours, minutes, seconds, fraction = m.group(2, 4, 5, 6, 7)
    nanos = 0
    for part, unit in ((days, "D"), (hours, "H"), (minutes, "M")):
        if part:
            nanos += int(part) * _NANOS_PER[unit]
    if seconds:
        sign = -1 if seconds.startswith("-") else 1
        nanos += int(seconds) * 10**9 + sign * int((fraction or "").ljust(9, "0") or "0")
    return -nanos if m.group(1) == "-" else nanos


def parse_reset_strategy(value: str) -> OffsetResetStrategy:
    """``AutoOffsetResetStrategy.fromString``: the lower-case names, or ``by_duration:`` and a
    non-negative ISO-8601 duration. Raises ValueError."""
    if value == "by_duration":
        raise ValueError("<:duration> part is missing in by_duration auto offset reset strategy.")
    if value in ("latest", "earliest", "none"):
        return OffsetResetStrategy(value)
    if value.startswith("by_duration:"):
        try:
            nanos = _java_duration_nanos(value[len("by_duration:") :])
        except ValueError:
            raise ValueError(
                "Unable to parse duration string in by_duration offset reset strategy."
            ) from None
        if nanos < 0:
            raise ValueError(
                "Negative duration is not supported in by_duration offset reset strategy."
            )
        return OffsetResetStrategy("by_duration", nanos // 1_000_000)
    raise ValueError(f"Unrecognized {value} type in auto offset reset strategy.")


def _check_reset(value: str) -> None:
    # AutoOffsetResetStrategy.Validator: any failure of fromString, in one message.
    try:
        parse_reset_strategy(value)
    except ValueError:
        raise ValueError(
            f"Invalid value `{value}` for configuration auto.offset.reset. The value must be "
            "either 'earliest', 'latest', 'none' or of the format 'by_duration:<PnDTnHnMn.nS.>'."
        ) from None


def _share_mode(name: str, choices: tuple[str, str], any_case: bool) -> Callable[[str], None]:
    """The share consumer's mode validators (ShareAcknowledgementMode, ShareAcquireMode)."""

    def check(value: str) -> None:
        if (value.lower() if any_case else value) not in choices:
            raise ValueError(
                f"Invalid value `{value}` for configuration {name}. The value must either be "
                f"'{choices[0]}' or '{choices[1]}'."
            )

    return check


# JoinGroupRequest.validateGroupInstanceId (Topic's legal characters, at most 249 of them).
_LEGAL_ID: Final = re.compile(r"[a-zA-Z0-9._-]+")


def _validate_group_instance_id(value: str) -> None:
    if value in (".", ".."):
        raise ConfigError(
            "group.instance.id", value, f"Group instance id is invalid: '{value}' is not allowed"
        )
    if len(value) > 249:
        raise ConfigError(
            "group.instance.id",
            value,
            f"Group instance id is invalid: the length of '{value}' is longer than the max "
            "allowed length 249",
        )
    if not _LEGAL_ID.fullmatch(value):
        raise ConfigError(
            "group.instance.id",
            value,
            f"Group instance id is invalid: '{value}' contains one or more characters other "
            "than ASCII alphanumerics, '.', '_' and '-'",
        )


# Java ConsumerConfig.CONSUMER_CLIENT_ID_SEQUENCE: an AtomicInteger starting at 1, per process.
_client_id_sequence = itertools.count(1)

# checkUnsupportedConfigsPostProcess: keys that may not be set (non-blank) per group.protocol.
_UNSUPPORTED_BY_PROTOCOL: Final = {
    "CLASSIC": ("group.remote.assignor", "share.acknowledgement.mode", "share.acquire.mode"),
    "CONSUMER": (
        "partition.assignment.strategy",
        "heartbeat.interval.ms",
        "session.timeout.ms",
        "share.acknowledgement.mode",
        "share.acquire.mode",
    ),
}


def _text(value: object) -> str:
    # Object.toString of the parsed value, as Java's check sees it.
    return ",".join(value) if isinstance(value, tuple) else str(value)


# --- Java's rules (their bodies read ConsumerConfig's definitions, defined below) ------------


def _client_id(ctx: RuleContext) -> None:
    """``ConsumerConfig.maybeOverrideClientId``: ``consumer-<group.id>-<group.instance.id or a
    per-process sequence number>`` when client.id is empty. The group instance id is validated
    here whatever client.id is (Java validates it again in the consumer's constructor)."""
    instance = ctx.value(ConsumerConfig.group_instance_id)
    if instance is not None:
        _validate_group_instance_id(instance)
    if ctx.value(ConsumerConfig.client_id):
        return
    group = ctx.value(ConsumerConfig.group_id)
    if instance is not None:
        suffix, why = instance, "<group.instance.id>"
    else:
        suffix, why = str(next(_client_id_sequence)), "<per-process sequence number>"
    ctx.set(
        ConsumerConfig.client_id,
        f"consumer-{'null' if group is None else group}-{suffix}",
        f"consumer-<group.id>-{why}",
    )


def _enable_auto_commit(ctx: RuleContext) -> None:
    """``ConsumerConfig.maybeOverrideEnableAutoCommit``: no group, no auto commit."""
    if ctx.value(ConsumerConfig.group_id) is not None:
        return
    if not ctx.user_set(ConsumerConfig.enable_auto_commit):
        ctx.set(ConsumerConfig.enable_auto_commit, False, "false: no group.id")
    elif ctx.value(ConsumerConfig.enable_auto_commit):
        raise ConfigError(
            "enable.auto.commit",
            True,
            "enable.auto.commit cannot be set to true when default group id (null) is used.",
        )


def _unsupported_for_protocol(ctx: RuleContext) -> None:
    """``ConsumerConfig.checkUnsupportedConfigsPostProcess``: settings of the other group
    protocol are errors when given a non-blank value."""
    protocol = ctx.value(ConsumerConfig.group_protocol).upper()
    given = [
        name
        for name in _UNSUPPORTED_BY_PROTOCOL[protocol]
        if name in ctx.user_keys and _text(ctx.values[python_name(name)]).strip()
    ]
    if given:
        raise ConfigError(
            given[0],
            ctx.values[python_name(given[0])],
            f"{', '.join(given)} cannot be set when group.protocol={protocol}",
        )


def _idle_below_poll_interval(ctx: RuleContext) -> None:
    """``warnIfConnectionsMaxIdleMsLowerThanMaxPollIntervalMs`` (classic protocol only)."""
    if ctx.value(ConsumerConfig.group_protocol).upper() != "CLASSIC":
        return
    idle = ctx.value(ConsumerConfig.connections_max_idle_ms)
    interval = ctx.value(ConsumerConfig.max_poll_interval_ms)
    if idle < interval:
        text = (
            f"connections.max.idle.ms {idle} is lower than max.poll.interval.ms {interval}: the "
            "connection to the group coordinator may be closed during a rebalance"
        )
        ctx.log.warning("%s", text)
        ctx.note(ConsumerConfig.connections_max_idle_ms, text)


def _group_checks(ctx: RuleContext) -> None:
    """What 4.4's ``KafkaConsumer`` constructor checks for a group: a blank ``group.id`` is an
    error (``InvalidGroupIdException``), and a classic member's heartbeat must be below its
    session timeout (``GroupRebalanceConfig``/``AbstractCoordinator``)."""
    group = ctx.value(ConsumerConfig.group_id)
    if group is None:
        return
    if not group.strip():
        raise ConfigError(
            "group.id",
            group,
            "The configured group.id should not be an empty string or whitespace.",
        )
    if ctx.value(ConsumerConfig.group_protocol).upper() == "CLASSIC" and ctx.value(
        ConsumerConfig.heartbeat_interval_ms
    ) >= ctx.value(ConsumerConfig.session_timeout_ms):
        raise ConfigError(
            "heartbeat.interval.ms",
            ctx.value(ConsumerConfig.heartbeat_interval_ms),
            "Heartbeat must be set lower than the session timeout",
        )


class ConsumerConfig(AbstractConfig, SecuritySettings):  # type: ignore[misc,valid-type]
    """Kafka 4.4.0 consumer settings. Build with ``ConsumerConfig({"group.id": "g"})``,
    ``ConsumerConfig(group_id="g")`` or both; a rejected setting raises ``ConfigError``.

    Each attribute is a setting under its Python name; on the class it is the definition
    (``ConsumerConfig.fetch_max_bytes.default``), ``ConsumerConfig.CONFIG`` lists them all.
    """

    CLIENT = "consumer"

    # Keys in ConsumerConfig.configDef()'s order.
    bootstrap_servers = common.BOOTSTRAP_SERVERS
    client_dns_lookup = common.CLIENT_DNS_LOOKUP
    bootstrap_resolve_timeout_ms = common.BOOTSTRAP_RESOLVE_TIMEOUT_MS
    group_id = optional_string(
        "group.id",
        None,
        importance=HIGH,
        doc="The consumer group this consumer belongs to; needed to commit offsets and for "
        "group management. null: no group.",
    )
    group_instance_id = optional_string(
        "group.instance.id",
        None,
        NonEmptyString(),
        importance=MEDIUM,
        doc="A static member id for the group (KIP-345); null for a dynamic member.",
    )
    session_timeout_ms = integer(
        "session.timeout.ms",
        45000,
        importance=HIGH,
        doc="How long the group coordinator waits for a heartbeat before it removes a classic "
        "group member.",
    )
    heartbeat_interval_ms = integer(
        "heartbeat.interval.ms",
        3000,
        importance=HIGH,
        doc="How often a classic group member heartbeats; below session.timeout.ms.",
    )
    partition_assignment_strategy = string_list(
        "partition.assignment.strategy",
        (
            "org.apache.kafka.clients.consumer.RangeAssignor",
            "org.apache.kafka.clients.consumer.CooperativeStickyAssignor",
        ),
        ValidList(empty_allowed=True),
        importance=MEDIUM,
        doc="The classic protocol's partition assignors, in order of preference.",
    )
    metadata_max_age_ms = common.METADATA_MAX_AGE_MS
    enable_auto_commit = boolean(
        "enable.auto.commit",
        True,
        importance=MEDIUM,
        doc="Commit the consumed positions in the background every auto.commit.interval.ms "
        "(false without a group.id).",
    )
    auto_commit_interval_ms = integer(
        "auto.commit.interval.ms",
        5000,
        Range(0),
        importance=LOW,
        doc="How often positions are committed when enable.auto.commit is true.",
    )
    client_id = common.CLIENT_ID.replace(importance=LOW)
    client_rack = common.CLIENT_RACK
    max_partition_fetch_bytes = integer(
        "max.partition.fetch.bytes",
        1048576,
        Range(0),
        importance=HIGH,
        doc="Most data a fetch returns per partition; a first batch larger than this still "
        "comes back whole so consumption makes progress (KIP-74).",
    )
    send_buffer_bytes = common.SEND_BUFFER_BYTES
    receive_buffer_bytes = common.RECEIVE_BUFFER_BYTES.replace(default=65536)
    fetch_min_bytes = integer(
        "fetch.min.bytes",
        1,
        Range(0),
        importance=HIGH,
        doc="Least data a broker gathers before answering a fetch (or fetch.max.wait.ms passes).",
    )
    fetch_max_bytes = integer(
        "fetch.max.bytes",
        52428800,
        Range(0),
        importance=MEDIUM,
        doc="Most data one fetch response carries; a first batch larger than this still comes "
        "back whole (KIP-74).",
    )
    fetch_max_wait_ms = integer(
        "fetch.max.wait.ms",
        500,
        Range(0),
        importance=LOW,
        doc="Longest a broker waits for fetch.min.bytes before answering a fetch.",
    )
    reconnect_backoff_ms = common.RECONNECT_BACKOFF_MS
    reconnect_backoff_max_ms = common.RECONNECT_BACKOFF_MAX_MS
    retry_backoff_ms = common.RETRY_BACKOFF_MS
    retry_backoff_max_ms = common.RETRY_BACKOFF_MAX_MS
    enable_metrics_push = common.ENABLE_METRICS_PUSH
    auto_offset_reset = string(
        "auto.offset.reset",
        "latest",
        Check(_check_reset, "[latest, earliest, none, by_duration:PnDTnHnMn.nS]"),
        importance=MEDIUM,
        doc="Where to start when a partition has no committed offset or its position is out "
        "of range: earliest, latest, none (raise), or by_duration:<ISO-8601 duration> (the "
        "first record newer than now minus the duration).",
    )
    check_crcs = boolean(
        "check.crcs",
        True,
        importance=LOW,
        doc="Check the CRC-32C of every fetched batch (a mismatch is a CorruptRecordError).",
    )
    request_timeout_ms = common.REQUEST_TIMEOUT_MS
    default_api_timeout_ms = integer(
        "default.api.timeout.ms",
        60000,
        Range(0),
        importance=MEDIUM,
        doc="Timeout of the consumer's blocking calls (commit_sync, committed, position, "
        "offsets lookups) that take no timeout argument.",
    )
    socket_connection_setup_timeout_ms = common.SOCKET_CONNECTION_SETUP_TIMEOUT_MS
    socket_connection_setup_timeout_max_ms = common.SOCKET_CONNECTION_SETUP_TIMEOUT_MAX_MS
    connections_max_idle_ms = common.CONNECTIONS_MAX_IDLE_MS
    max_poll_records = integer(
        "max.poll.records",
        500,
        Range(1),
        importance=MEDIUM,
        doc="Most records one poll() returns.",
    )
    max_poll_interval_ms = integer(
        "max.poll.interval.ms",
        300000,
        Range(1),
        importance=MEDIUM,
        doc="Longest time between two poll() calls of a group member before it leaves the group.",
    )
    exclude_internal_topics = boolean(
        "exclude.internal.topics",
        True,
        importance=MEDIUM,
        doc="Keep internal topics (__consumer_offsets) out of pattern subscriptions.",
    )
    internal_throw_on_fetch_stable_offset_unsupported = boolean(
        "internal.throw.on.fetch.stable.offset.unsupported",
        False,
        importance=LOW,
        doc="Internal (Kafka Streams): fail instead of warning when a broker cannot fetch "
        "stable offsets (KIP-447).",
    )
    isolation_level = string(
        "isolation.level",
        "read_uncommitted",
        ValidString("read_committed", "read_uncommitted"),
        importance=MEDIUM,
        doc="read_committed: only committed transactional records (aborted ones dropped, up to "
        "the last stable offset); read_uncommitted: every record.",
    )
    allow_auto_create_topics = boolean(
        "allow.auto.create.topics",
        True,
        importance=MEDIUM,
        doc="Ask brokers to create a subscribed topic that does not exist (if the broker "
        "allows it).",
    )
    group_protocol = string(
        "group.protocol",
        "classic",
        CaseInsensitiveValidString("CONSUMER", "CLASSIC"),
        importance=HIGH,
        doc="Group protocol: classic (JoinGroup/SyncGroup) or consumer (KIP-848).",
    )
    group_remote_assignor = optional_string(
        "group.remote.assignor",
        None,
        importance=MEDIUM,
        doc="The server-side assignor the consumer group protocol asks for; null for the "
        "broker's default.",
    )
    # security.protocol, sasl.mechanism and the ssl.*/sasl.* keys: SecuritySettings.
    metadata_recovery_strategy = common.METADATA_RECOVERY_STRATEGY
    metadata_recovery_rebootstrap_trigger_ms = common.METADATA_RECOVERY_REBOOTSTRAP_TRIGGER_MS
    metadata_cluster_check_enable = boolean(
        "metadata.cluster.check.enable",
        True,
        importance=LOW,
        doc="Refuse metadata from a cluster whose id differs from the one first seen.",
    )
    share_acknowledgement_mode = string(
        "share.acknowledgement.mode",
        "implicit",
        Check(
            _share_mode("share.acknowledgement.mode", ("implicit", "explicit"), False),
            "[implicit, explicit]",
        ),
        importance=MEDIUM,
        doc="Share consumers only (KIP-932): how records are acknowledged.",
    )
    share_acquire_mode = string(
        "share.acquire.mode",
        "BATCH_OPTIMIZED",
        Check(
            _share_mode("share.acquire.mode", ("batch_optimized", "record_limit"), True),
            "[batch_optimized, record_limit]",
        ),
        importance=MEDIUM,
        doc="Share consumers only (KIP-932): how records are acquired.",
    )

    # Keys Java knows that kafkaproto refuses (ignoring them would change what goes over the
    # wire) or accepts and does not use. Names from ConsumerConfig.configDef() in 4.4.0.
    UNSUPPORTED_PREFIXES = ("ssl.", "sasl.")
    UNSUPPORTED_KEYS = frozenset({"security.providers", "config.providers"})
    JAVA_ONLY_KEYS = frozenset(
        {
            "key.deserializer",
            "value.deserializer",
            "interceptor.classes",
            "metric.reporters",
            "metrics.sample.window.ms",
            "metrics.num.samples",
            "metrics.recording.level",
        }
    )
    # ConsumerConfig.postProcessParsedConfig in Java's order, then KafkaConsumer's checks.
    RULES: ClassVar[tuple[Rule, ...]] = (
        common.sasl_mechanism,
        security_rules,
        common.exponential_backoff_warnings,
        common.reconnect_backoff,
        _client_id,
        _enable_auto_commit,
        _unsupported_for_protocol,
        _idle_below_poll_interval,
        _group_checks,
    )

    @property
    def reset_strategy(self) -> OffsetResetStrategy:
        """``auto.offset.reset`` parsed."""
        return parse_reset_strategy(self.auto_offset_reset)

    @property
    def read_committed(self) -> bool:
        return self.isolation_level == "read_committed"


def explain(settings: Mapping[str, object]) -> list[Explanation]:
    """Every consumer key with its effective value and why, for ``settings`` (Java or Python
    names); ignored keys come last. Raises ``ConfigError`` like ``ConsumerConfig``."""
    return ConsumerConfig.explain(settings)
