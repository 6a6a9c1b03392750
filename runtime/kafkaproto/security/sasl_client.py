"""The shape every SASL mechanism has here: a sans-I/O client state machine.

``start()`` returns the client's first message; ``receive(server_bytes)`` takes the broker's next
message and returns the client's answer, or ``None`` when the client has nothing more to say
(``complete`` is then true, or the mechanism has recorded why the broker will fail us). No
sockets, no clocks, no Kafka framing: :mod:`kafkaproto.security.sasl_exchange` carries these
bytes in SaslAuthenticate requests. Mechanisms raise :class:`SaslMechanismError` for a broker
message they cannot accept (a bad SCRAM nonce or server signature); the exchange turns that
into the typed error naming the broker.

This module must never import a transport or a generated message.
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["SaslClient", "SaslMechanismError"]


class SaslMechanismError(Exception):
    """A broker message the mechanism refuses; ``refused_by_us`` tells a bad server proof (the
    broker is not who it claims) from a malformed message."""

    def __init__(self, reason: str, *, refused_by_us: bool = False) -> None:
        self.reason = reason
        self.refused_by_us = refused_by_us
        super().__init__(reason)


class SaslClient(Protocol):
    """A SASL mechanism's client side (RFC 4422), driven by bytes."""

    #: The IANA mechanism name sent in SaslHandshake (``SCRAM-SHA-512``).
    mechanism: str
    #: Who we authenticate as, for error messages (None when the mechanism has no user name).
    user: str | None

    def start(self) -> bytes:
        """The initial client response."""
        ...

    def receive(self, data: bytes) -> bytes | None:
        """The broker's message in; the client's next message out, or None when done."""
        ...

    @property
    def complete(self) -> bool:
        """The exchange finished and the broker proved itself where the mechanism can tell."""
        ...

    @property
    def failure_detail(self) -> str | None:
        """What the broker told us before failing the exchange (OAUTHBEARER's error JSON)."""
        ...
