"""One SASL authentication over a Kafka connection: SaslHandshake naming the mechanism, then
SaslAuthenticate requests carrying the mechanism's messages until it is done (KIP-152), the way
Kafka's ``SaslClientAuthenticator`` does after ApiVersions. Returns the session lifetime the
broker granted (KIP-368; 0: none), from which the connection schedules re-authentication.

This is the one place that builds SaslHandshake/SaslAuthenticate messages; it takes them from
the connection's negotiated versions by API key, so it needs no per-version class names. It must
never touch a socket or a clock: the connection passes its ``request`` and ``request_class``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Final

from kafkaproto.error_codes import error_for_code
from kafkaproto.message import ApiMessage
from kafkaproto.security.errors import (
    SaslAuthenticationError,
    SaslMechanismNotEnabledError,
    SaslProtocolError,
    SecurityProtocolMismatchError,
)
from kafkaproto.security.sasl_client import SaslClient, SaslMechanismError

__all__ = ["SASL_AUTHENTICATE", "SASL_HANDSHAKE", "authenticate"]

SASL_HANDSHAKE: Final = 17
SASL_AUTHENTICATE: Final = 36
_UNSUPPORTED_SASL_MECHANISM: Final = 33
_ILLEGAL_SASL_STATE: Final = 34
_SASL_AUTHENTICATION_FAILED: Final = 58

Request = Callable[[ApiMessage], Awaitable[Any]]
RequestClass = Callable[[int], type[ApiMessage]]


async def authenticate(
    client: SaslClient,
    request: Request,
    request_class: RequestClass,
    *,
    broker: str,
    protocol: str,
) -> int:
    """Authenticate with ``client``; returns the session lifetime in ms (0 when the broker set
    none). Raises the typed errors of :mod:`kafkaproto.security.errors`."""
    mechanism = client.mechanism
    handshake = request_class(SASL_HANDSHAKE)(mechanism=mechanism)  # type: ignore[call-arg]
    response = await request(handshake)
    code = response.error_code
    if code == _UNSUPPORTED_SASL_MECHANISM:
        raise SaslMechanismNotEnabledError(
            broker=broker, mechanism=mechanism, enabled=list(response.mechanisms)
        )
    if code == _ILLEGAL_SASL_STATE:
        # KafkaApis answers a SaslHandshake this way on a listener without SASL.
        raise SecurityProtocolMismatchError(
            "the broker refused the SASL handshake (ILLEGAL_SASL_STATE)",
            broker=broker,
            expected=protocol,
            hint="this listener does not use SASL: is it a PLAINTEXT or SSL listener?",
        )
    if code:
        raise error_for_code(code)
    auth_class = request_class(SASL_AUTHENTICATE)
    try:
        message: bytes | None = client.start()
        lifetime = 0
        while message is not None:
            answer = await request(auth_class(auth_bytes=message))  # type: ignore[call-arg]
            if answer.error_code:
                raise _refused(answer, client, broker)
            lifetime = getattr(answer, "session_lifetime_ms", 0)
            message = client.receive(bytes(answer.auth_bytes))
    except SaslMechanismError as exc:
        if exc.refused_by_us:
            raise SaslAuthenticationError(
                exc.reason, broker=broker, mechanism=mechanism, user=client.user
            ) from None
        raise SaslProtocolError(exc.reason, broker=broker, mechanism=mechanism) from None
    if not client.complete:
        raise SaslProtocolError(
            "the exchange ended before the mechanism completed", broker=broker, mechanism=mechanism
        )
    return int(lifetime)


def _refused(answer: Any, client: SaslClient, broker: str) -> Exception:
    code = answer.error_code
    text = answer.error_message or error_for_code(code).message
    detail = client.failure_detail
    if detail:
        text = f"{text} (the broker said: {detail})"
    if code in (_SASL_AUTHENTICATION_FAILED, _ILLEGAL_SASL_STATE):
        return SaslAuthenticationError(
            text, broker=broker, mechanism=client.mechanism, user=client.user
        )
    return error_for_code(code, text)
