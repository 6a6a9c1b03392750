"""The producer's configuration with Kafka 4.4.0's names, defaults, validation and rules.

``ProducerConfig`` accepts Java's property names (``"linger.ms"``) and Pythonic ones
(``linger_ms``), parses values the way Java's ``ConfigDef`` does (strings like ``"5"`` or
``"true"`` from property files), and then applies, in Java's order, the rules that Java runs after
parsing: ``ProducerConfig.postProcessParsedConfig`` (SASL mechanism check, reconnect backoff,
idempotence, client id) and the checks ``KafkaProducer``'s constructor makes (KIP-91 delivery
timeout, rack-aware partitioner). Every default and rule below was read from the kafka-clients
4.4.0 bytecode (``javap -c -constants``); comments name the Java class each comes from.

Each effective value remembers why it is what it is (``explain``), so a CLI can show it.

Unknown keys follow Java: a warning, not an error. Java applications put settings of their own
plugins (interceptors, serializers) in the same map, and property files ported from Java carry
them; the warning names the closest known key to catch typos. Two deliberate differences, each
because silently ignoring the key would change what goes over the wire: security settings kafkaproto
does not implement yet (``ssl.*``, ``sasl.*`` but ``sasl.mechanism``, ``security.providers``) and
``config.providers`` are errors. Java plugin class names (``key.serializer``, ``partitioner.class``
...) and JMX metrics settings are accepted with a warning and not used. As a Python convenience
``acks`` also takes the ints -1, 0 and 1.

This module must never open connections, read files or start tasks: it only turns settings into
a validated, immutable value.
"""

from __future__ import annotations

import difflib
import itertools
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Self

from kafkaproto.errors import KafkaProtoError
from kafkaproto.messages import KAFKA_VERSION
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    ValidationError,
    model_validator,
)

__all__ = [
    "KAFKA_VERSION",
    "ConfigError",
    "Explanation",
    "ProducerConfig",
    "explain",
]

log = logging.getLogger(__name__)

_NO_VALUE: Any = object()


class ConfigError(KafkaProtoError, ValueError):
    """A setting Kafka would reject (Java's ``ConfigException``), naming the key and value."""

    def __init__(self, key: str, value: object, reason: str) -> None:
        self.key = key
        self.value = value
        self.reason = reason
        if value is _NO_VALUE:
            super().__init__(f"Configuration {key}: {reason}")
        else:
            super().__init__(f"Invalid value {value!r} for configuration {key}: {reason}")


