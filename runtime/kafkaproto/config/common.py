"""Settings every Kafka client shares (Java's ``CommonClientConfigs``) and the rules Java runs on
them after parsing, as definitions a client's config class lists by assignment::

    class ConsumerConfig(AbstractConfig):
        bootstrap_servers = common.BOOTSTRAP_SERVERS
        retry_backoff_ms = common.RETRY_BACKOFF_MS
        RULES = (common.exponential_backoff_warnings, ...)

Defaults, types, validators and importance are Kafka 4.4.0's (``ProducerConfig.configDef()``,
checked key by key by tests/oracle/test_producer_config_oracle.py). A client whose default differs
re-defines the key with ``common.CLIENT_ID.replace(default=...)``.

This module must never import a client (producer, cluster, consumer): clients import it.
"""

from __future__ import annotations

from kafkaproto.config.definition import (
    NO_DEFAULT,
    CaseInsensitiveValidString,
    ConfigError,
    Importance,
    Range,
    RuleContext,
    ValidList,
    ValidString,
    boolean,
    integer,
    long,
    optional_string,
    string,
    string_list,
)

__all__ = [
    "BOOTSTRAP_RESOLVE_TIMEOUT_MS",
    "BOOTSTRAP_SERVERS",
    "CLIENT_DNS_LOOKUP",
    "CLIENT_ID",
    "CLIENT_RACK",
    "CONNECTIONS_MAX_IDLE_MS",
    "ENABLE_METRICS_PUSH",
    "METADATA_MAX_AGE_MS",
    "METADATA_RECOVERY_REBOOTSTRAP_TRIGGER_MS",
    "METADATA_RECOVERY_STRATEGY",
    "RECEIVE_BUFFER_BYTES",
    "RECONNECT_BACKOFF_MAX_MS",
    "RECONNECT_BACKOFF_MS",
    "REQUEST_TIMEOUT_MS",
    "RETRY_BACKOFF_MAX_MS",
    "RETRY_BACKOFF_MS",
    "SASL_MECHANISM",
    "SECURITY_PROTOCOL",
    "SEND_BUFFER_BYTES",
    "SOCKET_CONNECTION_SETUP_TIMEOUT_MAX_MS",
    "SOCKET_CONNECTION_SETUP_TIMEOUT_MS",
    "exponential_backoff_warnings",
    "reconnect_backoff",
    "sasl_mechanism",
]

HIGH, MEDIUM, LOW = Importance.HIGH, Importance.MEDIUM, Importance.LOW

BOOTSTRAP_SERVERS = string_list(
    "bootstrap.servers",
    NO_DEFAULT,
    ValidList(empty_allowed=False),
    importance=HIGH,
    doc="host:port pairs to reach the cluster first; the rest of the brokers are learnt from "
    "metadata. Required.",
)
CLIENT_DNS_LOOKUP = string(
    "client.dns.lookup",
    "use_all_dns_ips",
    ValidString("use_all_dns_ips", "resolve_canonical_bootstrap_servers_only"),
    importance=MEDIUM,
    doc="How host names are resolved: try every address a name resolves to, or resolve "
    "bootstrap names to their canonical names first.",
)
BOOTSTRAP_RESOLVE_TIMEOUT_MS = long(
    "bootstrap.resolve.timeout.ms",
    0,
    Range(0),
    importance=HIGH,
    doc="How long bootstrap addresses may take to resolve; 0 resolves them once, at "
    "construction (new in Kafka 4.1).",
)
CLIENT_ID = string(
    "client.id",
    "",
    importance=MEDIUM,
    doc="A name sent with every request, so broker logs and quotas can tell clients apart.",
)
CLIENT_RACK = string(
    "client.rack",
    "",
    importance=LOW,
    doc="The rack (or zone) this client runs in, matched against the brokers' broker.rack.",
)
SEND_BUFFER_BYTES = integer(
    "send.buffer.bytes",
    131072,
    Range(-1),
    importance=MEDIUM,
    doc="TCP send buffer size (SO_SNDBUF); -1 keeps the operating system's default.",
)
RECEIVE_BUFFER_BYTES = integer(
    "receive.buffer.bytes",
    32768,
    Range(-1),
    importance=MEDIUM,
    doc="TCP receive buffer size (SO_RCVBUF); -1 keeps the operating system's default.",
)
RECONNECT_BACKOFF_MS = long(
    "reconnect.backoff.ms",
    50,
    Range(0),
    importance=LOW,
    doc="First wait before dialling a broker again after a failed or lost connection.",
)
RECONNECT_BACKOFF_MAX_MS = long(
    "reconnect.backoff.max.ms",
    1000,
    Range(0),
    importance=LOW,
    doc="Upper bound of the reconnect wait, which doubles per consecutive failure (with 20% "
    "jitter).",
)
RETRY_BACKOFF_MS = long(
    "retry.backoff.ms",
    100,
    Range(0),
    importance=LOW,
    doc="First wait before retrying a failed request (KIP-580: grows exponentially).",
)
RETRY_BACKOFF_MAX_MS = long(
    "retry.backoff.max.ms",
    1000,
    Range(0),
    importance=LOW,
    doc="Upper bound of the retry wait (KIP-580).",
)
ENABLE_METRICS_PUSH = boolean(
    "enable.metrics.push",
    True,
    importance=LOW,
    doc="Whether the client pushes its metrics to the broker (KIP-714). kafkaproto pushes none.",
)
REQUEST_TIMEOUT_MS = integer(
    "request.timeout.ms",
    30000,
    Range(0),
    importance=MEDIUM,
    doc="How long to wait for a response before failing the request and closing its connection.",
)
METADATA_MAX_AGE_MS = long(
    "metadata.max.age.ms",
    300000,
    Range(0),
    importance=LOW,
    doc="Metadata is refreshed at least this often, even when nothing seems to have changed.",
)
SOCKET_CONNECTION_SETUP_TIMEOUT_MS = long(
    "socket.connection.setup.timeout.ms",
    10000,
    importance=MEDIUM,
    doc="First timeout for opening a TCP connection; it doubles per consecutive failure.",
)
SOCKET_CONNECTION_SETUP_TIMEOUT_MAX_MS = long(
    "socket.connection.setup.timeout.max.ms",
    30000,
    importance=MEDIUM,
    doc="Upper bound of the connection setup timeout.",
)
CONNECTIONS_MAX_IDLE_MS = long(
    "connections.max.idle.ms",
    540000,
    importance=MEDIUM,
    doc="Connections idle this long are closed.",
)
# The SecurityProtocol names, in the order Java's error message lists them.
SECURITY_PROTOCOL = string(
    "security.protocol",
    "PLAINTEXT",
    CaseInsensitiveValidString("SASL_SSL", "PLAINTEXT", "SSL", "SASL_PLAINTEXT"),
    importance=MEDIUM,
    doc="How to talk to brokers: PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL.",
)
# SaslConfigs (the other sasl.* keys join it with the security settings).
SASL_MECHANISM = optional_string(
    "sasl.mechanism",
    "GSSAPI",
    importance=MEDIUM,
    doc="The SASL mechanism used when security.protocol is SASL_PLAINTEXT or SASL_SSL.",
)
METADATA_RECOVERY_STRATEGY = string(
    "metadata.recovery.strategy",
    "rebootstrap",
    CaseInsensitiveValidString("REBOOTSTRAP", "NONE"),
    importance=LOW,
    doc="What to do when no known broker is reachable: go back to bootstrap.servers "
    "(KIP-899) or give up.",
)
METADATA_RECOVERY_REBOOTSTRAP_TRIGGER_MS = long(
    "metadata.recovery.rebootstrap.trigger.ms",
    300000,
    Range(0),
    importance=LOW,
    doc="How long metadata may stay unobtainable before the client rebootstraps (KIP-1102).",
)


