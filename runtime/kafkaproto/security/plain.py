"""SASL PLAIN (RFC 4616): one message, ``authzid NUL authcid NUL passwd``, as Kafka's
``PlainSaslClient`` sends it (empty authorization id).

Sans-I/O: bytes in, bytes out. It must never log the password or be used without TLS unless
the user chose SASL_PLAINTEXT.
"""

from __future__ import annotations

from kafkaproto.security.sasl_client import SaslMechanismError

__all__ = ["PlainClient"]


class PlainClient:
    """The PLAIN client: ``start()`` is the whole exchange; the broker answers with nothing."""

    mechanism = "PLAIN"

    def __init__(self, username: str, password: str, authorization_id: str = "") -> None:
        for name, value in (("username", username), ("password", password)):
            if not value:
                raise ValueError(f"SASL PLAIN needs a non-empty {name}")
            if "\0" in value:
                raise ValueError(f"SASL PLAIN {name} must not contain NUL")
        self.user: str | None = username
        self._message = f"{authorization_id}\0{username}\0{password}".encode()
        self._complete = False

    def start(self) -> bytes:
        return self._message

    def receive(self, data: bytes) -> bytes | None:
        if data:
            raise SaslMechanismError(f"unexpected PLAIN server message of {len(data)} bytes")
        self._complete = True
        return None

    @property
    def complete(self) -> bool:
        return self._complete

    @property
    def failure_detail(self) -> str | None:
        return None
