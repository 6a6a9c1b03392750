"""One SASL authentication over a Kafka connection: SaslHandshake naming the mechanism, then
SaslAuthenticate requests carrying the mechanism's messages until it is done (KIP-152), the way
Kafka's ``SaslClientAuthenticator`` does after ApiVersions. Returns the session lifetime the
broker granted (KIP-368; 0: none), from which the connection schedules re-authentication.

This is the one place that builds SaslHandshake/SaslAuthenticate messages; the connection sends
them at its negotiated versions. It must never touch a socket or a clock: the connection passes
its ``request``.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Final, Protocol, TypeVar

from kafkaproto.error_codes import error_for_code
from kafkaproto.message import ApiRequest, ApiResponse
from kafkaproto.messages.sasl_authenticate import SaslAuthenticateRequest, SaslAuthenticateResponse
from kafkaproto.messages.sasl_handshake import SaslHandshakeRequest
from kafkaproto.security.errors import (
    SaslAuthenticationError,
    SaslMechanismNotEnabledError,
    SaslProtocolError,
    SecurityProtocolMismatchError,
)
from kafkaproto.security.sasl_client import SaslClient, SaslMechanismError

__all__ = ["SASL_AUTHENTICATE", "SASL_HANDSHAKE", "authenticate"]

SASL_HANDSHAKE: Final = SaslHandshakeRequest.api_key
SASL_AUTHENTICATE: Final = SaslAuthenticateRequest.api_key
_UNSUPPORTED_SASL_MECHANISM: Final = 33
_ILLEGAL_SASL_STATE: Final = 34
_SASL_AUTHENTICATION_FAILED: Final = 58

R = TypeVar("R", bound=ApiResponse)


class Request(Protocol):
    """Sends a request at the negotiated version and returns its typed response."""

    def __call__(self, message: ApiRequest[R], /) -> Awaitable[R]: ...


async def authenticate(
    client: SaslClient,
    request: Request,
    *,
    broker: str,
    protocol: str,
) -> int:
    """Authenticate with ``client``; returns the session lifetime in ms (0 when the broker set
    none). Raises the typed errors of :mod:`kafkaproto.security.errors`."""
    mechanism = client.mechanism
    response = await request(SaslHandshakeRequest(mechanism=mechanism))
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
    try:
        message: bytes | None = client.start()
        lifetime = 0
        while message is not None:
            answer = await request(SaslAuthenticateRequest(auth_bytes=message))
            if answer.error_code:
                raise _refused(answer, client, broker)
            lifetime = answer.session_lifetime_ms  # v1+; 0 (none) at v0
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


def _refused(answer: SaslAuthenticateResponse, client: SaslClient, broker: str) -> Exception:
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
