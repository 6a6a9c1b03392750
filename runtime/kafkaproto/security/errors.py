"""The typed failures of TLS and SASL, each naming what was wrong and where.

Authentication failures are fatal for the operation, as Java's ``AuthenticationException`` is:
retrying with the same settings fails the same way, so the cluster client does not dial other
brokers or retry on the caller's behalf, and the producer fails the records waiting for metadata
at once. They all derive from :class:`AuthenticationError`; the SASL ones are also the broker's
error-code classes (``SaslAuthenticationFailedError``, ``UnsupportedSaslMechanismError``) so
code that catches those keeps working. A TLS/plaintext mismatch is a connection failure instead
(:class:`SecurityProtocolMismatchError`): the port may be right and the broker merely restarting.

This module holds exception types only: no I/O, no policy.
"""

from __future__ import annotations

from collections.abc import Sequence

from kafkaproto.error_codes import (
    IllegalSaslStateError,
    KafkaError,
    SaslAuthenticationFailedError,
    UnsupportedSaslMechanismError,
)
from kafkaproto.errors import KafkaConnectionError, KafkaProtoError

__all__ = [
    "AuthenticationError",
    "OAuthBearerTokenError",
    "SaslAuthenticationError",
    "SaslMechanismNotEnabledError",
    "SaslProtocolError",
    "SecurityProtocolMismatchError",
    "SslAuthenticationError",
]


class AuthenticationError(KafkaProtoError):
    """Authentication with a broker failed (Java's ``AuthenticationException``); fatal for the
    operation. ``broker`` is ``"host:port"``."""

    broker: str = ""
    retriable = False
    invalid_metadata = False


class SaslAuthenticationError(AuthenticationError, SaslAuthenticationFailedError):
    """The broker refused our credentials (``SASL_AUTHENTICATION_FAILED``), or the broker's
    answer failed our check of it (a SCRAM server signature that does not match: a broker that
    does not know the password). Names the mechanism, the user and the broker's own reason."""

    def __init__(
        self, reason: str, *, broker: str, mechanism: str, user: str | None = None
    ) -> None:
        self.broker = broker
        self.mechanism = mechanism
        self.user = user
        self.reason = reason
        who = f" as user {user!r}" if user else ""
        KafkaError.__init__(
            self, f"{broker}: SASL {mechanism} authentication{who} failed: {reason}"
        )

    def __str__(self) -> str:
        return self.message


class SaslMechanismNotEnabledError(AuthenticationError, UnsupportedSaslMechanismError):
    """The broker's listener does not enable the mechanism we asked for; ``enabled`` lists the
    ones it does (from its SaslHandshake response)."""

    def __init__(self, *, broker: str, mechanism: str, enabled: Sequence[str]) -> None:
        self.broker = broker
        self.mechanism = mechanism
        self.enabled = tuple(enabled)
        offered = ", ".join(self.enabled) if self.enabled else "none"
        KafkaError.__init__(
            self,
            f"{broker}: SASL mechanism {mechanism} is not enabled on this listener; the broker "
            f"offers: {offered} (set sasl.mechanism to one of them)",
        )

    def __str__(self) -> str:
        return self.message


class SaslProtocolError(AuthenticationError, IllegalSaslStateError):
    """The SASL exchange itself broke: a broker message our mechanism cannot parse, a SASL
    handshake on a listener that expects none (``ILLEGAL_SASL_STATE``)."""

    def __init__(self, reason: str, *, broker: str, mechanism: str) -> None:
        self.broker = broker
        self.mechanism = mechanism
        self.reason = reason
        KafkaError.__init__(self, f"{broker}: SASL {mechanism}: {reason}")

    def __str__(self) -> str:
        return self.message


class SslAuthenticationError(AuthenticationError, KafkaError):
    """The TLS handshake failed: an untrusted certificate, a host name the certificate does not
    cover, a refused client certificate, no common protocol version. ``host`` is the name we
    verified against and ``reason`` OpenSSL's words."""

    name = "SSL_HANDSHAKE_FAILED"

    def __init__(self, reason: str, *, broker: str, host: str, hint: str = "") -> None:
        self.broker = broker
        self.host = host
        self.reason = reason
        extra = f" ({hint})" if hint else ""
        KafkaError.__init__(
            self, f"{broker}: TLS handshake with host {host!r} failed: {reason}{extra}"
        )

    def __str__(self) -> str:
        return self.message


class OAuthBearerTokenError(AuthenticationError, KafkaError):
    """No usable OAUTHBEARER token: the token endpoint refused the client credentials, answered
    something that is not a token, or handed out a token that has already expired; or the
    token provider callable failed. ``endpoint`` is the token endpoint URL (or the provider's
    name), ``status`` the HTTP status when there was one, ``answer`` what the endpoint said."""

    name = "OAUTHBEARER_TOKEN_FAILED"

    def __init__(
        self, reason: str, *, endpoint: str, status: int | None = None, answer: str = ""
    ) -> None:
        self.endpoint = endpoint
        self.status = status
        self.answer = answer
        self.reason = reason
        parts = [f"OAUTHBEARER token from {endpoint}: {reason}"]
        if status is not None:
            parts.append(f"HTTP {status}")
        if answer:
            parts.append(f"answer: {answer}")
        KafkaError.__init__(self, "; ".join(parts))

    def __str__(self) -> str:
        return self.message


class SecurityProtocolMismatchError(KafkaConnectionError):
    """The first exchange on a connection failed in the way a wrong ``security.protocol``
    fails: a TLS client on a plaintext port (the broker closes or never answers the TLS hello),
    a plaintext client on a TLS port (the broker answers with a TLS alert or closes), a client
    without SASL on a SASL port. The message names the likely mismatch; ``expected`` is our
    ``security.protocol``."""

    def __init__(self, reason: str, *, broker: str, expected: str, hint: str) -> None:
        self.expected = expected
        self.hint = hint
        super().__init__(f"{reason} (security.protocol={expected}; {hint})", broker=broker)