# --- rules, from CommonClientConfigs (called by each client's postProcessParsedConfig) ------------


def sasl_mechanism(ctx: RuleContext) -> None:
    """``postValidateSaslMechanismConfig``: a SASL protocol needs a mechanism."""
    protocol = ctx.value(SECURITY_PROTOCOL).upper()
    mechanism = ctx.value(SASL_MECHANISM)
    if protocol in ("SASL_PLAINTEXT", "SASL_SSL") and not mechanism:
        raise ConfigError(
            "sasl.mechanism",
            mechanism,
            "When the security.protocol configuration enables SASL, mechanism must be "
            "non-null and non-empty string.",
        )


def exponential_backoff_warnings(ctx: RuleContext) -> None:
    """``warnDisablingExponentialBackoff``: warnings only, values unchanged."""
    retry, retry_max = ctx.value(RETRY_BACKOFF_MS), ctx.value(RETRY_BACKOFF_MAX_MS)
    if retry > retry_max:
        text = (
            f"retry.backoff.ms {retry} > retry.backoff.max.ms "
            f"{retry_max}: a static backoff of {retry_max} ms applies"
        )
        ctx.log.warning("%s", text)
        ctx.note(RETRY_BACKOFF_MS, text)
    setup = ctx.value(SOCKET_CONNECTION_SETUP_TIMEOUT_MS)
    setup_max = ctx.value(SOCKET_CONNECTION_SETUP_TIMEOUT_MAX_MS)
    if setup > setup_max:
        text = (
            "socket.connection.setup.timeout.ms > socket.connection.setup.timeout.max.ms: a "
            f"static timeout of {setup_max} ms applies"
        )
        ctx.log.warning("%s", text)
        ctx.note(SOCKET_CONNECTION_SETUP_TIMEOUT_MS, text)


def reconnect_backoff(ctx: RuleContext) -> None:
    """``postProcessReconnectBackoffConfigs``: reconnect.backoff.ms alone disables the
    exponential backoff."""
    if ctx.user_set(RECONNECT_BACKOFF_MS) and not ctx.user_set(RECONNECT_BACKOFF_MAX_MS):
        ctx.log.warning(
            "Disabling exponential reconnect backoff because reconnect.backoff.ms is set, "
            "but reconnect.backoff.max.ms is not."
        )
        ctx.set(
            RECONNECT_BACKOFF_MAX_MS,
            ctx.value(RECONNECT_BACKOFF_MS),
            "set to reconnect.backoff.ms because only reconnect.backoff.ms was given "
            "(exponential reconnect backoff disabled)",
        )