Source = Literal["default", "user", "rule"]


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a key has its effective value: ``source`` is ``"default"``, ``"user"`` or ``"rule"``
    (a Java rule changed it); ``reason`` says which default or rule, and ``notes`` carries
    warnings Java would log about the key without changing it."""

    key: str
    value: object
    source: Source
    reason: str
    notes: tuple[str, ...] = ()


# --- Java ConfigDef value parsing (ConfigDef.parseType) ---------------------------------------
# Strings are trimmed; INT/LONG accept decimal strings (Integer.parseInt/Long.parseLong: optional
# sign, ASCII digits only); BOOLEAN accepts "true"/"false" in any case; LIST splits on commas.

_INTEGER = re.compile(r"[+-]?[0-9]+", re.ASCII)
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1
_LONG_MIN, _LONG_MAX = -(2**63), 2**63 - 1


def _parse_integer(value: object, lo: int, hi: int, java_type: str) -> int:
    if isinstance(value, bool):
        raise ValueError(f"Expected value to be a {java_type}, but it was a bool")
    if isinstance(value, str):
        text = value.strip()
        if not _INTEGER.fullmatch(text):
            raise ValueError(f"Not a number of type {java_type.upper()}")
        value = int(text)
    if not isinstance(value, int):
        raise ValueError(f"Expected value to be a {java_type}, but it was a {type(value).__name__}")
    if not lo <= value <= hi:
        raise ValueError(f"Not a number of type {java_type.upper()}")
    return value


def _range_check(value: int, at_least: int | None, at_most: int | None) -> int:
    # ConfigDef.Range's messages.
    if at_least is not None and value < at_least:
        raise ValueError(f"Value must be at least {at_least}")
    if at_most is not None and value > at_most:
        raise ValueError(f"Value must be no more than {at_most}")
    return value


def _int(at_least: int | None = None, at_most: int | None = None) -> BeforeValidator:
    def parse(value: object) -> int:
        return _range_check(_parse_integer(value, _INT_MIN, _INT_MAX, "int"), at_least, at_most)

    return BeforeValidator(parse)


def _long(at_least: int | None = None, at_most: int | None = None) -> BeforeValidator:
    def parse(value: object) -> int:
        return _range_check(_parse_integer(value, _LONG_MIN, _LONG_MAX, "long"), at_least, at_most)

    return BeforeValidator(parse)


def _parse_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("true", "false"):
            return text == "true"
        raise ValueError("Expected value to be either true or false")
    raise ValueError(f"Expected value to be a boolean, but it was a {type(value).__name__}")


def _parse_str(value: object) -> str:
    if isinstance(value, str):
        return value.strip()
    raise ValueError(f"Expected value to be a string, but it was a {type(value).__name__}")


def _parse_optional_str(value: object) -> str | None:
    return None if value is None else _parse_str(value)


def _parse_list(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        text = value.strip()
        return () if not text else tuple(part.strip() for part in text.split(","))
    if isinstance(value, list | tuple):
        return tuple(_parse_str(item) for item in value)
    raise ValueError(f"Expected a comma separated list, but it was a {type(value).__name__}")


def _one_of(*choices: str, case_insensitive: bool = False) -> BeforeValidator:
    # ConfigDef.ValidString is case-sensitive; CaseInsensitiveValidString is not. The value is
    # kept as written either way, as Java's getString returns it.
    folded = {c.upper() for c in choices}

    def parse(value: object) -> str:
        text = _parse_str(value)
        ok = text.upper() in folded if case_insensitive else text in choices
        if not ok:
            kind = " (case insensitive)" if case_insensitive else ""
            raise ValueError(f"String must be one of{kind}: {', '.join(choices)}")
        return text

    return BeforeValidator(parse)


def _parse_acks(value: object) -> int:
    # ValidString [all, -1, 0, 1], then ProducerConfig.parseAcks maps "all" to -1.
    if isinstance(value, int) and not isinstance(value, bool) and value in (-1, 0, 1):
        return value
    text = _parse_str(value)
    if text not in ("all", "-1", "0", "1"):
        raise ValueError("String must be one of: all, -1, 0, 1")
    return -1 if text == "all" else int(text)


def _parse_gzip_level(value: object) -> int:
    # GzipCompression.LevelValidator: 1..9 or -1 (Deflater.DEFAULT_COMPRESSION).
    level = _parse_integer(value, _INT_MIN, _INT_MAX, "int")
    if level != -1 and not 1 <= level <= 9:
        raise ValueError("Value must be between 1 and 9 or equal to -1")
    return level


def _parse_transactional_id(value: object) -> str | None:
    # ConfigDef.NonEmptyString: null is fine, "" is not.
    text = _parse_optional_str(value)
    if text == "":
        raise ValueError("String must be non-empty")
    return text


# --- Keys Java knows that this model does not carry -------------------------------------------
# Names from ProducerConfig.configDef() in 4.4.0.
_UNSUPPORTED_PREFIXES = ("ssl.", "sasl.")
_UNSUPPORTED_KEYS = frozenset({"security.providers", "config.providers"})
_JAVA_ONLY_KEYS = frozenset(
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

# Java ProducerConfig.PRODUCER_CLIENT_ID_SEQUENCE: an AtomicInteger starting at 1, per process.
_client_id_sequence = itertools.count(1)


class ProducerConfig(BaseModel):
    """Kafka 4.4.0 producer settings. Build with ``ProducerConfig({"linger.ms": 10})``,
    ``ProducerConfig(linger_ms=10)`` or both; a rejected setting raises ``ConfigError``.

    Defaults and validators are ``ProducerConfig.CONFIG`` (4.4.0) unless a comment says otherwise.
    """

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")

    # CommonClientConfigs: LIST, no default (required).
    bootstrap_servers: Annotated[tuple[str, ...], BeforeValidator(_parse_list)] = Field(
        alias="bootstrap.servers"
    )
    # CommonClientConfigs: ValidString, default "use_all_dns_ips".
    client_dns_lookup: Annotated[
        str, _one_of("use_all_dns_ips", "resolve_canonical_bootstrap_servers_only")
    ] = Field("use_all_dns_ips", alias="client.dns.lookup")
    # LONG, default 32 MiB, at least 0.
    buffer_memory: Annotated[int, _long(0)] = Field(33554432, alias="buffer.memory")
    # STRING, CaseInsensitiveValidString [FULL, INCREMENTAL], default "full" (new since 4.1).
    buffer_memory_allocation_strategy: Annotated[
        str, _one_of("FULL", "INCREMENTAL", case_insensitive=True)
    ] = Field("full", alias="buffer.memory.allocation.strategy")
    # INT, default Integer.MAX_VALUE, in [0, Integer.MAX_VALUE].
    retries: Annotated[int, _int(0, _INT_MAX)] = Field(_INT_MAX, alias="retries")
    # STRING, default "all", ValidString [all, -1, 0, 1]; held as parseAcks's result (-1 = all).
    acks: Annotated[int, BeforeValidator(_parse_acks)] = Field(-1, alias="acks")
    # STRING, default "none", ValidString of CompressionType names.
    compression_type: Annotated[str, _one_of("none", "gzip", "snappy", "lz4", "zstd")] = Field(
        "none", alias="compression.type"
    )
    # INT, default -1 (GzipCompression.DEFAULT_LEVEL), 1..9 or -1.
    compression_gzip_level: Annotated[int, BeforeValidator(_parse_gzip_level)] = Field(
        -1, alias="compression.gzip.level"
    )
    # INT, default 9, in [1, 17] (Lz4Compression.MIN_LEVEL/MAX_LEVEL).
    compression_lz4_level: Annotated[int, _int(1, 17)] = Field(9, alias="compression.lz4.level")
    # INT, default 3, in [-131072, 22] (ZstdCompression.MIN_LEVEL/MAX_LEVEL).
    compression_zstd_level: Annotated[int, _int(-131072, 22)] = Field(
        3, alias="compression.zstd.level"
    )
    # INT, default 16384, at least 0 (KafkaProducer then uses max(1, batch.size)).
    batch_size: Annotated[int, _int(0)] = Field(16384, alias="batch.size")
    # BOOLEAN, default true (KIP-794).
    partitioner_adaptive_partitioning_enable: Annotated[bool, BeforeValidator(_parse_bool)] = Field(
        True, alias="partitioner.adaptive.partitioning.enable"
    )
    # LONG, default 0 (off), at least 0 (KIP-794).
    partitioner_availability_timeout_ms: Annotated[int, _long(0)] = Field(
        0, alias="partitioner.availability.timeout.ms"
    )
    # BOOLEAN, default false (KIP-794).
    partitioner_ignore_keys: Annotated[bool, BeforeValidator(_parse_bool)] = Field(
        False, alias="partitioner.ignore.keys"
    )
    # BOOLEAN, default false (KIP-1123, new since 4.1).
    partitioner_rack_aware: Annotated[bool, BeforeValidator(_parse_bool)] = Field(
        False, alias="partitioner.rack.aware"
    )
    # LONG, default 5 (KIP-1030 raised it from 0 in 4.0), at least 0.
    linger_ms: Annotated[int, _long(0)] = Field(5, alias="linger.ms")
    # INT, default 120000 (KIP-91), at least 0.
    delivery_timeout_ms: Annotated[int, _int(0)] = Field(120000, alias="delivery.timeout.ms")
    # STRING, default "" (then ProducerConfig.maybeOverrideClientId).
    client_id: Annotated[str, BeforeValidator(_parse_str)] = Field("", alias="client.id")
    # STRING, default "" (new in the producer since 4.1, for KIP-1123).
    client_rack: Annotated[str, BeforeValidator(_parse_str)] = Field("", alias="client.rack")
    # INT, default 128 KiB, at least -1 (-1: the OS default).
    send_buffer_bytes: Annotated[int, _int(-1)] = Field(131072, alias="send.buffer.bytes")
    # INT, default 32 KiB, at least -1.
    receive_buffer_bytes: Annotated[int, _int(-1)] = Field(32768, alias="receive.buffer.bytes")
    # INT, default 1 MiB, at least 0.
    max_request_size: Annotated[int, _int(0)] = Field(1048576, alias="max.request.size")
    # LONG, default 50, at least 0.
    reconnect_backoff_ms: Annotated[int, _long(0)] = Field(50, alias="reconnect.backoff.ms")
    # LONG, default 1000, at least 0.
    reconnect_backoff_max_ms: Annotated[int, _long(0)] = Field(
        1000, alias="reconnect.backoff.max.ms"
    )
    # LONG, default 100, at least 0.
    retry_backoff_ms: Annotated[int, _long(0)] = Field(100, alias="retry.backoff.ms")
    # LONG, default 1000, at least 0 (KIP-580).
    retry_backoff_max_ms: Annotated[int, _long(0)] = Field(1000, alias="retry.backoff.max.ms")
    # LONG, default 0, at least 0 (new since 4.1).
    bootstrap_resolve_timeout_ms: Annotated[int, _long(0)] = Field(
        0, alias="bootstrap.resolve.timeout.ms"
    )
    # BOOLEAN, default true (KIP-714).
    enable_metrics_push: Annotated[bool, BeforeValidator(_parse_bool)] = Field(
        True, alias="enable.metrics.push"
    )
    # LONG, default 60000, at least 0.
    max_block_ms: Annotated[int, _long(0)] = Field(60000, alias="max.block.ms")
    # INT, default 30000, at least 0.
    request_timeout_ms: Annotated[int, _int(0)] = Field(30000, alias="request.timeout.ms")
    # LONG, default 300000, at least 0.
    metadata_max_age_ms: Annotated[int, _long(0)] = Field(300000, alias="metadata.max.age.ms")
    # LONG, default 300000, at least 5000.
    metadata_max_idle_ms: Annotated[int, _long(5000)] = Field(300000, alias="metadata.max.idle.ms")
    # INT, default 5, at least 1.
    max_in_flight_requests_per_connection: Annotated[int, _int(1)] = Field(
        5, alias="max.in.flight.requests.per.connection"
    )
    # LONG, default 10000, no validator.
    socket_connection_setup_timeout_ms: Annotated[int, _long()] = Field(
        10000, alias="socket.connection.setup.timeout.ms"
    )
    # LONG, default 30000, no validator.
    socket_connection_setup_timeout_max_ms: Annotated[int, _long()] = Field(
        30000, alias="socket.connection.setup.timeout.max.ms"
    )
    # LONG, default 540000, no validator.
    connections_max_idle_ms: Annotated[int, _long()] = Field(
        540000, alias="connections.max.idle.ms"
    )
    # STRING, default "PLAINTEXT", CaseInsensitiveValidString of SecurityProtocol names (listed
    # in the order Java's error message lists them).
    security_protocol: Annotated[
        str, _one_of("SASL_SSL", "PLAINTEXT", "SSL", "SASL_PLAINTEXT", case_insensitive=True)
    ] = Field("PLAINTEXT", alias="security.protocol")
    # SaslConfigs: STRING, default "GSSAPI", no validator.
    sasl_mechanism: Annotated[str | None, BeforeValidator(_parse_optional_str)] = Field(
        "GSSAPI", alias="sasl.mechanism"
    )
    # BOOLEAN, default true since 3.0 (KIP-679).
    enable_idempotence: Annotated[bool, BeforeValidator(_parse_bool)] = Field(
        True, alias="enable.idempotence"
    )
    # INT, default 60000, no validator.
    transaction_timeout_ms: Annotated[int, _int()] = Field(60000, alias="transaction.timeout.ms")
    # STRING, default null, NonEmptyString.
    transactional_id: Annotated[str | None, BeforeValidator(_parse_transactional_id)] = Field(
        None, alias="transactional.id"
    )
    # BOOLEAN, default false (KIP-939).
    transaction_two_phase_commit_enable: Annotated[bool, BeforeValidator(_parse_bool)] = Field(
        False, alias="transaction.two.phase.commit.enable"
    )
    # CommonClientConfigs: STRING, default "rebootstrap", CaseInsensitiveValidString (KIP-899).
    metadata_recovery_strategy: Annotated[
        str, _one_of("REBOOTSTRAP", "NONE", case_insensitive=True)
    ] = Field("rebootstrap", alias="metadata.recovery.strategy")
    # LONG, default 300000, at least 0 (KIP-1102).
    metadata_recovery_rebootstrap_trigger_ms: Annotated[int, _long(0)] = Field(
        300000, alias="metadata.recovery.rebootstrap.trigger.ms"
    )
    # BOOLEAN, default true (new since 4.1).
    metadata_cluster_check_enable: Annotated[bool, BeforeValidator(_parse_bool)] = Field(
        True, alias="metadata.cluster.check.enable"
    )

    _explanations: dict[str, Explanation] = PrivateAttr(default_factory=dict)

    def __init__(self, properties: Mapping[str, object] | None = None, /, **kwargs: object) -> None:
        data: dict[str, object] = dict(properties or {})
        data.update(kwargs)
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise _config_error(exc) from None

    @classmethod
    def of(
        cls, config: ProducerConfig | Mapping[str, object] | None, settings: Mapping[str, object]
    ) -> ProducerConfig:
        """What the producers' constructors take: a ready ProducerConfig, or properties and/or
        keyword settings (the keywords win)."""
        if isinstance(config, ProducerConfig):
            if settings:
                raise TypeError("pass either a ProducerConfig or settings, not both")
            return config
        return cls(config, **settings)

    # --- name mapping ---------------------------------------------------------------------------

    @classmethod
    def java_names(cls) -> dict[str, str]:
        """Java property name -> field name, for every key this model carries."""
        return {str(info.alias): name for name, info in cls.model_fields.items()}

    def to_properties(self) -> dict[str, object]:
        """The effective values under Java's names (``acks`` as Java's ``-1``/``0``/``1``)."""
        return self.model_dump(by_alias=True)

    def explanation(self, key: str) -> Explanation:
        """Why ``key`` (Java or Python name) has its effective value."""
        name = key if key in type(self).model_fields else self.java_names().get(key)
        if name is None:
            raise KeyError(key)
        return self._explanations[name]

    @property
    def ignored(self) -> tuple[Explanation, ...]:
        """Keys given but not used (unknown to Java, or Java-only), with the reason."""
        return tuple(e for e in self._explanations.values() if e.key not in self.java_names())

    @property
    def sticky_batch_size(self) -> int:
        """What ``KafkaProducer`` hands the accumulator and partitioner: ``max(1, batch.size)``."""
        return max(1, self.batch_size)

    # --- Java's rules -----------------------------------------------------------------------------

    @model_validator(mode="wrap")
    @classmethod
    def _java_semantics(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        if isinstance(data, cls):
            return data
        if not isinstance(data, Mapping):
            raise ValueError("ProducerConfig takes a mapping of settings")
        known, ignored = cls._split_keys(data)
        model = handler(known)
        rules = _Rules(model, {cls.model_fields[name].alias or name for name in known})
        rules.run()
        explanations = dict(rules.explanations)
        for key, reason in ignored.items():
            explanations[key] = Explanation(key, data[key], "user", reason)
        model._explanations = explanations
        return model

    @classmethod
    def _split_keys(cls, data: Mapping[str, object]) -> tuple[dict[str, object], dict[str, str]]:
        by_java = cls.java_names()
        known: dict[str, object] = {}
        ignored: dict[str, str] = {}
        for key, value in data.items():
            if not isinstance(key, str):
                raise ConfigError(repr(key), value, "configuration names must be strings")
            name = by_java.get(key, key if key in cls.model_fields else None)
            if name is not None:
                if name in known:
                    raise ConfigError(key, value, "given under both its Java and Python name")
                known[name] = value
            elif key.startswith(_UNSUPPORTED_PREFIXES) or key in _UNSUPPORTED_KEYS:
                raise ConfigError(
                    key, value, "a Java setting kafkaproto does not support yet; not ignoring it"
                )
            elif key in _JAVA_ONLY_KEYS:
                reason = "ignored: a Java client setting that kafkaproto does not use"
                log.warning("Configuration '%s' is %s.", key, reason[9:])
                ignored[key] = reason
            else:
                # AbstractConfig.logUnused: Java warns "supplied but isn't a known config".
                close = difflib.get_close_matches(key, list(by_java) + list(cls.model_fields), 1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                reason = f"ignored: not a known producer config{hint}"
                log.warning("The configuration '%s' isn't a known config%s.", key, hint)
                ignored[key] = reason
        return known, ignored


class _Rules:
    """Applies Java's post-parse rules to a freshly validated model, recording explanations.

    Rules mutate the (frozen) model through ``object.__setattr__`` while it is being built; nothing
    else ever does.
    """

    def __init__(self, model: ProducerConfig, user_keys: set[str]) -> None:
        self.model = model
        self.user_keys = user_keys  # Java: originals().containsKey(...)
        self.explanations: dict[str, Explanation] = {}
        for name, info in type(model).model_fields.items():
            key = info.alias or name
            value = getattr(model, name)
            if key in user_keys:
                self.explanations[name] = Explanation(key, value, "user", "set by the user")
            else:
                self.explanations[name] = Explanation(
                    key, value, "default", f"Kafka {KAFKA_VERSION} default"
                )

    def user_set(self, key: str) -> bool:
        return key in self.user_keys

    def set(self, name: str, value: object, reason: str) -> None:
        object.__setattr__(self.model, name, value)
        old = self.explanations[name]
        self.explanations[name] = Explanation(old.key, value, "rule", reason, old.notes)

    def note(self, name: str, text: str) -> None:
        old = self.explanations[name]
        self.explanations[name] = Explanation(
            old.key, old.value, old.source, old.reason, (*old.notes, text)
        )

    def run(self) -> None:
        # ProducerConfig.postProcessParsedConfig, in Java's order, then KafkaProducer's checks.
        self.sasl_mechanism()
        self.exponential_backoff_warnings()
        self.reconnect_backoff()
        self.idempotence()
        self.client_id()
        self.delivery_timeout()
        self.rack_aware_partitioner()

    def sasl_mechanism(self) -> None:
        # CommonClientConfigs.postValidateSaslMechanismConfig.
        m = self.model
        if m.security_protocol.upper() in ("SASL_PLAINTEXT", "SASL_SSL") and not m.sasl_mechanism:
            raise ConfigError(
                "sasl.mechanism",
                m.sasl_mechanism,
                "When the security.protocol configuration enables SASL, mechanism must be "
                "non-null and non-empty string.",
            )

    def exponential_backoff_warnings(self) -> None:
        # CommonClientConfigs.warnDisablingExponentialBackoff: warnings only, values unchanged.
        m = self.model
        if m.retry_backoff_ms > m.retry_backoff_max_ms:
            text = (
                f"retry.backoff.ms {m.retry_backoff_ms} > retry.backoff.max.ms "
                f"{m.retry_backoff_max_ms}: a static backoff of {m.retry_backoff_max_ms} ms applies"
            )
            log.warning("%s", text)
            self.note("retry_backoff_ms", text)
        if m.socket_connection_setup_timeout_ms > m.socket_connection_setup_timeout_max_ms:
            text = (
                "socket.connection.setup.timeout.ms > socket.connection.setup.timeout.max.ms: a "
                f"static timeout of {m.socket_connection_setup_timeout_max_ms} ms applies"
            )
            log.warning("%s", text)
            self.note("socket_connection_setup_timeout_ms", text)

    def reconnect_backoff(self) -> None:
        # CommonClientConfigs.postProcessReconnectBackoffConfigs.
        if self.user_set("reconnect.backoff.ms") and not self.user_set("reconnect.backoff.max.ms"):
            log.warning(
                "Disabling exponential reconnect backoff because reconnect.backoff.ms is set, "
                "but reconnect.backoff.max.ms is not."
            )
            self.set(
                "reconnect_backoff_max_ms",
                self.model.reconnect_backoff_ms,
                "set to reconnect.backoff.ms because only reconnect.backoff.ms was given "
                "(exponential reconnect backoff disabled)",
            )

    def idempotence(self) -> None:
        # ProducerConfig.postProcessAndValidateIdempotenceConfigs (4.4 bytecode).
        m = self.model
        user_idempotence = self.user_set("enable.idempotence")
        enabled = m.enable_idempotence
        disable_reason = ""
        if enabled:
            if m.retries == 0:
                if user_idempotence:
                    raise ConfigError(
                        "retries",
                        0,
                        "Must set retries to non-zero when using the idempotent producer.",
                    )
                log.info("Idempotence will be disabled because retries is set to 0.")
                disable_reason = "idempotence disabled because retries=0"
            if m.acks != -1:
                if user_idempotence:
                    raise ConfigError(
                        "acks",
                        str(m.acks),
                        "Must set acks to all in order to use the idempotent producer. "
                        "Otherwise we cannot guarantee idempotence.",
                    )
                log.info(
                    "Idempotence will be disabled because acks is set to %s, not set to 'all'.",
                    m.acks,
                )
                disable_reason = disable_reason or f"idempotence disabled because acks={m.acks}"
            # An error since 4.0 even when idempotence is only on by default, and checked before
            # the disabling above takes effect (so acks=1 with 6 in flight is still an error).
            if m.max_in_flight_requests_per_connection > 5:
                raise ConfigError(
                    "max.in.flight.requests.per.connection",
                    m.max_in_flight_requests_per_connection,
                    "To use the idempotent producer, max.in.flight.requests.per.connection must "
                    "be set to at most 5.",
                )
        if disable_reason:
            self.set("enable_idempotence", False, disable_reason)
            enabled = False
        # transactional.id is checked after idempotence may have been switched off.
        if not enabled and self.user_set("transactional.id"):
            raise ConfigError(
                "transactional.id",
                m.transactional_id,
                "Cannot set a transactional.id without also enabling idempotence.",
            )
        if m.transaction_two_phase_commit_enable and self.user_set("transaction.timeout.ms"):
            raise ConfigError(
                "transaction.timeout.ms",
                m.transaction_timeout_ms,
                "Cannot set transaction.timeout.ms when transaction.two.phase.commit.enable is "
                "set to true. Transactions will not expire with two-phase commit enabled.",
            )

    def client_id(self) -> None:
        # ProducerConfig.maybeOverrideClientId.
        if self.user_set("client.id"):
            return
        tid = self.model.transactional_id
        if tid is not None:
            self.set("client_id", f"producer-{tid}", "producer-<transactional.id>")
        else:
            seq = next(_client_id_sequence)
            self.set("client_id", f"producer-{seq}", "producer-<per-process sequence number>")

    def delivery_timeout(self) -> None:
        # KafkaProducer.configureDeliveryTimeout (KIP-91); linger.ms is capped to an int first.
        m = self.model
        linger = min(m.linger_ms, _INT_MAX)
        floor = min(linger + m.request_timeout_ms, _INT_MAX)
        if m.delivery_timeout_ms < floor:
            if self.user_set("delivery.timeout.ms"):
                raise ConfigError(
                    "delivery.timeout.ms",
                    m.delivery_timeout_ms,
                    "delivery.timeout.ms should be equal to or larger than linger.ms + "
                    "request.timeout.ms",
                )
            log.warning(
                "delivery.timeout.ms should be equal to or larger than linger.ms + "
                "request.timeout.ms. Setting it to %d.",
                floor,
            )
            reason = "raised by KIP-91 rule to linger.ms + request.timeout.ms"
            self.set("delivery_timeout_ms", floor, reason)

    def rack_aware_partitioner(self) -> None:
        # RecordAccumulator.PartitionerConfig (built by KafkaProducer's constructor), KIP-1123.
        m = self.model
        if m.partitioner_rack_aware and not m.client_rack.strip():
            raise ConfigError(
                "client.rack",
                m.client_rack,
                "client.rack must be provided if partitioner.rack.aware is enabled",
            )


def _config_error(exc: ValidationError) -> ConfigError:
    """The first problem pydantic found, as Java's ConfigException would report it."""
    first = exc.errors()[0]
    cause = first.get("ctx", {}).get("error")
    if isinstance(cause, ConfigError):
        return cause
    loc = first["loc"]
    name = str(loc[0]) if loc else "?"
    info = ProducerConfig.model_fields.get(name)
    key = (info.alias or name) if info else name
    if first["type"] == "missing":
        return ConfigError(
            key, _NO_VALUE, f'Missing required configuration "{key}" which has no default value.'
        )
    message = str(first["msg"]).removeprefix("Value error, ")
    return ConfigError(key, first.get("input"), message)


def explain(settings: Mapping[str, object]) -> list[Explanation]:
    """Every producer key with its effective value and why, for ``settings`` (Java or Python
    names); ignored keys come last. Raises ``ConfigError`` like ``ProducerConfig``."""
    config = ProducerConfig(settings)
    rows = [config.explanation(name) for name in sorted(config.java_names().values())]
    rows.sort(key=lambda row: row.key)
    return rows + sorted(config.ignored, key=lambda row: row.key)
