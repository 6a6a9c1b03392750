"""The cluster client's settings (:class:`kafkaproto.cluster.ClusterClient`), on the shared
configuration machinery: Java's names, types, validators and rules for the common client settings
it uses, and two keys of its own.

Differences from Java's defaults, each for a stated reason: ``client.id`` defaults to
``"kafkaproto"`` (a bare cluster client has no producer/consumer sequence to name it after);
``request.timeout.ms`` must be positive (0 would fail every request at once); and
``allow.auto.create.topics`` (the consumer's key) is false, so that looking up a misspelt topic
does not create it (the producer turns it on, as Java's producer asks brokers to create topics).
``max.frame.size`` is kafkaproto's own: the largest response frame accepted, checked before
anything is allocated for it. Unknown keys are errors here: this is a Python API with no Java
property files to stay compatible with.

This module must never open connections: it only turns settings into a validated value.
"""

from __future__ import annotations

from kafkaproto.config import common
from kafkaproto.config.definition import AbstractConfig, Importance, Range, boolean, integer
from kafkaproto.protocol import DEFAULT_MAX_FRAME_SIZE
from kafkaproto.security.definitions import SECURITY_DEFINITIONS, SecuritySettings, security_rules

__all__ = ["ClusterClientConfig", "inherited_settings"]


class ClusterClientConfig(AbstractConfig, SecuritySettings):  # type: ignore[misc,valid-type]
    """Network and security settings of a cluster client, by Java name
    (``"request.timeout.ms"``, ``"security.protocol"``) or Python name (``request_timeout_ms``);
    a rejected setting raises ``ConfigError``. The security keys are
    :class:`~kafkaproto.security.definitions.SecuritySettings`."""

    CLIENT = "cluster"
    STRICT = True

    client_id = common.CLIENT_ID.replace(
        default="kafkaproto", default_reason="kafkaproto's default for a bare cluster client"
    )
    request_timeout_ms = common.REQUEST_TIMEOUT_MS.replace(validator=Range(1))
    socket_connection_setup_timeout_ms = common.SOCKET_CONNECTION_SETUP_TIMEOUT_MS.replace(
        validator=Range(0)
    )
    socket_connection_setup_timeout_max_ms = common.SOCKET_CONNECTION_SETUP_TIMEOUT_MAX_MS.replace(
        validator=Range(0)
    )
    reconnect_backoff_ms = common.RECONNECT_BACKOFF_MS
    reconnect_backoff_max_ms = common.RECONNECT_BACKOFF_MAX_MS
    retry_backoff_ms = common.RETRY_BACKOFF_MS
    retry_backoff_max_ms = common.RETRY_BACKOFF_MAX_MS
    metadata_max_age_ms = common.METADATA_MAX_AGE_MS
    send_buffer_bytes = common.SEND_BUFFER_BYTES
    # Java's AdminClient default: a bare cluster client's answers are metadata-like.
    receive_buffer_bytes = common.RECEIVE_BUFFER_BYTES.replace(default=65536)
    max_in_flight_requests_per_connection = integer(
        "max.in.flight.requests.per.connection",
        5,
        Range(1),
        importance=Importance.LOW,
        doc="Requests sent on one connection before waiting for answers.",
    )
    max_frame_size = integer(
        "max.frame.size",
        DEFAULT_MAX_FRAME_SIZE,
        Range(1),
        importance=Importance.LOW,
        doc="Largest response frame in bytes; a larger size prefix closes the connection "
        "before anything is allocated for it.",
        java=False,
    )
    allow_auto_create_topics = boolean(
        "allow.auto.create.topics",
        False,
        importance=Importance.MEDIUM,
        doc="Ask brokers to create topics named in metadata requests that do not exist (if "
        "the broker allows it).",
        default_reason="kafkaproto's default: a lookup of a misspelt topic must not create it",
    )

    RULES = (
        common.sasl_mechanism,
        security_rules,
        common.exponential_backoff_warnings,
        common.reconnect_backoff,
    )


#: Settings a producer or a consumer hands its cluster client under the same name and value.
_INHERITED = (
    "client_id",
    "socket_connection_setup_timeout_ms",
    "socket_connection_setup_timeout_max_ms",
    "reconnect_backoff_ms",
    "reconnect_backoff_max_ms",
    "retry_backoff_ms",
    "retry_backoff_max_ms",
    "metadata_max_age_ms",
    "send_buffer_bytes",
    "receive_buffer_bytes",
)


def inherited_settings(config: AbstractConfig) -> dict[str, object]:
    """What a client's cluster client takes from the client's own settings as they are: the
    shared network settings, and the security settings the user gave (the client's rules have
    already checked them; a default stays the cluster client's default)."""
    settings: dict[str, object] = {name: getattr(config, name) for name in _INHERITED}
    settings.update(
        (key.name, getattr(config, key.attr))
        for key in SECURITY_DEFINITIONS
        if config.explanation(key.name).source != "default"
    )
    return settings
